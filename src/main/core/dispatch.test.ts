import { describe, expect, it } from 'vitest'
import { requestChannels, requests, type RequestChannel } from '../../shared/contract.ts'
import { ok, type Result } from '../../shared/errors.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { seededRandom } from '../../../test/support/seeded-random.ts'
import { createDispatcher, createDispatcherRegistry, type Handlers } from './dispatch.ts'

const WS = '7c2e9b14-3f6a-4d81-9e05-b8a1c4d2f637'
const C = '3a8d5f20-c9b1-4e67-8f42-d16e0ab9c753'

/** One valid payload per channel; the fuzz mutates these and also throws pure noise at each channel. */
const valid: { [K in RequestChannel]: unknown } = {
  'app.info': {},
  'session.get': {},
  'session.signIn': { email: 'ava@acme.test', password: 'inbox-demo-1' },
  'session.signOut': {},
  'session.acceptInvite': { email: 'dana@example.test', code: '123456', password: 'a-new-password' },
  'workspaces.list': {},
  'conversations.list': { workspaceId: WS, filter: 'Open' },
  'conversations.search': { query: 'refund', workspaceId: null, limit: 20 },
  'conversations.setStatus': { contactId: C, status: 'Done' },
  'conversations.markRead': { contactId: C },
  'conversations.markUnread': { contactId: C },
  'thread.load': { contactId: C, before: null, limit: 50 },
  'messages.send': { workspaceId: WS, contactId: C, body: 'hi', seenMessageId: null },
  'messages.retry': { messageId: C },
  'messages.sendAnyway': { messageId: C },
  'messages.withdraw': { messageId: C },
  'connection.get': {},
  'embedded.get': {},
  'embedded.restart': {},
  'settings.get': {},
  'settings.update': { backend: { mode: 'embedded' }, notifications: {}, cacheRetentionDays: 30 },
  'view.report': { focused: true, openConversationId: null },
  'presence.report': { contactId: C, typing: true },
  'presence.get': {},
  'dev.simulateInbound': { workspaceId: WS, from: '+15551234567', body: 'hello' },
  'shell.openExternal': { url: 'https://example.com/help' },
  'members.list': { workspaceId: WS },
  'conversations.assign': { contactId: C, assigneeId: null },
  'notes.list': { contactId: C },
  'notes.add': { contactId: C, body: 'Call her back after 5', mentions: [WS] },
  'savedReplies.list': { workspaceId: WS },
  'consent.list': { contactId: C },
  'numbers.list': { workspaceId: WS },
  'contacts.rename': { contactId: C, name: 'Maria G.' },
  'contacts.activity': { contactId: C },
  'twilio.connection': { workspaceId: WS },
  'twilio.connect': {
    workspaceId: WS,
    accountSid: `AC${'1'.repeat(32)}`,
    apiKeySid: `SK${'2'.repeat(32)}`,
    secret: 'a secret',
  },
  'twilio.numbers': { workspaceId: WS },
  'twilio.import': { workspaceId: WS, numberSids: [`PN${'3'.repeat(32)}`] },
  'twilio.configure': { workspaceId: WS, numberSid: `PN${'3'.repeat(32)}` },
  'conversations.start': { workspaceId: WS, phoneNumber: '+14155550132' },
  'members.invite': { workspaceId: WS, email: 'dana@example.test', role: 'agent' },
  'members.changeRole': { workspaceId: WS, userId: C, role: 'admin' },
  'members.remove': { workspaceId: WS, userId: C },
  'audit.list': { workspaceId: WS, before: null, limit: 50 },
  'invitations.list': { workspaceId: WS },
  'invitations.revoke': { workspaceId: WS, invitationId: C },
}

function noise(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 2 ? 7 : 10))
  const strings = [
    '',
    'x',
    '💥'.repeat(5),
    'a'.repeat(5000),
    '__proto__',
    'javascript:alert(1)',
    '+1555',
    WS,
    '<script>',
    '\u0000',
  ]
  switch (pick) {
    case 0:
      return null
    case 1:
      return undefined
    case 2:
      return [Number.NaN, Infinity, -1, 0, 1.5, 2 ** 53, 1e308][Math.floor(random() * 7)]
    case 3:
      return strings[Math.floor(random() * strings.length)]
    case 4:
      return random() < 0.5
    case 5:
      return BigInt(7)
    case 6:
      return () => 1
    case 7:
      return Array.from({ length: Math.floor(random() * 4) }, () => noise(random, depth + 1))
    default: {
      const keys = [
        'workspaceId',
        'contactId',
        'body',
        'email',
        'limit',
        'filter',
        '__proto__',
        'constructor',
        'extra',
        'url',
        'backend',
      ]
      const out: Record<string, unknown> = {}
      for (let i = Math.floor(random() * 4); i > 0; i--)
        out[keys[Math.floor(random() * keys.length)]!] = noise(random, depth + 1)
      return out
    }
  }
}

function mutate(sample: unknown, random: () => number): unknown {
  if (!sample || typeof sample !== 'object') return noise(random)
  const copy: Record<string, unknown> = { ...(sample as Record<string, unknown>) }
  const keys = Object.keys(copy)
  const action = Math.floor(random() * 3)
  if (action === 0 && keys.length > 0) delete copy[keys[Math.floor(random() * keys.length)]!]
  else if (action === 1 && keys.length > 0) copy[keys[Math.floor(random() * keys.length)]!] = noise(random)
  else copy[`unexpected${Math.floor(random() * 10)}`] = noise(random)
  return copy
}

