import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite } from '@electric-sql/pglite'
import { createMemoryLogger } from '../../logging/logger.ts'
import { maintainDueTables, startAutovacuum, type MaintainedTable } from './autovacuum.ts'
import { openDatabase } from './database.ts'
import { demoIds } from './demo-callers.ts'

/** A fresh seeded database for each describe, so one's rows do not move the other's thresholds. */
function freshDatabase() {
  const opened = { db: undefined as unknown as PGlite, acme: '' }
  beforeAll(async () => {
    opened.db = await openDatabase({ seed: true })
    opened.acme = (await demoIds(opened.db)).acme
  }, 120_000)
  afterAll(async () => {
    await opened.db?.close()
  })
  return opened
}

describe('autovacuum analyzes', () => {
  const opened = freshDatabase()
  const { logger, lines } = createMemoryLogger('autovacuum-test')

  /** Adds `count` contacts to Acme, as an import or years of use would. */
  async function addContacts(from: number, count: number) {
    await opened.db.query(
      `insert into public.contacts (workspace_id, phone_number, updated_at)
       select $1, '+1555' || lpad(i::text, 7, '0'), now() - make_interval(secs => i)
         from generate_series($2::int, $2::int + $3::int - 1) as i`,
      [opened.acme, from, count],
    )
  }

  /** The planner's idea of the table's size, and how many rows a keyset page of 100 from the middle reads. */
  async function contactsAsPlanned() {
    const size = await opened.db.query<{ reltuples: number }>(
      `select reltuples::int as reltuples from pg_class where oid = 'public.contacts'::regclass`,
    )
    const plan = await opened.db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `explain (analyze, format json)
       select * from public.contacts where workspace_id = $1 and updated_at >= now() - interval '1000 seconds'
        order by updated_at, id limit 100`,
      [opened.acme],
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

  it('maintains the tables that changed past autovacuum’s thresholds, and only those', async () => {
    // A fresh database has nothing due.
    expect(await maintainDueTables(opened.db)).toEqual([])
    await addContacts(1, 5_000)
    const before = await contactsAsPlanned()

    // 5,000 inserted rows pass both the insert rule (1,000 + 20% of none) and the analyze
    // rule (50 + 10% of none), so one VACUUM (ANALYZE) does both.
    expect(await maintainDueTables(opened.db)).toEqual([
      { table: 'public.contacts', command: 'vacuum (analyze)' },
    ])
    const after = await contactsAsPlanned()
    console.log(
      `5,000 new contacts: planned as ${before.reltuples} rows before, ${after.reltuples} after; ` +
        `a page of 100 read ${before.rowsRead} rows before, ${after.rowsRead} after`,
    )
    expect(after.reltuples).toBeGreaterThanOrEqual(5_000)
    // With statistics the page walks the index and stops near its limit (an incremental sort
    // reads a few rows past it), where without it read every row after the cursor.
    expect(after.rowsRead).toBeLessThanOrEqual(2 * 100)
    // Maintained tables are fresh until enough changes again.
    expect(await maintainDueTables(opened.db)).toEqual([])
  })

  it('checks by itself, logs what it did, and stops', async () => {
    await addContacts(10_001, 1_000)
    const maintained = new Promise<MaintainedTable[]>((resolve) => {
      const autovacuum = startAutovacuum(opened.db, {
        everyMs: 60_000,
        logger,
        onMaintained: (tables) => void autovacuum.stop().then(() => resolve(tables)),
      })
    })
    // The check at start finds the 1,000 new rows: more than 50 + 10% of 5,000 changed, so
    // analyze is due, but not more than 1,000 + 20% of 5,000 inserted, so vacuum is not.
    expect(await maintained).toEqual([{ table: 'public.contacts', command: 'analyze' }])
    const logged = lines.map((line) => JSON.parse(line) as { level: string; msg: string; tables?: unknown })
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'debug',
        msg: 'maintained due tables',
        tables: [{ table: 'public.contacts', command: 'analyze' }],
      }),
    )
  })
})

