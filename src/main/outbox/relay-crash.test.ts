import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import type { SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { startTwilioDouble, type TwilioDouble } from '../../../local-backend/twilio/double.ts'
import { ACME, accessToken, ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { serviceClient } from '../../../relay/embedded.ts'
import { FROZEN_MARKER } from '../../../relay/fault-freeze.ts'
import type { FaultPoint } from '../../../relay/leased-send.ts'
import { until } from '../../../test/support/until.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { Cache } from '../cache/cache.ts'
import { createOutbox } from './outbox.ts'

/*
 * The real relay process (relay/cli.ts) is frozen at a point of a send, between its
 * insert and Twilio's answer, and SIGKILLed there; then a new one starts. Whether the
 * sends are driven on by the app's outbox repeating them, or only by the new relay's
 * sweep, every reply must reach Twilio exactly once and end delivered, and leave from
 * the number it was sent from: one reply of each run is chosen from Acme's second number.
 */

const root = resolve(import.meta.dirname, '../../..')
const node = join(root, 'node_modules/.bin/node')
const cli = join(root, 'relay/cli.ts')
const { logger } = createMemoryLogger('relay-crash-test')
/** Acme's second number, chosen for one reply of each run: whoever finishes the send must use it. */
const SECOND_NUMBER = '+15550100051'

let backend: LocalBackend
let double: TwilioDouble
let service: SupabaseClient
let token: string
let contacts: TestContact[]
let relayPort: number
let dir: string

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((done) => server.close(() => done()))
  return port
}

interface RelayProcess {
  child: ChildProcessByStdio<null, Readable, Readable>
  listening: Promise<void>
  frozen: Promise<void>
  exited: Promise<NodeJS.Signals | null>
  output: () => string
}

/** relay/cli.ts on the same port every time, as Twilio's status callback URLs name it. */
function startRelay(freezeAt?: FaultPoint): RelayProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(SUPABASE_|RELAY_|TWILIO_|PORT$|HOST$)/.test(name)),
  )
  const child = spawn(node, [cli], {
    env: {
      ...inherited,
      SUPABASE_URL: backend.url,
      SUPABASE_SECRET_KEY: backend.secretKey,
      RELAY_PUBLIC_URL: `http://127.0.0.1:${relayPort}`,
      PORT: String(relayPort),
      TWILIO_API_BASE_URL: double.url,
      RELAY_SEND_LEASE_MS: '3000',
      TWILIO_TIMEOUT_MS: '1000',
      RELAY_SWEEP_INTERVAL_MS: '200',
      RELAY_STATUS_CHECK_AFTER_MS: '500',
      ...(freezeAt ? { RELAY_FAULT_FREEZE_AT: freezeAt } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const seen = (text: string) =>
    new Promise<void>((done, fail) => {
      const check = () => {
        if (output.includes(text)) done()
      }
      child.stdout.on('data', check)
      child.once('exit', (code, signal) =>
        fail(new Error(`relay exited (${code ?? signal}) before "${text}"`)),
      )
      check()
    })
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise<NodeJS.Signals | null>((done) =>
    child.once('exit', (_code, signal) => done(signal)),
  )
  const frozen = seen(FROZEN_MARKER)
  // Only the frozen relay's marker matters; the others exit without ever printing it.
  frozen.catch(() => undefined)
  return { child, listening: seen('relay listening'), frozen, exited, output: () => output }
}

async function stopRelay(relay: RelayProcess) {
  relay.child.kill('SIGTERM')
  await relay.exited
}

let demo: DemoIds

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  double = await startTwilioDouble({
    accounts: [{ sid: ACME.accountSid, authToken: ACME.authToken, numbers: [ACME.number, SECOND_NUMBER] }],
    logger,
    callbackDelayMs: 20,
  })
  service = serviceClient(backend)
  demo = await demoIds(backend.db)
  await service
    .from('twilio_numbers')
    .insert({
      workspace_id: demo.acme,
      phone_number: SECOND_NUMBER,
      twilio_sid: 'PN0123456789abcdef0123456789abcd51',
    })
    .throwOnError()
  token = await accessToken(backend, 'ben@acme.test')
  contacts = await Promise.all(
    ['+15557600001', '+15557600002', '+15557600003'].map((phone) => ensureContact(service, demo.acme, phone)),
  )
  relayPort = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'relay-crash-test-'))
})

