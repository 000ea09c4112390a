import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'

/**
 * The API roles' own settings (`alter role authenticated set statement_timeout = '8s'`),
 * read as PostgREST reads its impersonated-role settings: once at start, and again on
 * `notify pgrst, 'reload config'`, which is what Supabase's docs tell a project to run
 * after changing them. Reading them in every request's transaction cost a catalog
 * lookup per request (the setup took 119–184 µs with it, 70–109 µs without) that
 * PostgREST does not pay.
 */
export interface RoleSettings {
  /**
   * The role's statement_timeout, or undefined when it has none. Waits for a reload
   * that is under way, so a request sent after the NOTIFY returned sees its effect.
   */
  statementTimeout(role: string): Promise<string | undefined>
  stop(): Promise<void>
}

/** PostgREST's default db-channel. */
export const reloadChannel = 'pgrst'

const statementTimeoutsSql = `
  select r.rolname as role, substr(c, length('statement_timeout=') + 1) as timeout
    from pg_db_role_setting s
    join pg_roles r on r.oid = s.setrole, unnest(s.setconfig) c
   where s.setdatabase = 0 and c like 'statement_timeout=%'`

async function readStatementTimeouts(db: Pick<PGlite, 'query'>): Promise<Map<string, string>> {
  const { rows } = await db.query<{ role: string; timeout: string }>(statementTimeoutsSql)
  return new Map(rows.map((row) => [row.role, row.timeout]))
}

export async function watchRoleSettings(
  db: Pick<PGlite, 'query' | 'listen'>,
  logger: Logger,
): Promise<RoleSettings> {
  let current = readStatementTimeouts(db)
  await current
  // PGlite calls this before the statement that notified returns to its caller, so the
  // reload is under way (and awaited by statementTimeout) before that caller's next request.
  const unlisten = await db.listen(reloadChannel, (payload) => {
    if (payload !== 'reload config') return
    const previous = current
    current = readStatementTimeouts(db).catch((error: unknown) => {
      logger.warn('reloading the API roles’ settings failed; the previous ones stay', { error })
      return previous
    })
  })
  return {
    statementTimeout: async (role) => (await current).get(role),
    stop: () => unlisten(),
  }
}
