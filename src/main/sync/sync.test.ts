import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { ensureContact } from '../../../relay/demo-accounts.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { serviceClient } from '../../../relay/embedded.ts'
import type { ConnectionState } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { Cache } from '../cache/cache.ts'
import type { SessionService } from '../session/session.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { until } from '../../../test/support/until.ts'
import { createSyncService, type MessageChange, type SyncService } from './sync.ts'

const { logger } = createMemoryLogger('sync-test')
let backend: LocalBackend
let service: SupabaseClient
let session: SessionService
let cache: Cache
let sync: SyncService
let dir: string
let contactId: string
let demo: DemoIds
const changes: MessageChange[] = []
const states: ConnectionState['status'][] = []
let frozenAt: number | null = null
let firstSyncsDone = 0
let onOffline = () => {}

async function insertInbound(
  count: number,
  label: string,
  workspaceId = demo.acme,
  contact = contactId,
): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    workspace_id: workspaceId,
    contact_id: contact,
    direction: 'inbound',
    content: `${label} ${i}`,
    status: 'delivered',
  }))
  const { data, error } = await service.from('messages').insert(rows).select('id')
  if (error) throw new Error(error.message)
  return (data as { id: string }[]).map((row) => row.id)
}

const insertedIds = (ids: string[]) =>
  changes.filter((c) => c.outcome === 'inserted' && ids.includes(c.message.id))

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  service = serviceClient(backend)
  demo = await demoIds(backend.db)
  contactId = (await ensureContact(service, demo.acme, '+15557020001', 'Gap Tester')).id
  dir = mkdtempSync(join(tmpdir(), 'sync-test-'))
  session = await signedInSession(backend, dir, logger)
  cache = Cache.open(join(dir, 'cache.sqlite'))
  sync = createSyncService({
    client: session.client,
    cache,
    logger,
    onChanges: (batch) => changes.push(...batch.messages),
    onState: (state) => {
      states.push(state.status)
      if (state.status === 'offline') onOffline()
    },
    offlineAfterMs: 300,
    now: () => frozenAt ?? Date.now(),
    onFirstSyncsDone: () => firstSyncsDone++,
  })
  sync.setWorkspaces([demo.acme])
  await sync.whenLive()
})

afterAll(async () => {
  await sync.stop()
  session.dispose()
  cache.close()
  await backend.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('realtime sync', () => {
  it('backfills the workspace on first subscribe, as history, then goes live', () => {
    expect(states[0]).toBe('connecting')
    expect(sync.state().status).toBe('live')
    expect(sync.state().lastSyncAt).not.toBeNull()
    const acme = cache.listConversations(demo.acme, 'All')
    expect(acme.items.length).toBeGreaterThan(10)
    // RLS: Ben is not in Globex, and nothing of it reaches his cache.
    expect(cache.listConversations(demo.globex, 'All').items).toEqual([])
    expect(changes.length).toBeGreaterThan(0)
    expect(changes.every((c) => c.source === 'backfill' && c.initial)).toBe(true)
    expect(firstSyncsDone).toBe(1)
  })

  it('applies live inserts once, with the conversation bumped', async () => {
    const [id] = await insertInbound(1, 'live one')
    await until(() => insertedIds([id!]).length === 1, 'the live insert')
    expect(insertedIds([id!])[0]).toMatchObject({ source: 'live', initial: false })
    await until(() => (cache.getConversation(contactId)?.unreadCount ?? 0) >= 1, 'the unread bump')
    expect(cache.getConversation(contactId)?.lastMessagePreview).toBe('live one 0')
  })

  it('loses nothing while the socket is down: exactly the 20 messages, once each', async () => {
    const before = changes.length
    await session.client.realtime.disconnect()
    const ids = await insertInbound(20, 'while away')
    expect(ids.every((id) => cache.getMessage(id) === null)).toBe(true)
    session.client.realtime.connect()
    await until(() => ids.every((id) => cache.getMessage(id) !== null), 'the backfill after reconnect')
    await sync.whenLive()
    const newInserts = changes.slice(before).filter((c) => c.outcome === 'inserted')
    expect(newInserts.map((c) => c.message.id).sort()).toEqual([...ids].sort())
    const thread = cache
      .thread(contactId, null, 500)
      .messages.filter((m) => m.content.startsWith('while away'))
    expect(thread).toHaveLength(20)
    expect(new Set(thread.map((m) => m.id)).size).toBe(20)
    // Backfilled rows after a cursor existed are news (notifiable), not history.
    expect(newInserts.every((c) => !c.initial)).toBe(true)
  })

  it('a reconnect that keeps failing is reported as offline, and live again once it succeeds', async () => {
    await sync.whenLive()
    const from = states.length
    // The clock stands still, as it may read a moment short when the window's timer
    // fires: the switch to offline must come from the timer, not from re-reading it.
    frozenAt = Date.now()
    const offline = new Promise<void>((resolve) => (onOffline = resolve))
    await session.client.realtime.disconnect()
    await offline
    frozenAt = null
    expect(states.slice(from)[0]).toBe('reconnecting')
    expect(states.at(-1)).toBe('offline')
    session.client.realtime.connect()
    await sync.whenLive()
    expect(states.at(-1)).toBe('live')
  })

  it('an overlapping backfill and live events yield one row and one event per message', async () => {
    const before = changes.length
    sync.resync('test overlap')
    const ids = await insertInbound(5, 'overlap')
    sync.resync('test overlap again')
    await until(() => ids.every((id) => cache.getMessage(id) !== null), 'the overlapping inserts')
    await sync.whenLive()
    // A second full pass over the same window changes nothing.
    sync.resync('idempotence')
    await sync.whenLive()
    const events = changes.slice(before).filter((c) => ids.includes(c.message.id))
    expect(events.map((c) => c.message.id).sort()).toEqual([...ids].sort())
    expect(events.every((c) => c.outcome === 'inserted')).toBe(true)
    expect(
      cache.thread(contactId, null, 500).messages.filter((m) => m.content.startsWith('overlap')),
    ).toHaveLength(5)
    // Catching up is not a first sync: its rows are few, and no collection follows it.
    expect(firstSyncsDone).toBe(1)
  })

  it('keeps receiving live changes after the session refreshes its token', async () => {
    // JWTs carry iat in whole seconds: let one pass so the refreshed token differs.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const before = await session.accessToken()
    expect(await session.refresh()).toBe(true)
    expect(await session.accessToken()).not.toBe(before)
    const [id] = await insertInbound(1, 'after refresh')
    await until(() => insertedIds([id!]).length === 1, 'a live event after the refresh')
    expect(insertedIds([id!])[0]!.source).toBe('live')
  })

  it('reports offline and catches up when the network returns', async () => {
    sync.setOnline(false)
    expect(sync.state().status).toBe('offline')
    const ids = await insertInbound(3, 'network back')
    sync.setOnline(true)
    await until(() => ids.every((id) => cache.getMessage(id) !== null), 'catch-up after the network returns')
    await sync.whenLive()
    expect(sync.state().status).toBe('live')
  })
})
