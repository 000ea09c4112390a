import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'

/**
 * Autovacuum, which PGlite does not run: it has no background workers.
 *
 * Without ANALYZE a table's statistics stay as the empty schema left them. The planner
 * then takes a workspace's 100,000 rows for a handful and answers each keyset page by
 * reading every row after the cursor and sorting them (a bitmap scan and a top-N sort),
 * so paging through a table costs the square of its size.
 *
 * Without VACUUM every updated row leaves its old version and that version's index
 * entries behind for good. The bump_conversation trigger updates a contact's row once
 * per message, so a long conversation's row drags a growing trail of dead versions
 * through every index of contacts, and each new message costs more than the last: after
 * 50,000 messages in statements of 100, one more took 3.9 ms, against 1.4 ms with a
 * vacuum between the statements (contacts then held 4 MB of heap and 12 MB of indexes,
 * against 16 kB and 180 kB).
 *
 * Each table is judged by Postgres's own rules and settings:
 * - vacuum when dead rows exceed autovacuum_vacuum_threshold plus
 *   autovacuum_vacuum_scale_factor of the table's size;
 * - vacuum too when rows inserted since the last vacuum exceed
 *   autovacuum_vacuum_insert_threshold plus its scale factor (-1 turns it off). Kept, as
 *   Postgres has it since 13, for a table that grows by inserts far faster than it gathers
 *   dead rows, as messages does (an inbound message never changes): the visit marks the
 *   new pages all-visible, which lets index-only scans skip the heap, and freezes their
 *   rows before they age. It is cheap, as vacuum reads only the pages not yet marked:
 *   30 to 40 ms after 10,000 new messages in a table of 200,000;
 * - analyze when rows changed since the last analyze exceed autovacuum_analyze_threshold
 *   plus autovacuum_analyze_scale_factor of its size.
 *
 * Those counts live in Postgres' cumulative statistics, which PGlite does not keep across
 * a restart (they come back as zeros, as after a crash). Rows written before one, by an
 * import or a session that ended before its next check, would then never be analyzed:
 * after 200,000 messages loaded and a restart, each first-sync page took 210 ms instead of
 * 10. So a table is also due for analyze when its size on disk has moved from the size
 * its last VACUUM or ANALYZE recorded (pg_class.relpages) by more than those rows, counted
 * at the density that analyze saw; a table that had no rows then counts one per page.
 */
const dueTablesSql = `
  with rule as (
    select current_setting('autovacuum_vacuum_threshold')::float8 as vacuum_base,
           current_setting('autovacuum_vacuum_scale_factor')::float8 as vacuum_scale,
           current_setting('autovacuum_vacuum_insert_threshold')::float8 as insert_base,
           current_setting('autovacuum_vacuum_insert_scale_factor')::float8 as insert_scale,
           current_setting('autovacuum_analyze_threshold')::float8 as analyze_base,
           current_setting('autovacuum_analyze_scale_factor')::float8 as analyze_scale
  ), judged as (
    select format('%I.%I', s.schemaname, s.relname) as name,
           s.n_dead_tup > r.vacuum_base + r.vacuum_scale * greatest(c.reltuples, 0)
             or (r.insert_base >= 0
                 and s.n_ins_since_vacuum > r.insert_base + r.insert_scale * greatest(c.reltuples, 0))
             as vacuum_due,
           s.n_mod_since_analyze > r.analyze_base + r.analyze_scale * greatest(c.reltuples, 0)
             or abs(pg_relation_size(c.oid) / current_setting('block_size')::float8 - c.relpages)
                  * case when c.relpages > 0 and c.reltuples > 0 then c.reltuples / c.relpages else 1 end
                > r.analyze_base + r.analyze_scale * greatest(c.reltuples, 0)
             as analyze_due,
           greatest(s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze) as changes
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid cross join rule r
  )
  select name, vacuum_due, analyze_due from judged where vacuum_due or analyze_due order by changes desc`

/** What a table is given; when both are due they run as one VACUUM (ANALYZE), as autovacuum does. */
export type Maintenance = 'vacuum' | 'analyze' | 'vacuum (analyze)'

export interface MaintainedTable {
  table: string
  command: Maintenance
}

/**
 * Vacuums and analyzes every table that is due, now, one after another. On PGlite each
 * command holds the only connection, so requests wait for it. At 10,000 contacts and
 * 200,000 messages: contacts after 10,000 new messages, 20 ms; messages after 20,000 status
 * updates, 200 ms; the first pass over both, 400 ms.
 */
export async function maintainDueTables(db: Pick<PGlite, 'query' | 'exec'>): Promise<MaintainedTable[]> {
  // This connection's own counts of changed rows reach the view at most once a second,
  // unless a flush is asked for: the statement that asks ends with one.
  await db.exec('select pg_stat_force_next_flush()')
  const { rows } = await db.query<{ name: string; vacuum_due: boolean; analyze_due: boolean }>(dueTablesSql)
  const maintained = rows.map(({ name, vacuum_due, analyze_due }): MaintainedTable => ({
    table: name,
    command: vacuum_due && analyze_due ? 'vacuum (analyze)' : vacuum_due ? 'vacuum' : 'analyze',
  }))
  // The names come from the catalog, quoted by format(%I).
  for (const { table, command } of maintained) await db.exec(`${command} ${table}`)
  return maintained
}

export interface Autovacuum {
  stop(): Promise<void>
}

/**
 * Checks at once (a data folder may hold rows never vacuumed or analyzed) and then every
 * `everyMs`, as autovacuum's launcher wakes every autovacuum_naptime. A check still under
 * way is not doubled.
 */
export function startAutovacuum(
  db: Pick<PGlite, 'query' | 'exec'>,
  options: { everyMs: number; logger: Logger; onMaintained?(tables: MaintainedTable[]): void },
): Autovacuum {
  let running: Promise<void> | null = null
  const check = () => {
    running ??= (async () => {
      try {
        const started = performance.now()
        const tables = await maintainDueTables(db)
        if (tables.length > 0) {
          options.logger.debug('maintained due tables', {
            tables,
            ms: Math.round(performance.now() - started),
          })
          options.onMaintained?.(tables)
        }
      } catch (error) {
        options.logger.warn('maintaining due tables failed', { error })
      } finally {
        running = null
      }
    })()
  }
  check()
  const timer = setInterval(check, options.everyMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
