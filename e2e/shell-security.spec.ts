/// <reference lib="dom" />
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from '@playwright/test'
import WebSocket from 'ws'
import { shellPaths, shellProtocol } from '../src/shared/browser-shell-protocol.ts'
import { exchangeLaunchToken, tabProtocols } from '../test/support/shell-client.ts'
import { signIn } from './support/page.ts'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let foreign: Server
let foreignOrigin: string
/** Every request the other local server received, with the headers the browser sent it. */
const foreignRequests: { url: string; headers: IncomingHttpHeaders }[] = []

test.beforeAll(async () => {
  stack = await startStack()
  // Another local server on this machine that the agent's browser visits, trying to reach the app.
  foreign = createServer((request, response) => {
    foreignRequests.push({ url: request.url ?? '', headers: request.headers })
    response.writeHead(200, { 'content-type': 'text/html' })
    response.end('<!doctype html><title>elsewhere</title>')
  })
  await new Promise<void>((done) => foreign.listen(0, '127.0.0.1', done))
  foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`
})
test.afterAll(async () => {
  await stack?.close()
  await new Promise((done) => foreign?.close(done))
})

/** Opens a socket from Node with the given subprotocols and headers; resolves with what the host said. */
function tryNodeSocket(
  url: string,
  protocols: string[],
  headers: Record<string, string>,
): Promise<{ opened: boolean; status?: number; frames: string[] }> {
  return new Promise((resolve) => {
    const frames: string[] = []
    const socket = new WebSocket(url, protocols, { headers })
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'request', id: 1, channel: 'app.info', payload: {} }))
    })
    socket.on('message', (data) => {
      frames.push(data.toString())
      socket.close()
    })
    socket.on('unexpected-response', (_request, response) =>
      resolve({ opened: false, status: response.statusCode, frames }),
    )
    socket.on('close', () => resolve({ opened: true, frames }))
    socket.on('error', () => resolve({ opened: false, frames }))
  })
}

const socketUrl = () => `ws://127.0.0.1:${stack.shell.port}/api`
const refused = { opened: false, status: 403, frames: [] }

test('without a tab secret the socket gives nothing; a wrong link gets a page that says so', async ({
  request,
}) => {
  const wrong = await request.get(`${stack.shell.origin}/?token=not-the-token`)
  expect(wrong.status()).toBe(403)
  expect(await wrong.text()).toContain('This link is not valid for the running app.')
  expect(await tryNodeSocket(socketUrl(), [shellProtocol], { Origin: stack.shell.origin })).toEqual(refused)
  expect(
    await tryNodeSocket(socketUrl(), tabProtocols('A'.repeat(43)), { Origin: stack.shell.origin }),
  ).toEqual(refused)
})

test('a launch link works once: the second use gets a page that says so, and its socket nothing', async ({
  page,
  browser,
}) => {
  const link = stack.shell.url
  await page.goto(link)
  await expect(page.getByRole('heading', { name: 'Sign in to SMS Inbox' })).toBeVisible()

  const elsewhere = await browser.newContext()
  const second = await elsewhere.newPage()
  const answer = await second.goto(link)
  expect(answer?.status()).toBe(403)
  await expect(second.getByText('This link has been used already')).toBeVisible()
  await expect(second.locator('script')).toHaveCount(0)
  // The token cannot be exchanged again from the app's own origin either.
  await second.goto(`${stack.shell.origin}/`)
  await expect(second.getByText('This page isn’t connected to the app.')).toBeVisible({ timeout: 20_000 })
  await elsewhere.close()
})

test('a valid secret from another origin or host is refused', async () => {
  const secret = await exchangeLaunchToken(stack.shell.url)
  const sameOrigin = await tryNodeSocket(socketUrl(), tabProtocols(secret), { Origin: stack.shell.origin })
  expect(sameOrigin.opened).toBe(true)
  expect(JSON.parse(sameOrigin.frames[0]!)).toMatchObject({ type: 'reply', id: 1, reply: { ok: true } })

  expect(await tryNodeSocket(socketUrl(), tabProtocols(secret), { Origin: foreignOrigin })).toEqual(refused)
  expect(await tryNodeSocket(socketUrl(), tabProtocols(secret), {})).toEqual(refused)
  expect(
    await tryNodeSocket(socketUrl(), tabProtocols(secret), {
      Origin: 'http://attacker.test',
      Host: 'attacker.test',
    }),
  ).toEqual(refused)
})

test('a page served from another 127.0.0.1 port gets nothing, even after the browser signed in to the app', async ({
  page,
}) => {
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await expect(page.getByTestId('connection-status')).toHaveText('Live')
  foreignRequests.length = 0
  await page.goto(foreignOrigin)

  // Cookies ignore ports: the app set none, so the other server was sent nothing of the app's.
  expect(foreignRequests.length).toBeGreaterThan(0)
  for (const { headers } of foreignRequests) expect(headers.cookie).toBeUndefined()

  const outcome = await page.evaluate(
    async ({ target, protocol, session }) => {
      const socket = (protocols: string[]) =>
        new Promise<{ opened: boolean; frames: number }>((resolve) => {
          let frames = 0
          let opened = false
          const ws = new WebSocket(target, protocols)
          ws.onopen = () => {
            opened = true
            ws.send(JSON.stringify({ type: 'request', id: 1, channel: 'session.get', payload: {} }))
          }
          ws.onmessage = () => {
            frames += 1
          }
          ws.onclose = () => resolve({ opened, frames })
        })
      const storage = Object.keys(sessionStorage).length + Object.keys(localStorage).length
      let exchange: number | string
      try {
        exchange = (
          await fetch(session, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ token: 'A'.repeat(43) }),
          })
        ).status
      } catch {
        exchange = 'blocked'
      }
      let pageRead: number | string
      try {
        pageRead = (await fetch(target.replace(/^ws/, 'http').replace(/\/api$/, '/'), { mode: 'cors' }))
          .status
      } catch {
        pageRead = 'blocked'
      }
      return {
        bare: await socket([protocol]),
        none: await socket([]),
        storage,
        exchange,
        pageRead,
      }
    },
    { target: socketUrl(), protocol: shellProtocol, session: `${stack.shell.origin}${shellPaths.session}` },
  )
  expect(outcome).toEqual({
    bare: { opened: false, frames: 0 },
    none: { opened: false, frames: 0 },
    storage: 0,
    exchange: 'blocked',
    pageRead: 'blocked',
  })
  expect(stack.logs.some((line) => /token=|sms-inbox\.tab\./.test(line))).toBe(false)
})