function spyHandlers(): { handlers: Handlers; calls: { channel: string; payload: unknown }[] } {
  const calls: { channel: string; payload: unknown }[] = []
  const handlers = Object.fromEntries(
    requestChannels.map((channel) => [
      channel,
      async (payload: unknown): Promise<Result<unknown>> => {
        calls.push({ channel, payload })
        return ok(null)
      },
    ]),
  ) as unknown as Handlers
  return { handlers, calls }
}

describe('dispatch', () => {
  it('fuzz: every channel rejects malformed payloads with a typed error, and no handler runs on them', async () => {
    const { logger } = createMemoryLogger('fuzz')
    const { handlers, calls } = spyHandlers()
    const dispatch = createDispatcher(handlers, logger)
    const random = seededRandom(20261124)
    let rejected = 0
    for (const channel of requestChannels) {
      for (let i = 0; i < 300; i++) {
        const payload = i % 2 === 0 ? noise(random) : mutate(valid[channel], random)
        const isValid = requests[channel].request.safeParse(payload).success
        const before = calls.length
        const reply = await dispatch(channel, payload)
        if (isValid) {
          expect(calls.length).toBe(before + 1)
          continue
        }
        rejected++
        expect(calls.length, `${channel} ran a handler on fuzz case ${i}`).toBe(before)
        expect(reply.ok).toBe(false)
        if (!reply.ok) {
          expect(reply.error.kind).toBe('invalid_input')
          expect(reply.error.message).not.toMatch(/\bat .*\.ts:\d+/)
        }
      }
    }
    expect(rejected).toBeGreaterThan(requestChannels.length * 200)
  })

  it('accepts each valid sample and hands exactly the parsed payload to its handler', async () => {
    const { logger } = createMemoryLogger('fuzz')
    const { handlers, calls } = spyHandlers()
    const dispatch = createDispatcher(handlers, logger)
    for (const channel of requestChannels) {
      const reply = await dispatch(channel, valid[channel])
      // Handlers here answer null, which only some response schemas allow: either way it is a typed value.
      expect(reply.ok || reply.error.kind === 'internal').toBe(true)
      expect(calls.at(-1)).toEqual({ channel, payload: valid[channel] })
    }
  })

  it('rejects unknown and prototype channel names', async () => {
    const { logger } = createMemoryLogger('fuzz')
    const { handlers, calls } = spyHandlers()
    const dispatch = createDispatcher(handlers, logger)
    for (const channel of [
      'nope',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      'session.get ',
    ]) {
      expect(await dispatch(channel, {})).toEqual({
        ok: false,
        error: { kind: 'invalid_input', message: 'Unknown request channel.' },
      })
    }
    expect(calls).toEqual([])
  })

  it('turns a throwing handler or an answer outside the contract into an internal error, without details', async () => {
    const { logger, lines } = createMemoryLogger('fuzz')
    const { handlers } = spyHandlers()
    handlers['session.get'] = async () => {
      throw new Error('secret stack detail at /home/app/main.ts:12')
    }
    handlers['connection.get'] = async () => ok({ status: 'sideways', lastSyncAt: null } as never)
    handlers['workspaces.list'] = async () =>
      ({ ok: false, error: { kind: 'nonsense', message: 'x' } }) as never
    const dispatch = createDispatcher(handlers, logger)
    const thrown = await dispatch('session.get', {})
    expect(thrown).toEqual({
      ok: false,
      error: { kind: 'internal', message: 'Something went wrong in the app. Please try again.' },
    })
    expect(await dispatch('connection.get', {})).toEqual({
      ok: false,
      error: { kind: 'internal', message: 'The app produced an invalid answer.' },
    })
    expect(await dispatch('workspaces.list', {})).toEqual({
      ok: false,
      error: { kind: 'internal', message: 'Something went wrong in the app.' },
    })
    expect(lines.some((line) => line.includes('request handler threw'))).toBe(true)
  })
})

describe('dispatcher registry', () => {
  const answers = (value: string) => async () => ok({ version: value, embedded: false, demoAccounts: [] })

  it('answers only the channels registered so far, and lists the rest', async () => {
    const { logger } = createMemoryLogger('registry')
    const dispatcher = createDispatcherRegistry(logger)
    dispatcher.register({ 'app.info': answers('1.0.0') })
    expect(await dispatcher.dispatch('app.info', {})).toEqual({
      ok: true,
      value: { version: '1.0.0', embedded: false, demoAccounts: [] },
    })
    expect(await dispatcher.dispatch('session.get', {})).toEqual({
      ok: false,
      error: { kind: 'invalid_input', message: 'Unknown request channel.' },
    })
    expect(dispatcher.unregistered()).toEqual(requestChannels.filter((c) => c !== 'app.info'))
    // A registered channel still validates its payload before the handler runs.
    expect(await dispatcher.dispatch('app.info', { extra: 1 })).toMatchObject({
      ok: false,
      error: { kind: 'invalid_input' },
    })
  })

  it('refuses a second capability claiming a channel, keeping the first', async () => {
    const { logger } = createMemoryLogger('registry')
    const dispatcher = createDispatcherRegistry(logger)
    dispatcher.register({ 'app.info': answers('first') })
    expect(() => dispatcher.register({ 'app.info': answers('second') })).toThrow(
      'Two capabilities answer app.info.',
    )
    expect(await dispatcher.dispatch('app.info', {})).toMatchObject({ value: { version: 'first' } })
  })
})
