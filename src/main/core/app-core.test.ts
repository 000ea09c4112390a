import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postInboundSms } from '../../../local-backend/twilio/inbound.ts'
import { ACME, GLOBEX, ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import type { EventChannel } from '../../shared/contract.ts'
import type {
  Badge,
  BackendSettings,
  Conversation,
  DesktopNotification,
  Message,
  Workspace,
} from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import type { Platform } from '../platform-interface.ts'
import { createAesSecretStore } from '../secrets.ts'
import { until } from '../../../test/support/until.ts'
import { createAppCore, type AppCore } from './app-core.ts'

const { logger } = createMemoryLogger('core-test')
const dirs: string[] = []

interface TestPlatform extends Platform {
  notifications: DesktopNotification[]
  badges: Badge[]
  opened: string[]
  resume(): void
  network(online: boolean): void
}

/** The host's side of the Platform, recorded: what Electron would show, and its power/network signals. */
function testPlatform(): TestPlatform {
  const dir = mkdtempSync(join(tmpdir(), 'core-test-'))
  dirs.push(dir)
  const resumeListeners = new Set<() => void>()
  const networkListeners = new Set<(online: boolean) => void>()
  const platform: TestPlatform = {
    userDataDir: dir,
    appVersion: '9.9.9',
    secretStore: createAesSecretStore(randomBytes(32)),
    notifications: [],
    badges: [],
    opened: [],
    notify: (n) => platform.notifications.push(n),
    setBadge: (b) => platform.badges.push(b),
    onResume: (listener) => {
      resumeListeners.add(listener)
      return () => resumeListeners.delete(listener)
    },
    onNetworkChange: (listener) => {
      networkListeners.add(listener)
      return () => networkListeners.delete(listener)
    },
    openExternal: async (url) => {
      platform.opened.push(url)
    },
    resume: () => resumeListeners.forEach((listener) => listener()),
    network: (online) => networkListeners.forEach((listener) => listener(online)),
  }
  return platform
}

function recorder(core: AppCore) {
  const events: { event: EventChannel; payload: unknown }[] = []
  core.subscribe((event, payload) => events.push({ event, payload }))
  return events
}

async function value<T>(core: AppCore, channel: string, payload: unknown): Promise<T> {
  const reply = await core.dispatch(channel, payload)
  if (!reply.ok) throw new Error(`${channel}: ${reply.error.kind} ${reply.error.message}`)
  return reply.value as T
}

/** A customer texts Globex through the embedded stack's simulator; resolves once the core has the message. */
async function simulateInbound(
  core: AppCore,
  events: ReturnType<typeof recorder>,
  from: string,
  body: string,
) {
  expect(await value(core, 'dev.simulateInbound', { workspaceId: GLOBEX.workspaceId, from, body })).toBeNull()
  await until(
    () => events.some((e) => e.event === 'message.upserted' && (e.payload as Message).content === body),
    `the simulated SMS "${body}"`,
  )
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('app core against the local backend, relay and Twilio double', () => {
  let stack: RelayStack
  let platform: TestPlatform
  let core: AppCore
  let events: { event: EventChannel; payload: unknown }[]
  let contact: TestContact

  beforeAll(async () => {
    stack = await startRelayStack()
    contact = await ensureContact(stack.service, ACME.workspaceId, '+15557030001', 'Core Tester')
    platform = testPlatform()
    const settings: BackendSettings = {
      mode: 'custom',
      supabaseUrl: stack.backend.url,
      anonKey: stack.backend.anonKey,
      relayUrl: stack.relayUrl,
    }
    core = createAppCore(platform, { backend: settings, logger })
    events = recorder(core)
  })

  afterAll(async () => {
    await core.dispose()
    await stack.stop()
  })

  const inbound = (body: string) =>
    postInboundSms({
      relayUrl: stack.relayUrl,
      accountSid: ACME.accountSid,
      authToken: ACME.authToken,
      to: ACME.number,
      from: contact.phone_number,
      body,
    })

  it('starts signed out and refuses inbox requests until sign-in', async () => {
    expect(await value(core, 'session.get', {})).toEqual({ status: 'signed-out', reason: null })
    expect(await value(core, 'app.info', {})).toEqual({ version: '9.9.9', embedded: false, demoAccounts: [] })
    expect(await core.dispatch('workspaces.list', {})).toEqual({
      ok: false,
      error: { kind: 'unauthorized', message: 'Please sign in first.' },
    })
    expect(
      await core.dispatch('messages.send', { workspaceId: 'nope', contactId: contact.id, body: 'x' }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'invalid_input' },
    })
    const wrong = await core.dispatch('session.signIn', { email: 'ava@acme.test', password: 'nope' })
    expect(wrong).toEqual({ ok: false, error: { kind: 'unauthorized', message: 'Wrong email or password.' } })
  })

  it('signs in, syncs the workspace and serves the inbox from the cache', async () => {
    const state = await value(core, 'session.signIn', { email: 'ava@acme.test', password: 'inbox-demo-1' })
    expect(state).toMatchObject({
      status: 'signed-in',
      persistence: 'encrypted',
      user: { email: 'ava@acme.test' },
    })
    await until(
      async () => (await value<{ status: string }>(core, 'connection.get', {})).status === 'live',
      'live',
    )
    const workspaces = await value<Workspace[]>(core, 'workspaces.list', {})
    expect(workspaces.map((w) => [w.name, w.canSend, w.sendingNumber])).toEqual([
      ['Acme Support', true, '+15550100001'],
    ])
    const list = await value<{ items: { id: string }[]; counts: { All: number } }>(
      core,
      'conversations.list',
      {
        workspaceId: ACME.workspaceId,
        filter: 'All',
      },
    )
    expect(list.items.some((c) => c.id === contact.id)).toBe(true)
    expect(list.counts.All).toBe(list.items.length)
    // The renderer paints a first page and fetches the rest after it, with the same order and counts.
    type Page = { items: Conversation[]; counts: { All: number }; hasMore: boolean }
    const first = await value<Page>(core, 'conversations.list', {
      workspaceId: ACME.workspaceId,
      filter: 'All',
      limit: 2,
    })
    expect(first).toMatchObject({ hasMore: true, counts: list.counts })
    const last = first.items.at(-1)!
    const rest = await value<Page>(core, 'conversations.list', {
      workspaceId: ACME.workspaceId,
      filter: 'All',
      limit: 10_000,
      after: { lastMessageAt: last.lastMessageAt, id: last.id },
    })
    expect(rest.hasMore).toBe(false)
    expect([...first.items, ...rest.items].map((c) => c.id)).toEqual(list.items.map((c) => c.id))
    expect(
      await core.dispatch('conversations.list', { workspaceId: ACME.workspaceId, filter: 'All', limit: 0 }),
    ).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(
      await core.dispatch('conversations.list', {
        workspaceId: ACME.workspaceId,
        filter: 'All',
        after: { lastMessageAt: null, id: 'x' },
      }),
    ).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(
      await core.dispatch('conversations.list', { workspaceId: GLOBEX.workspaceId, filter: 'All' }),
    ).toEqual({
      ok: false,
      error: { kind: 'forbidden', message: 'You are not a member of this workspace.' },
    })
    expect(events.some((e) => e.event === 'workspaces.changed')).toBe(true)
    expect(platform.badges.at(-1)?.total).toBe(workspaces[0]!.unreadTotal)
  })

  it('notifies for inbound SMS only when the agent is not looking at that conversation, and keeps the badge', async () => {
    const badgeBefore = platform.badges.at(-1)?.total ?? 0
    await value(core, 'view.report', { focused: false, openConversationId: null })
    expect((await inbound('Is the zebra-striped case back in stock?')).status).toBeLessThan(300)
    await until(() => platform.notifications.length === 1, 'a notification')
    expect(platform.notifications[0]).toMatchObject({
      title: 'Core Tester · Acme Support',
      body: 'Is the zebra-striped case back in stock?',
      workspaceId: ACME.workspaceId,
      contactId: contact.id,
    })
    await until(() => (platform.badges.at(-1)?.total ?? 0) === badgeBefore + 1, 'the badge to count it')

    await value(core, 'view.report', { focused: true, openConversationId: contact.id })
    expect((await inbound('Never mind, found it')).status).toBeLessThan(300)
    await until(
      () =>
        events.some(
          (e) => e.event === 'message.upserted' && (e.payload as Message).content === 'Never mind, found it',
        ),
      'the second message',
    )
    expect(platform.notifications).toHaveLength(1)

    const hits = await value<{ field: string; conversation: { id: string } }[]>(
      core,
      'conversations.search',
      {
        query: 'zebra',
        workspaceId: null,
        limit: 10,
      },
    )
    expect(hits).toEqual([
      expect.objectContaining({
        field: 'message',
        conversation: expect.objectContaining({ id: contact.id }),
      }),
    ])

    expect(await value(core, 'conversations.markRead', { contactId: contact.id })).toBeNull()
    await until(
      () => platform.badges.at(-1)?.total === badgeBefore,
      'the badge to drop the read conversation',
    )
    const { data } = await stack.service.from('contacts').select('unread_count').eq('id', contact.id).single()
    expect((data as { unread_count: number }).unread_count).toBe(0)

    core.notificationClicked({ workspaceId: ACME.workspaceId, contactId: contact.id })
    expect(events.at(-1)).toEqual({
      event: 'navigation.open',
      payload: { workspaceId: ACME.workspaceId, contactId: contact.id },
    })
  })

  it('sends through the outbox and the bubble follows the relay and Twilio', async () => {
    const sent = await value<Message>(core, 'messages.send', {
      workspaceId: ACME.workspaceId,
      contactId: contact.id,
      body: 'It ships Monday.',
    })
    expect(sent.status).toBe('queued')
    await until(
      () =>
        events.some(
          (e) =>
            e.event === 'message.upserted' &&
            (e.payload as Message).id === sent.id &&
            (e.payload as Message).status !== 'queued',
        ),
      'the relay to accept it',
    )
    const thread = await value<{ messages: Message[] }>(core, 'thread.load', {
      contactId: contact.id,
      before: null,
      limit: 50,
    })
    expect(thread.messages.filter((m) => m.id === sent.id)).toHaveLength(1)
    expect(thread.messages.map((m) => m.content)).toContain('Never mind, found it')
    const done = await value<{ status: string }>(core, 'conversations.setStatus', {
      contactId: contact.id,
      status: 'Done',
    })
    expect(done.status).toBe('Done')
  })

  it('survives resume and network signals, and opens only validated external links', async () => {
    platform.network(false)
    expect(await value(core, 'connection.get', {})).toMatchObject({ status: 'offline' })
    platform.network(true)
    platform.resume()
    await until(
      async () => (await value<{ status: string }>(core, 'connection.get', {})).status === 'live',
      'live again',
    )
    expect(await value(core, 'shell.openExternal', { url: 'https://example.com/docs' })).toBeNull()
    expect(await core.dispatch('shell.openExternal', { url: 'file:///etc/passwd' })).toMatchObject({
      ok: false,
      error: { kind: 'invalid_input' },
    })
    expect(await core.dispatch('shell.openExternal', { url: 'javascript:alert(1)' })).toMatchObject({
      ok: false,
      error: { kind: 'invalid_input' },
    })
    expect(platform.opened).toEqual(['https://example.com/docs'])
    expect(
      await core.dispatch('dev.simulateInbound', {
        workspaceId: ACME.workspaceId,
        from: '+15551112222',
        body: 'x',
      }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'not_configured' },
    })
  })

  it('signs out, clearing the cache', async () => {
    expect(await value(core, 'session.signOut', {})).toEqual({ status: 'signed-out', reason: null })
    expect(
      await core.dispatch('conversations.list', { workspaceId: ACME.workspaceId, filter: 'All' }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'unauthorized' },
    })
    expect(platform.badges.at(-1)).toEqual({ total: 0, perWorkspace: {} })
  })
})

