import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'

/**
 * The API roles' own settings (`alter role authenticated set statement_timeout = '8s'`),
 * read as PostgREST reads its impersonated-role settings: once at start, and again on
 * `notify pgrst, 'reload config'`, which is what Supabase's docs tell a project to run
 * after changing them. Reading them in every request's transaction cost a catalog
 * lookup per request (the setup took 119–184 µs with it, 70–109 µs without) that
 * PostgREST does not pay.
 *
 * As in PostgREST, a role's settings that any user may set (pg_settings context
 * "user": plan_cache_mode, work_mem, search_path…) are applied in each of its
 * requests' transactions. default_transaction_isolation is left out: PostgREST turns
 * it into the transaction's isolation level, which this backend does not offer. A
 * superuser-only setting (log_min_duration_statement…) is never applied.
 */
export interface RoleTransactionSettings {
  /** The role's statement_timeout, enforced by the bounds (bounds.ts); undefined when it has none. */
  statementTimeout?: string
  /** Every other setting of the role, applied with set_config in the request's transaction. */
  applied: readonly (readonly [name: string, value: string])[]
}

export interface RoleSettings {
  /**
   * The role's settings. Waits for a reload that is under way, so a request sent
   * after the NOTIFY returned sees its effect.
   */
  of(role: string): Promise<RoleTransactionSettings>
  stop(): Promise<void>
}

/** PostgREST's default db-channel. */
export const reloadChannel = 'pgrst'

const roleSettingsSql = `
  select r.rolname as role, p.name, substr(c, strpos(c, '=') + 1) as value
    from pg_db_role_setting s
    join pg_roles r on r.oid = s.setrole
    cross join lateral unnest(s.setconfig) c
    join pg_settings p on p.name = split_part(c, '=', 1)
   where s.setdatabase = 0 and p.context = 'user' and p.name <> 'default_transaction_isolation'
   order by r.rolname, p.name`

const none: RoleTransactionSettings = { applied: [] }

async function readRoleSettings(db: Pick<PGlite, 'query'>): Promise<Map<string, RoleTransactionSettings>> {
  const { rows } = await db.query<{ role: string; name: string; value: string }>(roleSettingsSql)
  const byRole = new Map<string, { statementTimeout?: string; applied: [string, string][] }>()
  for (const row of rows) {
    let settings = byRole.get(row.role)
    if (!settings) byRole.set(row.role, (settings = { applied: [] }))
    if (row.name === 'statement_timeout') settings.statementTimeout = row.value
    else settings.applied.push([row.name, row.value])
  }
  return byRole
}

export async function watchRoleSettings(
  db: Pick<PGlite, 'query' | 'listen'>,
  logger: Logger,
): Promise<RoleSettings> {
  let current = readRoleSettings(db)
  await current
  // PGlite calls this before the statement that notified returns to its caller, so the
  // reload is under way (and awaited by of()) before that caller's next request.
  const unlisten = await db.listen(reloadChannel, (payload) => {
    if (payload !== 'reload config') return
    const previous = current
    current = readRoleSettings(db).catch((error: unknown) => {
      logger.warn('reloading the API roles’ settings failed; the previous ones stay', { error })
      return previous
    })
  })
  return {
    of: async (role) => (await current).get(role) ?? none,
    stop: () => unlisten(),
  }
}
