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

describe('a first sync on the backend', () => {
  it('reads each row about once, however far into the table its page is', async () => {
    const before = await reads()
    sync = createSyncService({
      client: session.client,
      cache,
      logger,
      pageSize: PAGE,
      onChanges: () => {},
      onProgress: () => {},
      onState: () => {},
    })
    sync.setWorkspaces([demo.acme])
    await sync.whenLive()
    const after = await reads()

    for (const table of ['contacts', 'messages'] as const) {
      const rows = await acmeRows(table)
      const pages = Math.ceil(rows / PAGE)
      const scans = after[table].scans - before[table].scans
      const read = after[table].rows - before[table].rows
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
})
