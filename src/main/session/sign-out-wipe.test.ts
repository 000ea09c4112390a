import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, connect, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postInboundSms } from '../../../local-backend/twilio/inbound.ts'
import { ACME, DEMO_PASSWORD, ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { until } from '../../../test/support/until.ts'
import type { Reply } from '../core/dispatch.ts'
import { agentFiles } from './sign-out-wipe.ts'

/**
 * Sign-out against the real stack, with the core in a child process of its own: it
 * syncs customer texts carrying distinctive markers, queues a reply the relay cannot
 * take (its address is closed), signs out, and then every byte of every file it wrote
 * is searched for the markers. The embedded backend's Postgres data is the server's
 * truth and is not the app's to wipe; this core talks to a backend outside its folder.
 */
const childEntry = join(import.meta.dirname, '../../../test/support/core-child.ts')
const nodeBinary = join(import.meta.dirname, '../../../node_modules/.bin/node')
const dirs: string[] = []
let stack: RelayStack
let contact: TestContact

beforeAll(async () => {
  stack = await startRelayStack()
  contact = await ensureContact(stack.service, stack.demo.acme, '+15557040001', 'Wipe Tester')
})

afterAll(async () => {
  await stack.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A port nothing listens on: the relay as the core sees it is unreachable, so a reply stays queued. */
async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

interface CoreChild {
  process: ChildProcessWithoutNullStreams
  exited: Promise<unknown>
  request(channel: string, payload: unknown): Promise<Reply>
  call<T>(channel: string, payload: unknown): Promise<T>
  /** Sends a request without waiting for its answer. */
  send(channel: string, payload: unknown): void
}

function startCoreChild(userDataDir: string, secretKey: string, supabaseUrl: string, relayUrl: string) {
  const child = spawn(nodeBinary, [childEntry], {
    env: {
      ...process.env,
      CORE_USER_DATA_DIR: userDataDir,
      CORE_SECRET_KEY: secretKey,
      CORE_SUPABASE_URL: supabaseUrl,
      CORE_PUBLISHABLE_KEY: stack.backend.publishableKey,
      CORE_RELAY_URL: relayUrl,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  const waiting = new Map<number, (reply: Reply) => void>()
  let nextId = 1
  const stderr: string[] = []
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  createInterface({ input: child.stdout }).on('line', (line) => {
    const { id, reply } = JSON.parse(line) as { id: number; reply: Reply }
    waiting.get(id)?.(reply)
    waiting.delete(id)
  })
  const send = (channel: string, payload: unknown, onReply?: (reply: Reply) => void) => {
    const id = nextId++
    if (onReply) waiting.set(id, onReply)
    child.stdin.write(`${JSON.stringify({ id, channel, payload })}\n`)
  }
  const core: CoreChild = {
    process: child,
    exited,
    send: (channel, payload) => send(channel, payload),
    request: (channel, payload) =>
      new Promise<Reply>((resolve, reject) => {
        void exited.then(() => reject(new Error(`the core exited: ${stderr.join('')}`)))
        send(channel, payload, resolve)
      }),
    async call<T>(channel: string, payload: unknown) {
      const reply = await core.request(channel, payload)
      if (!reply.ok) throw new Error(`${channel}: ${reply.error.message}`)
      return reply.value as T
    },
  }
  return core
}

/** Every file under `dir` holding any of `markers`, with the markers it holds. */
function filesHolding(dir: string, markers: string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const bytes = readFileSync(path)
    const hits = markers.filter((marker) => bytes.includes(Buffer.from(marker, 'utf8')))
    if (hits.length > 0) found[relative(dir, path)] = hits
  }
  return found
}

/** How many messages of the test's conversation, as the core's cache serves them, contain `text`. */
async function cachedTexts(core: CoreChild, text: string): Promise<number> {
  const reply = await core.request('thread.load', { contactId: contact.id, before: null, limit: 200 })
  // Until the conversation itself has synced, the core has no thread to load.
  if (!reply.ok && reply.error.kind === 'not_found') return 0
  if (!reply.ok) throw new Error(reply.error.message)
  const { messages } = reply.value as { messages: { content: string }[] }
  return messages.filter((message) => message.content.includes(text)).length
}

/** A signed-in core whose cache holds `count` customer texts, each with a marker, and one queued reply. */
async function signedInWithCustomerTexts(supabaseUrl: string, count: number) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'sign-out-wipe-'))
  dirs.push(userDataDir)
  const secretKey = randomBytes(32).toString('hex')
  const relayUrl = `http://127.0.0.1:${await closedPort()}/functions/v1/sms-relay`
  const core = startCoreChild(userDataDir, secretKey, supabaseUrl, relayUrl)
  await core.call('session.signIn', { email: 'ben@acme.test', password: DEMO_PASSWORD })
  const run = randomBytes(6).toString('hex')
  const texts = Array.from({ length: count }, (_, i) => `parcel${run}customer${i}`)
  for (const body of texts) {
    const posted = await postInboundSms({
      relayUrl: stack.relayUrl,
      accountSid: ACME.accountSid,
      authToken: ACME.authToken,
      to: ACME.number,
      from: contact.phone_number,
      body: `Where is my ${body} please`,
    })
    expect(posted.status).toBe(200)
  }
  await until(async () => (await cachedTexts(core, run)) === count, `${count} customer texts in the cache`)
  const reply = `refund${run}reply`
  const queued = await core.call<{ status: string }>('messages.send', {
    workspaceId: stack.demo.acme,
    contactId: contact.id,
    body: `Your ${reply} is on its way`,
  })
  expect(queued.status).toBe('queued')
  return { core, userDataDir, secretKey, relayUrl, markers: [...texts, reply] }
}

/**
 * A TCP proxy to the backend that forwards everything (REST, Realtime's WebSocket)
 * but holds the sign-out request (supabase-js's POST /auth/v1/logout) unanswered
 * until released.
 */
async function holdingLogoutProxy(target: string) {
  const { hostname, port } = new URL(target)
  const sockets = new Set<{ destroy(): void }>()
  let seen!: () => void
  const logoutSeen = new Promise<void>((resolve) => (seen = resolve))
  let holding = true
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    sockets.add(client).add(upstream)
    upstream.pipe(client)
    client.on('data', (chunk: Buffer) => {
      if (holding && chunk.includes('POST /auth/v1/logout')) seen()
      else upstream.write(chunk)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logoutSeen,
    release() {
      holding = false
    },
    close() {
      server.close()
      for (const socket of sockets) socket.destroy()
    },
  }
}

const filesFor = (userDataDir: string, supabaseUrl: string) =>
  agentFiles(userDataDir, {
    mode: 'custom',
    supabaseUrl,
    publishableKey: stack.backend.publishableKey,
    relayUrl: '',
  })

describe('sign-out', () => {
  it('leaves no byte of a customer’s text in any file the app wrote', async () => {
    const { core, userDataDir, markers } = await signedInWithCustomerTexts(stack.backend.url, 27)
    // The search can find them, so it would find what sign-out leaves behind.
    expect(Object.keys(filesHolding(userDataDir, markers)).length).toBeGreaterThan(0)

    expect(await core.call('session.signOut', {})).toEqual({ status: 'signed-out', reason: null })
    core.process.stdin.end()
    expect(await core.exited).toEqual([0, null])

    expect(filesHolding(userDataDir, markers)).toEqual({})
    expect(existsSync(join(userDataDir, 'logs'))).toBe(true)
    const files = filesFor(userDataDir, stack.backend.url)
    expect([files.session, files.signOutMarker].filter((file) => existsSync(file))).toEqual([])
  })

  it('killed midway, is finished on the next start: never a half-wiped cache the app trusts', async () => {
    const held = await holdingLogoutProxy(stack.backend.url)
    const { core, userDataDir, secretKey, relayUrl, markers } = await signedInWithCustomerTexts(held.url, 5)
    core.send('session.signOut', {})
    // The server's sign-out call is held: the core is mid-sign-out when it is killed.
    await held.logoutSeen
    core.process.kill('SIGKILL')
    await core.exited

    const files = filesFor(userDataDir, held.url)
    expect(existsSync(files.signOutMarker)).toBe(true)
    // Killed before its cache was wiped: the customer texts are still on disk.
    expect(Object.keys(filesHolding(userDataDir, markers)).length).toBeGreaterThan(0)

    // The next start reaches the same backend at the same address, which keys its files.
    held.release()
    const next = startCoreChild(userDataDir, secretKey, held.url, relayUrl)
    expect(await next.call('session.get', {})).toEqual({ status: 'signed-out', reason: null })
    expect(filesHolding(userDataDir, markers)).toEqual({})
    expect(existsSync(files.signOutMarker)).toBe(false)
    // Signed in again, the agent starts from an empty cache that fills from the server.
    await next.call('session.signIn', { email: 'ben@acme.test', password: DEMO_PASSWORD })
    await until(
      async () => (await cachedTexts(next, markers[0]!)) === 1,
      'the synced texts after signing in again',
    )
    next.process.stdin.end()
    expect(await next.exited).toEqual([0, null])
    held.close()
  })
})
