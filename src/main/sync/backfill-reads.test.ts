import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { seedLargeWorkspace } from '../../../local-backend/db/bulk-workspace.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { Cache } from '../cache/cache.ts'
import type { SessionService } from '../session/session.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { createSyncService, type SyncService } from './sync.ts'

/*
 * A first sync's cost on the backend, by counts: how many scans each table had and how
 * many rows they read. Linear paging reads each row about once (plus the progress bar's
 * count); paging that re-reads everything after its cursor reads rows × pages / 2.
 */

const BULK = 3_000
const PAGE = 100
const { logger } = createMemoryLogger('backfill-reads-test')
let backend: LocalBackend
let demo: DemoIds
let session: SessionService
let cache: Cache
let sync: SyncService
let dir: string

interface TableReads {
  scans: number
  rows: number
}

/** Every scan of contacts and messages so far and the rows they read, as the statistics collector counts them. */
async function reads(): Promise<Record<'contacts' | 'messages', TableReads>> {
  // Counters reach the shared view when a transaction flushes them; force it, then read afresh.
  await backend.db.query('select pg_stat_force_next_flush()')
  await backend.db.query('select pg_stat_clear_snapshot()')
  const { rows } = await backend.db.query<{ relname: 'contacts' | 'messages'; scans: number; rows: number }>(
    `select relname, (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::int as scans,
            (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int as rows
       from pg_stat_user_tables where schemaname = 'public' and relname in ('contacts', 'messages')`,
  )
  return Object.fromEntries(rows.map((row) => [row.relname, { scans: row.scans, rows: row.rows }])) as Record<
    'contacts' | 'messages',
    TableReads
  >
}

async function acmeRows(table: 'contacts' | 'messages'): Promise<number> {
  const { rows } = await backend.db.query<{ count: number }>(
    `select count(*)::int as count from public.${table} where workspace_id = $1`,
    [demo.acme],
  )
  return rows[0]!.count
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  demo = await demoIds(backend.db)
  await seedLargeWorkspace(backend.db, demo.acme, BULK)
  dir = mkdtempSync(join(tmpdir(), 'backfill-reads-test-'))
  session = await signedInSession(backend, dir, logger)
  cache = Cache.open(join(dir, 'cache.sqlite'))
}, 120_000)

afterAll(async () => {
  await sync?.stop()
  session?.dispose()
  cache?.close()
  await backend?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A first sync of Acme into `into` (a fresh cache), through the session's client, until it is live. */
async function firstSync(into: Cache): Promise<void> {
  await sync?.stop()
  sync = createSyncService({
    client: session.client,
    cache: into,
    logger,
    pageSize: PAGE,
    onChanges: () => {},
    onProgress: () => {},
    onState: () => {},
  })
  sync.setWorkspaces([demo.acme])
  await sync.whenLive()
}

/** A first sync of Acme into `into`, and what it cost each table on the backend. */
async function firstSyncReads(into: Cache): Promise<Record<'contacts' | 'messages', TableReads>> {
  const before = await reads()
  await firstSync(into)
  const after = await reads()
  return {
    contacts: {
      scans: after.contacts.scans - before.contacts.scans,
      rows: after.contacts.rows - before.contacts.rows,
    },
    messages: {
      scans: after.messages.scans - before.messages.scans,
      rows: after.messages.rows - before.messages.rows,
    },
  }
}

describe('a first sync on the backend', () => {
  it('reads each row about once, however far into the table its page is', async () => {
    const cost = await firstSyncReads(cache)

    for (const table of ['contacts', 'messages'] as const) {
      const rows = await acmeRows(table)
      const pages = Math.ceil(rows / PAGE)
      const { scans, rows: read } = cost[table]
      console.log(`${table}: ${rows} rows in ${pages} pages, ${scans} scans read ${read} rows`)
      // One query a page: a scan each, maybe one more that finds the last page empty, two for
      // the progress bar's count (a count request reads the rows it counts, and counts them),
      // and a few the plans add (a page answered from two indexes scans both), whose number
      // varies from run to run: 33 to 37 scans for 31 pages seen. Two queries a page would be 62.
      expect(scans).toBeLessThanOrEqual(pages + 10)
      // Each row a few times in all: twice for the count, once for its page, and once more if
      // the planner answers the first page (every row matches it) by sorting them all. Paging
      // that re-reads everything after its cursor reads rows × pages / 2: 15 times each row here.
      expect(read).toBeLessThanOrEqual(5 * rows)
    }
    expect(cache.listConversations(demo.acme, 'All', 1).counts.All).toBe(await acmeRows('contacts'))
  }, 120_000)

  it('reads each row about once through a run of rows sharing one updated_at, as a restore leaves them', async () => {
    // Triggers off, as a restore or an import runs: every row keeps the one timestamp it is given.
    await backend.db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica')
      for (const table of ['contacts', 'messages'])
        await tx.query(
          `update public.${table} set updated_at = date_trunc('second', now()) - interval '1 day' where workspace_id = $1`,
          [demo.acme],
        )
    })
    const restored = Cache.open(join(dir, 'restored.sqlite'))
    try {
      const cost = await firstSyncReads(restored)
      for (const table of ['contacts', 'messages'] as const) {
        const rows = await acmeRows(table)
        const pages = Math.ceil(rows / PAGE)
        const { scans, rows: read } = cost[table]
        console.log(
          `${table}, one updated_at: ${rows} rows in ${pages} pages, ${scans} scans read ${read} rows`,
        )
        // Inside the run a page is one range of the index; past it, a second query: one more scan.
        expect(scans).toBeLessThanOrEqual(pages + 10)
        // Paging that starts each page at the run's beginning reads rows × pages / 2: 15 times each.
        expect(read).toBeLessThanOrEqual(5 * rows)
      }
      expect(restored.listConversations(demo.acme, 'All', 1).counts.All).toBe(await acmeRows('contacts'))
      const { rows: messages } = await backend.db.query<{ id: string }>(
        'select id from public.messages where workspace_id = $1',
        [demo.acme],
      )
      const cached = messages.filter((message) => restored.getMessage(message.id) !== null).length
      expect(cached).toBe(messages.length)
    } finally {
      await sync.stop()
      restored.close()
    }
  }, 120_000)
})

describe('a first sync beside the backend', () => {
  it('sends the request for the next page before writing the one it has, and still writes every row once', async () => {
    const into = Cache.open(join(dir, 'overlapped.sqlite'))
    /** For each contacts page, how many conversations the cache held as its request left (Node's fetch says when). */
    const cachedWhenSent: number[] = []
    const onSent = (message: unknown) => {
      const { path, method } = (message as { request: { path: string; method: string } }).request
      if (path.startsWith('/rest/v1/contacts?') && method === 'GET')
        cachedWhenSent.push(into.listConversations(demo.acme, 'All', 1).counts.All)
    }
    subscribe('undici:client:sendHeaders', onSent)
    try {
      await firstSync(into)
      const contacts = await acmeRows('contacts')
      expect(cachedWhenSent.length).toBeGreaterThanOrEqual(Math.ceil(contacts / PAGE))
      // Waiting for each write, page k + 1 would leave with k pages cached; it leaves with k - 1.
      expect(cachedWhenSent.slice(0, 3)).toEqual([0, 0, PAGE])
      cachedWhenSent.forEach((cached, k) => expect(cached).toBeLessThan(Math.max(1, k) * PAGE))
      expect(into.listConversations(demo.acme, 'All', 1).counts.All).toBe(contacts)
    } finally {
      unsubscribe('undici:client:sendHeaders', onSent)
      await sync?.stop()
      into.close()
    }
  }, 120_000)
})