test('a page on another port gets nothing from the embedded backend, even holding its service key', async ({
  page,
}) => {
  await page.goto(foreignOrigin)
  const refusedBefore = stack.logs.filter((line) => line.includes('from a web page')).length
  const outcome = await page.evaluate(
    async ({ url, key }) => {
      const read = await fetch(`${url}/rest/v1/workspace_twilio_config?select=auth_token`, {
        headers: { apikey: key, authorization: `Bearer ${key}` },
      }).then(
        (response) => response.text(),
        () => 'blocked',
      )
      // A form-like POST needs no preflight: the browser sends it, so the server must refuse it.
      const signIn = await fetch(`${url}/auth/v1/token?grant_type=password&apikey=${key}`, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ email: 'ava@acme.test', password: 'inbox-demo-1' }),
      }).then(
        (response) => response.type,
        () => 'blocked',
      )
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${key}&vsn=2.0.0`)
        ws.onopen = () => resolve('open')
        ws.onclose = () => resolve('refused')
      })
      return { read, signIn, socket }
    },
    { url: stack.backend.url, key: stack.backend.serviceRoleKey },
  )
  expect(outcome).toEqual({ read: 'blocked', signIn: 'opaque', socket: 'refused' })
  // Refused by the backend itself (preflight, POST, upgrade), not only unread by the page.
  const refused = stack.logs.filter((line) => line.includes('from a web page')).length - refusedBefore
  expect(refused).toBe(3)
})

test('malformed frames and payloads get typed errors, and nothing else happens', async () => {
  const secret = await exchangeLaunchToken(stack.shell.url)
  const socket = new WebSocket(socketUrl(), tabProtocols(secret), { headers: { Origin: stack.shell.origin } })
  const replies: unknown[] = []
  await new Promise<void>((resolve) => socket.on('open', () => resolve()))
  socket.on('message', (data) => replies.push(JSON.parse(data.toString())))
  socket.send('not json')
  socket.send(JSON.stringify({ type: 'request', id: 2, channel: 'no.such.channel', payload: {} }))
  socket.send(JSON.stringify({ type: 'request', id: 3, channel: 'session.signIn', payload: { email: 5 } }))
  socket.send(
    JSON.stringify({
      type: 'request',
      id: 4,
      channel: 'conversations.markRead',
      payload: { contactId: 'x' },
    }),
  )
  await expect.poll(() => replies.length).toBe(3)
  socket.close()
  expect(replies).toEqual([
    {
      type: 'reply',
      id: 2,
      reply: {
        ok: false,
        error: { kind: 'invalid_input', message: expect.stringContaining('Unknown request channel') },
      },
    },
    {
      type: 'reply',
      id: 3,
      reply: {
        ok: false,
        error: { kind: 'invalid_input', message: expect.stringContaining('Invalid email') },
      },
    },
    {
      type: 'reply',
      id: 4,
      reply: { ok: false, error: { kind: 'invalid_input', message: expect.stringContaining('contactId') } },
    },
  ])
})
