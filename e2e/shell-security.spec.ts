/// <reference lib="dom" />
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from '@playwright/test'
import WebSocket from 'ws'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let foreign: Server
let foreignOrigin: string

test.beforeAll(async () => {
  stack = await startStack()
  // Another site on this machine, trying to reach the app from a browser tab.
  foreign = createServer((_request, response) => {
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

/** Opens a socket from Node with the given headers; resolves with what the host said. */
function tryNodeSocket(
  url: string,
  headers: Record<string, string>,
): Promise<{ opened: boolean; status?: number; frames: string[] }> {
  return new Promise((resolve) => {
    const frames: string[] = []
    const socket = new WebSocket(url, { headers })
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

test('without the launch token the page and the socket give nothing', async ({ request }) => {
  const page = await request.get(`${stack.shell.origin}/`)
  expect(page.status()).toBe(403)
  expect(await page.text()).not.toContain('<script')
  const wrong = await request.get(`${stack.shell.origin}/?token=not-the-token`)
  expect(wrong.status()).toBe(403)

  const socketUrl = `ws://127.0.0.1:${stack.shell.port}/api`
  const noCookie = await tryNodeSocket(socketUrl, { Origin: stack.shell.origin })
  expect(noCookie).toEqual({ opened: false, status: 403, frames: [] })
})

test('a valid session from another origin or host is refused', async ({ request }) => {
  const exchange = await request.get(stack.shell.url, { maxRedirects: 0 })
  expect(exchange.status()).toBe(303)
  const cookie = exchange.headers()['set-cookie']!.split(';')[0]!
  const socketUrl = `ws://127.0.0.1:${stack.shell.port}/api`

  const sameOrigin = await tryNodeSocket(socketUrl, { Origin: stack.shell.origin, Cookie: cookie })
  expect(sameOrigin.opened).toBe(true)
  expect(JSON.parse(sameOrigin.frames[0]!)).toMatchObject({ type: 'reply', id: 1, reply: { ok: true } })

  expect(await tryNodeSocket(socketUrl, { Origin: foreignOrigin, Cookie: cookie })).toEqual({
    opened: false,
    status: 403,
    frames: [],
  })
  expect(await tryNodeSocket(socketUrl, { Cookie: cookie })).toEqual({
    opened: false,
    status: 403,
    frames: [],
  })
  expect(
    await tryNodeSocket(`ws://127.0.0.1:${stack.shell.port}/api`, {
      Origin: 'http://attacker.test',
      Host: 'attacker.test',
      Cookie: cookie,
    }),
  ).toEqual({ opened: false, status: 403, frames: [] })
})

test('a page from another origin in the same browser gets nothing, even after the user signed in', async ({
  page,
}) => {
  await page.goto(stack.shell.url)
  await expect(page.getByRole('heading', { name: 'Sign in to SMS Inbox' })).toBeVisible()
  await page.goto(foreignOrigin)
  const outcome = await page.evaluate(
    (target) =>
      new Promise<{ opened: boolean; frames: number }>((resolve) => {
        let frames = 0
        let opened = false
        const socket = new WebSocket(target)
        socket.onopen = () => {
          opened = true
          socket.send(JSON.stringify({ type: 'request', id: 1, channel: 'session.get', payload: {} }))
        }
        socket.onmessage = () => {
          frames += 1
        }
        socket.onclose = () => resolve({ opened, frames })
      }),
    `ws://127.0.0.1:${stack.shell.port}/api`,
  )
  expect(outcome).toEqual({ opened: false, frames: 0 })
  const token = new URL(stack.shell.url).searchParams.get('token')!
  expect(stack.logs.some((line) => line.includes(token))).toBe(false)
  const fetched = await page.evaluate(async (target) => {
    try {
      const response = await fetch(target, { mode: 'cors' })
      return response.status
    } catch {
      return 'blocked'
    }
  }, `${stack.shell.origin}/`)
  expect(fetched).toBe('blocked')
})

test('malformed frames and payloads get typed errors, and nothing else happens', async ({ request }) => {
  const exchange = await request.get(stack.shell.url, { maxRedirects: 0 })
  const cookie = exchange.headers()['set-cookie']!.split(';')[0]!
  const socket = new WebSocket(`ws://127.0.0.1:${stack.shell.port}/api`, {
    headers: { Origin: stack.shell.origin, Cookie: cookie },
  })
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
        error: { kind: 'invalid_input', message: expect.stringContaining('session.signIn') },
      },
    },
    {
      type: 'reply',
      id: 4,
      reply: { ok: false, error: { kind: 'invalid_input', message: expect.stringContaining('contactId') } },
    },
  ])
})