describe('app core, embedded default', () => {
  it('starts the embedded stack in a child process, offers demo accounts, simulates inbound SMS, and switches backend on a settings change', async () => {
    const platform = testPlatform()
    const core = createAppCore(platform, { env: {}, logger, embeddedPort: 0 })
    const events = recorder(core)
    try {
      const info = await value<{ embedded: boolean; demoAccounts: { email: string }[] }>(core, 'app.info', {})
      expect(info.embedded).toBe(true)
      expect(info.demoAccounts.map((a) => a.email)).toEqual([
        'ava@acme.test',
        'ben@acme.test',
        'cleo@globex.test',
      ])
      await value(core, 'session.signIn', { email: 'cleo@globex.test', password: 'inbox-demo-1' })
      await until(
        async () => (await value<{ status: string }>(core, 'connection.get', {})).status === 'live',
        'live',
      )
      await value(core, 'view.report', { focused: false, openConversationId: null })
      await simulateInbound(core, events, '+15557040001', 'Hello from the simulator')
      await until(
        () => platform.notifications.some((n) => n.body === 'Hello from the simulator'),
        'its notification',
      )

      const unreachable: BackendSettings = {
        mode: 'custom',
        supabaseUrl: 'http://127.0.0.1:9',
        anonKey: 'an-anon-key-that-is-long-enough',
        relayUrl: 'http://127.0.0.1:9/functions/v1/sms-relay',
      }
      const updated = await value(core, 'settings.update', { backend: unreachable, notifications: {} })
      expect(updated).toEqual({ backend: unreachable, notifications: {}, cacheRetentionDays: 90 })
      expect(await value(core, 'app.info', {})).toMatchObject({ embedded: false, demoAccounts: [] })
      expect(await value(core, 'session.get', {})).toMatchObject({ status: 'signed-out' })
      expect(
        await core.dispatch('settings.update', {
          backend: { mode: 'custom', supabaseUrl: 'ftp://x' },
          notifications: {},
        }),
      ).toMatchObject({
        ok: false,
        error: { kind: 'invalid_input' },
      })
    } finally {
      await core.dispose()
    }
  }, 120_000)

  it('keeps the cache retention the agent chooses, within bounds, in the settings file', async () => {
    const platform = testPlatform()
    const core = createAppCore(platform, { env: { SUPABASE_URL: 'not a url' }, logger })
    try {
      expect(await value(core, 'settings.get', {})).toMatchObject({ cacheRetentionDays: 90 })
      const chosen = { backend: { mode: 'embedded' }, notifications: {}, cacheRetentionDays: 365 }
      expect(await value(core, 'settings.update', chosen)).toEqual(chosen)
      const file = JSON.parse(readFileSync(join(platform.userDataDir, 'settings.json'), 'utf8')) as unknown
      expect(file).toMatchObject({ cacheRetentionDays: 365 })
      expect(await core.dispatch('settings.update', { ...chosen, cacheRetentionDays: 3 })).toMatchObject({
        ok: false,
        error: { kind: 'invalid_input' },
      })
      expect(await value(core, 'settings.get', {})).toMatchObject({ cacheRetentionDays: 365 })
    } finally {
      await core.dispose()
    }
  })

  it('names a malformed environment configuration instead of silently using another backend', async () => {
    const core = createAppCore(testPlatform(), { env: { SUPABASE_URL: 'not a url' }, logger })
    try {
      expect(await value(core, 'session.get', {})).toEqual({
        status: 'signed-out',
        reason: 'SUPABASE_URL is not valid: Invalid URL',
      })
      expect(await core.dispatch('session.signIn', { email: 'ava@acme.test', password: 'x' })).toMatchObject({
        ok: false,
        error: { kind: 'not_configured' },
      })
    } finally {
      await core.dispose()
    }
  })
})

