import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite } from '@electric-sql/pglite'
import { createMemoryLogger } from '../../logging/logger.ts'
import { analyzeStaleTables, startAutoAnalyze } from './auto-analyze.ts'
import { openDatabase } from './database.ts'
import { demoIds } from './demo-callers.ts'

const { logger } = createMemoryLogger('auto-analyze-test')
let db: PGlite
let acme: string

/** Adds `count` contacts to Acme, as an import or years of use would. */
async function addContacts(from: number, count: number) {
  await db.query(
    `insert into public.contacts (workspace_id, phone_number, updated_at)
     select $1, '+1555' || lpad(i::text, 7, '0'), now() - make_interval(secs => i)
       from generate_series($2::int, $2::int + $3::int - 1) as i`,
    [acme, from, count],
  )
}

/** The planner's idea of the table's size, and how many rows a keyset page of 100 from the middle reads. */
async function contactsAsPlanned() {
  const size = await db.query<{ reltuples: number }>(
    `select reltuples::int as reltuples from pg_class where oid = 'public.contacts'::regclass`,
  )
  const plan = await db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
    `explain (analyze, format json)
     select * from public.contacts where workspace_id = $1 and updated_at >= now() - interval '1000 seconds'
      order by updated_at, id limit 100`,
    [acme],
  )
  return { reltuples: size.rows[0]!.reltuples, rowsRead: scannedRows(plan.rows[0]!['QUERY PLAN'][0]!.Plan) }
}

interface PlanNode {
  'Node Type': string
  'Actual Rows': number
  Plans?: PlanNode[]
}
/** Rows the plan's table scans returned. */
function scannedRows(node: PlanNode): number {
  const own = /Scan$/.test(node['Node Type']) && !node.Plans?.length ? node['Actual Rows'] : 0
  return own + (node.Plans ?? []).reduce((sum, child) => sum + scannedRows(child), 0)
}

beforeAll(async () => {
  db = await openDatabase({ seed: true })
  acme = (await demoIds(db)).acme
}, 120_000)
afterAll(async () => {
  await db?.close()
})

describe('auto-analyze', () => {
  it('analyzes the tables that changed past autovacuum’s threshold, and only those', async () => {
    // A fresh database has nothing stale.
    expect(await analyzeStaleTables(db)).toEqual([])
    await addContacts(1, 5_000)
    const before = await contactsAsPlanned()

    expect(await analyzeStaleTables(db)).toEqual(['public.contacts'])
    const after = await contactsAsPlanned()
    console.log(
      `5,000 new contacts: planned as ${before.reltuples} rows before, ${after.reltuples} after; ` +
        `a page of 100 read ${before.rowsRead} rows before, ${after.rowsRead} after`,
    )
    expect(after.reltuples).toBeGreaterThanOrEqual(5_000)
    // With statistics the page walks the index and stops near its limit (an incremental sort
    // reads a few rows past it), where without it read every row after the cursor.
    expect(after.rowsRead).toBeLessThanOrEqual(2 * 100)
    // Analyzed tables are fresh until enough changes again.
    expect(await analyzeStaleTables(db)).toEqual([])
  })

  it('checks by itself, and stops', async () => {
    await addContacts(10_001, 1_000)
    const analyzed = new Promise<string[]>((resolve) => {
      const analyzer = startAutoAnalyze(db, {
        everyMs: 60_000,
        logger,
        onAnalyzed: (tables) => void analyzer.stop().then(() => resolve(tables)),
      })
    })
    // The check at start finds the 1,000 new rows: more than 50 + 10% of 5,000.
    expect(await analyzed).toEqual(['public.contacts'])
  })
})