describe('autovacuum vacuums', () => {
  const opened = freshDatabase()
  // Statements of 100 messages into one conversation: each message's bump_conversation
  // trigger updates the contact's row, so each statement leaves 100 dead versions of it.
  const rounds = 30
  const perRound = 100

  interface ContactsFootprint {
    deadRows: number
    deadRowsAllowed: number
    heapBytes: number
    indexBytes: number
  }
  async function contactsFootprint(): Promise<ContactsFootprint> {
    await opened.db.exec('select pg_stat_force_next_flush()')
    const { rows } = await opened.db.query<ContactsFootprint>(
      `select s.n_dead_tup::int as "deadRows",
              (current_setting('autovacuum_vacuum_threshold')::float8
                + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0))::int
                as "deadRowsAllowed",
              pg_relation_size(c.oid)::int as "heapBytes",
              pg_indexes_size(c.oid)::int as "indexBytes"
         from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        where c.oid = 'public.contacts'::regclass`,
    )
    return rows[0]!
  }

  /** A new conversation that then gets `rounds` statements of messages, with `between` run after each. */
  async function busyConversation(phone: string, between: () => Promise<unknown>) {
    const { rows } = await opened.db.query<{ id: string }>(
      `insert into public.contacts (workspace_id, phone_number) values ($1, $2) returning id`,
      [opened.acme, phone],
    )
    const contactId = rows[0]!.id
    const start = await contactsFootprint()
    const footprints: ContactsFootprint[] = []
    for (let round = 0; round < rounds; round += 1) {
      await opened.db.query(
        `insert into public.messages (workspace_id, contact_id, content, direction, status, created_at)
         select $1, $2, 'message ' || i, 'inbound', 'delivered', now() + make_interval(secs => i)
           from generate_series($3::int, $3::int + $4::int - 1) as i`,
        [opened.acme, contactId, round * perRound, perRound],
      )
      await between()
      footprints.push(await contactsFootprint())
    }
    const end = footprints.at(-1)!
    return {
      footprints,
      heapGrowth: end.heapBytes - start.heapBytes,
      indexGrowth: end.indexBytes - start.indexBytes,
    }
  }

  it('keeps a busy conversation’s row from bloating contacts, where analyze alone does not', async () => {
    const vacuumed = await busyConversation('+15557900201', () => maintainDueTables(opened.db))
    const analyzedOnly = await busyConversation('+15557900202', () =>
      opened.db.exec('analyze public.contacts'),
    )
    console.log(
      `${rounds * perRound} updates of one contact row: contacts grew by ${vacuumed.heapGrowth} B of heap ` +
        `and ${vacuumed.indexGrowth} B of indexes with autovacuum, ${analyzedOnly.heapGrowth} B and ` +
        `${analyzedOnly.indexGrowth} B with analyze alone; dead rows after each check: ` +
        vacuumed.footprints.map((footprint) => footprint.deadRows).join(' '),
    )
    // Every check leaves the dead versions under the threshold that would call for the next.
    for (const footprint of vacuumed.footprints)
      expect(footprint.deadRows).toBeLessThanOrEqual(footprint.deadRowsAllowed)
    // The space of dead versions is reused: after the first third the table and its indexes
    // grow no more.
    const settled = vacuumed.footprints[rounds / 3]!
    expect(vacuumed.footprints.at(-1)!.heapBytes).toBeLessThanOrEqual(settled.heapBytes)
    expect(vacuumed.footprints.at(-1)!.indexBytes).toBeLessThanOrEqual(settled.indexBytes)
    // Analyze alone leaves the dead versions in place, and contacts keeps growing with them.
    const analyzedEnd = analyzedOnly.footprints.at(-1)!
    expect(analyzedEnd.deadRows).toBeGreaterThan(analyzedEnd.deadRowsAllowed)
    expect(analyzedOnly.heapGrowth).toBeGreaterThan(10 * Math.max(vacuumed.heapGrowth, 8192))
    expect(analyzedOnly.indexGrowth).toBeGreaterThan(10 * Math.max(vacuumed.indexGrowth, 8192))
  })
})

describe('autovacuum across a restart', () => {
  it('analyzes a table that grew before the restart, whose counts PGlite did not keep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autovacuum-restart-'))
    const dataDir = join(dir, 'db')
    try {
      // Rows loaded, then the app closed before a check could see them (an import, a crash).
      const loading = await openDatabase({ dataDir, seed: true })
      const { acme } = await demoIds(loading)
      await loading.query(
        `insert into public.contacts (workspace_id, phone_number)
         select $1, '+1555' || lpad(i::text, 7, '0') from generate_series(1, 5000) as i`,
        [acme],
      )
      await loading.close()

      const db = await openDatabase({ dataDir })
      try {
        const counted = await db.query<{ changed: number }>(
          `select n_mod_since_analyze::int as changed from pg_stat_user_tables where relid = 'public.contacts'::regclass`,
        )
        expect(counted.rows[0]!.changed).toBe(0)
        const maintained = await maintainDueTables(db)
        expect(maintained).toContainEqual({ table: 'public.contacts', command: 'analyze' })
        const planned = await db.query<{ reltuples: number }>(
          `select reltuples::int as reltuples from pg_class where oid = 'public.contacts'::regclass`,
        )
        expect(planned.rows[0]!.reltuples).toBeGreaterThanOrEqual(5_000)
        // Its size now matches what analyze recorded: not due again.
        expect((await maintainDueTables(db)).map(({ table }) => table)).not.toContain('public.contacts')
      } finally {
        await db.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
