import type { PGlite } from '@electric-sql/pglite'
import { bearerToken, type JwtClaims, type JwtKeys } from '../keys.ts'
import { countsEmbeddedRows, embeddedRowsResetSql, timeoutSetupSql } from './bounds.ts'
import { jwtClaimsRefused, jwtInvalid, toRestError } from './errors.ts'
import { runPipelined, type Rows, type Statement } from './pipeline.ts'
import type { RoleTransactionSettings } from './role-settings.ts'

/**
 * Who is calling, by the bearer JWT, and the transaction that runs as them:
 * exactly as PostgREST runs every request, so RLS and grants decide.
 */
export interface Caller {
  role: string
  claims: JwtClaims
}

export const anonymousCaller: Caller = { role: 'anon', claims: { role: 'anon' } }

export async function callerOf(headers: Headers, jwt: JwtKeys): Promise<Caller> {
  const token = bearerToken(headers)
  if (token === undefined) return anonymousCaller
  const verified = await jwt.verify(token)
  if (!verified.ok) throw verified.reason === 'invalid' ? jwtInvalid() : jwtClaimsRefused(verified.reason)
  return { role: verified.claims.role, claims: verified.claims }
}

/**
 * The claims as the database sees them, serialised once per verified token: the
 * JWT cache hands back the same claims object for every request of a session.
 */
const claimsText = new WeakMap<JwtClaims, string>()
function claimsJson(claims: JwtClaims): string {
  let text = claimsText.get(claims)
  if (text === undefined) {
    text = JSON.stringify(claims)
    claimsText.set(claims, text)
  }
  return text
}

/** What a transaction is set up with besides the caller: the schema addressed and the role's own settings. */
export interface TransactionSettings {
  /** As PostgREST sets it, for the schema a request addresses. */
  searchPath?: string
  /** The role's own statement_timeout (role-settings.ts); none leaves the session's. */
  statementTimeout?: string
  /** The role's other settings (role-settings.ts), applied before the schema's search_path. */
  roleSettings?: RoleTransactionSettings['applied']
}

/**
 * The statement that opens every request's transaction: the caller's role, claims and
 * bounds, the role's own settings, and the search_path of the schema addressed.
 * `statements` are what the transaction runs next: the embedded-row count is reset
 * only when one of them counts.
 */
export function callerSetup(
  caller: Caller,
  settings: TransactionSettings,
  statements: Statement[] = [],
): Statement {
  const bounds = statements.some((statement) => countsEmbeddedRows(statement.sql))
    ? `${timeoutSetupSql}, ${embeddedRowsResetSql}`
    : timeoutSetupSql
  const parts = [
    `set_config('role', $1::text, true), set_config('request.jwt.claims', $2::text, true), ${bounds}`,
  ]
  const params = [caller.role, claimsJson(caller.claims), settings.statementTimeout ?? null]
  const setting = (name: string, value: string) => {
    params.push(name, value)
    parts.push(`set_config($${params.length - 1}::text, $${params.length}::text, true)`)
  }
  for (const [name, value] of settings.roleSettings ?? []) setting(name, value)
  if (settings.searchPath !== undefined) setting('search_path', settings.searchPath)
  return { sql: `select ${parts.join(', ')}`, params }
}

/**
 * One transaction as the caller's role with its claims set. `commit` may veto on
 * the results (a singular request that did not match one row); a database error
 * rolls back and is thrown as PostgREST reports it.
 */
export async function runAsCaller(
  db: PGlite,
  caller: Caller,
  settings: TransactionSettings,
  statements: Statement[],
  commit?: (results: Rows[]) => boolean,
): Promise<Rows[]> {
  const outcome = await runPipelined(db, callerSetup(caller, settings, statements), statements, commit)
  if (!outcome.ok) throw toRestError(outcome.error, caller.role)
  return outcome.results
}
