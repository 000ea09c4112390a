import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'

/**
 * Autovacuum's ANALYZE, which PGlite does not run: it has no background workers, so
 * without this a table's statistics stay as the empty schema left them. The planner
 * then takes a workspace's 100,000 rows for a handful and answers each keyset page by
 * reading every row after the cursor and sorting them (a bitmap scan and a top-N sort),
 * so paging through a table costs the square of its size. With statistics it walks the
 * (workspace_id, updated_at) index and stops at the page's limit.
 *
 * A table is stale by Postgres's own rule: more rows changed since its last analyze than
 * autovacuum_analyze_threshold plus autovacuum_analyze_scale_factor of its size.
 */
const staleTablesSql = `
  select format('%I.%I', s.schemaname, s.relname) as name
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
   where s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
           + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
   order by s.n_mod_since_analyze desc`

/** Analyzes every stale table now; returns their names. */
export async function analyzeStaleTables(db: Pick<PGlite, 'query' | 'exec'>): Promise<string[]> {
  // This connection's own counts of changed rows reach the view at most once a second,
  // unless a flush is asked for: the statement that asks ends with one.
  await db.exec('select pg_stat_force_next_flush()')
  const { rows } = await db.query<{ name: string }>(staleTablesSql)
  // The names come from the catalog, quoted by format(%I).
  for (const { name } of rows) await db.exec(`analyze ${name}`)
  return rows.map((row) => row.name)
}

export interface AutoAnalyze {
  stop(): Promise<void>
}

/**
 * Checks at once (a data folder may hold rows never analyzed) and then every `everyMs`,
 * as autovacuum's launcher wakes every autovacuum_naptime. A check still under way is not doubled.
 */
export function startAutoAnalyze(
  db: Pick<PGlite, 'query' | 'exec'>,
  options: { everyMs: number; logger: Logger; onAnalyzed?(tables: string[]): void },
): AutoAnalyze {
  let running: Promise<void> | null = null
  const check = () => {
    running ??= (async () => {
      try {
        const tables = await analyzeStaleTables(db)
        if (tables.length > 0) {
          options.logger.debug('analyzed stale tables', { tables })
          options.onAnalyzed?.(tables)
        }
      } catch (error) {
        options.logger.warn('analyzing stale tables failed', { error })
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