/** This test process's children (Linux `ps`); a killed child stays listed, defunct, until it is reaped and its exit handled. */
function children(): { pid: number; args: string }[] {
  const listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
  return listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({ pid: Number.parseInt(line.trim(), 10), args: line.trim().replace(/^\d+\s+/, '') }))
}

const embeddedChildren = () =>
  children()
    .filter((child) => child.args.includes('embedded-stack'))
    .map((child) => child.pid)
const reaped = (pid: number) => !children().some((child) => child.pid === pid)

describe('app core, embedded server crash', () => {
  it('restarts a crashed embedded server and carries on signed in, then gives up on a crash loop with the cache still readable', async () => {
    const platform = testPlatform()
    const core = createAppCore(platform, { env: {}, logger, embeddedPort: 0 })
    const events = recorder(core)
    const live = async () => (await value<{ status: string }>(core, 'connection.get', {})).status === 'live'
    try {
      await value(core, 'session.signIn', { email: 'cleo@globex.test', password: 'inbox-demo-1' })
      await until(live, 'live')
      const cached = (
        await value<{ items: Conversation[] }>(core, 'conversations.list', {
          workspaceId: GLOBEX.workspaceId,
          filter: 'All',
        })
      ).items
      expect(cached.length).toBeGreaterThan(0)

      const [first] = embeddedChildren()
      expect(first).toBeDefined()
      process.kill(first!, 'SIGKILL')
      await until(() => reaped(first!), 'the crashed server reaped', 30_000)
      await until(live, 'live again', 60_000)
      expect(await value(core, 'session.get', {})).toMatchObject({ status: 'signed-in' })
      await value(core, 'view.report', { focused: false, openConversationId: null })
      await simulateInbound(core, events, '+15557040002', 'After the restart')

      // Two more crashes are restarted; the fourth within five minutes is not.
      for (let crash = 2; crash <= 4; crash += 1) {
        const [pid] = embeddedChildren()
        process.kill(pid!, 'SIGKILL')
        await until(() => reaped(pid!), 'the crashed server reaped', 30_000)
        if (crash < 4) await until(live, `live after crash ${crash}`, 60_000)
      }
      await until(async () => !(await live()), 'offline after the crash loop')
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      expect(embeddedChildren()).toEqual([])
      const stillCached = (
        await value<{ items: Conversation[] }>(core, 'conversations.list', {
          workspaceId: GLOBEX.workspaceId,
          filter: 'All',
        })
      ).items
      expect(stillCached.map((c) => c.id)).toEqual(expect.arrayContaining(cached.map((c) => c.id)))
    } finally {
      await core.dispose()
    }
  }, 300_000)
})