afterAll(async () => {
  await double?.stop()
  await backend?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Resolves true when `promise` settles within `ms`, false when the bound ran out first. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms)
    void promise.then(() => {
      clearTimeout(timer)
      done(true)
    })
  })
}

/** `senders` names the number each body must leave from. */
async function counts(bodies: string[], senders: ReadonlyMap<string, string>) {
  const atTwilio = [...double.messages.values()].filter((message) => bodies.includes(String(message.body)))
  const distinct = new Set(atTwilio.map((message) => message.body)).size
  const wrongSender = atTwilio.filter((message) => message.from !== senders.get(String(message.body))).length
  const { data } = await service
    .from('messages')
    .select('content, status')
    .in('content', bodies)
    .throwOnError()
  const rows = data as { content: string; status: string }[]
  return {
    lost: bodies.length - distinct,
    duplicated: atTwilio.length - distinct,
    stuck: bodies.length - rows.filter((row) => row.status === 'delivered').length,
    wrongSender,
    rows: rows.length,
  }
}

describe.each([
  ['after-insert', 'outbox'],
  ['after-twilio', 'outbox'],
  ['after-insert', 'sweep'],
  ['after-twilio', 'sweep'],
] as const)('the relay SIGKILLed %s, driven on by the %s', (point, driver) => {
  it('reaches Twilio exactly once per reply, and every reply ends delivered', async () => {
    const frozenRelay = startRelay(point)
    await frozenRelay.listening
    const relayUrl = `http://127.0.0.1:${relayPort}`
    const run = randomUUID().slice(0, 8)
    const cache = Cache.open(join(dir, `${point}-${driver}.sqlite`))
    const outbox = createOutbox({
      cache,
      relayUrl,
      accessToken: () => Promise.resolve(token),
      refreshSession: () => Promise.resolve(true),
      onMessage: () => {},
      logger,
      baseDelayMs: 50,
      maxDelayMs: 400,
    })
    const senders = new Map<string, string>()
    if (driver === 'outbox') {
      // One reply per conversation, so all three are in flight when the relay freezes.
      contacts.forEach((contact, index) => {
        const body = `Crash ${run} ${point} reply ${index}`
        const fromNumber = index === 1 ? SECOND_NUMBER : null
        senders.set(body, fromNumber ?? ACME.number)
        outbox.send({ workspaceId: demo.acme, contactId: contact.id, body, userId: demo.ben, fromNumber })
      })
    } else {
      // No client repeats this one: only the new relay's sweep can finish it, from the number it was given.
      const body = `Crash ${run} ${point} swept`
      senders.set(body, SECOND_NUMBER)
      void fetch(`${relayUrl}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          workspace_id: demo.acme,
          contact_id: contacts[0]!.id,
          body,
          from_number: SECOND_NUMBER,
          client_message_id: randomUUID(),
        }),
      }).catch(() => undefined)
    }
    const bodies = [...senders.keys()]

    await frozenRelay.frozen
    const atKill = await counts(bodies, senders)
    frozenRelay.child.kill('SIGKILL')
    expect(await frozenRelay.exited).toBe('SIGKILL')

    const relay = startRelay()
    try {
      await relay.listening
      outbox.kick()
      // The outbox of the sweep-driven run is empty: it drains at once.
      const drained = await within(outbox.drained(), 30_000)
      await until(
        async () => (await counts(bodies, senders)).stuck === 0,
        'every reply delivered',
        30_000,
      ).catch(() => undefined)
      const after = await counts(bodies, senders)
      console.log(
        `relay SIGKILL ${point}, ${driver}: ${bodies.length} replies; at the kill ${atKill.rows} stored, ` +
          `${bodies.length - atKill.lost} at Twilio; after restart lost ${after.lost}, ` +
          `duplicated ${after.duplicated}, stuck ${after.stuck}, from the wrong number ${after.wrongSender}`,
      )
      expect(drained, relay.output()).toBe(true)
      const { lost, duplicated, stuck, wrongSender } = after
      expect({ lost, duplicated, stuck, wrongSender }, relay.output()).toEqual({
        lost: 0,
        duplicated: 0,
        stuck: 0,
        wrongSender: 0,
      })
    } finally {
      await outbox.stop()
      cache.close()
      await stopRelay(relay)
    }
  }, 90_000)
})
