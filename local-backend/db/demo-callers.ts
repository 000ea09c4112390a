import type { PGlite, Transaction } from '@electric-sql/pglite'

/** The demo data's fixed ids (supabase/seed.sql), for tests that rely on them. */
export const demo = {
  acme: '11111111-1111-4111-8111-111111111111',
  globex: '22222222-2222-4222-8222-222222222222',
  ava: 'aaaaaaaa-0000-4000-8000-000000000001',
  ben: 'aaaaaaaa-0000-4000-8000-000000000002',
  cleo: 'bbbbbbbb-0000-4000-8000-000000000001',
  acmeToken: 'test_token_acme_not_a_secret_0001',
  acmeAccountSid: 'AC11111111111111111111111111111111',
  globexToken: 'test_token_globex_not_a_secret_02',
  globexAccountSid: 'AC22222222222222222222222222222222',
} as const

/** Contact n of the seed (1..24 in Acme, 25..30 in Globex). */
export const demoContact = (n: number): string => `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`

export type Caller = { role: 'anon' } | { role: 'service_role' } | { role: 'authenticated'; userId: string }

export const anon: Caller = { role: 'anon' }
export const serviceRole: Caller = { role: 'service_role' }
export const user = (userId: string): Caller => ({ role: 'authenticated', userId })

/** The claims Supabase puts in the JWT for each kind of caller. */
function claimsOf(caller: Caller): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  if (caller.role !== 'authenticated') return { iss: 'supabase-demo', role: caller.role, exp: 1983812996 }
  return {
    iss: 'http://127.0.0.1:54321/auth/v1',
    sub: caller.userId,
    aud: 'authenticated',
    role: 'authenticated',
    session_id: '00000000-0000-4000-8000-000000000000',
    iat: now,
    exp: now + 3600,
  }
}

/**
 * Runs `fn` the way PostgREST runs a request: in one transaction, as the caller's
 * role with `request.jwt.claims` set locally, so RLS and grants decide. Rolled
 * back afterwards unless `commit` is set, so tests sharing a database stay independent.
 */
export async function asCaller<T>(
  db: PGlite,
  caller: Caller,
  fn: (tx: Transaction) => Promise<T>,
  options: { commit?: boolean } = {},
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
      caller.role,
      JSON.stringify(claimsOf(caller)),
    ])
    const result = await fn(tx)
    if (!options.commit) await tx.rollback()
    return result
  })
}

/** Runs one statement as the caller (rolled back) and returns its rows. */
export function queryAs<T = Record<string, unknown>>(
  db: PGlite,
  caller: Caller,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return asCaller(db, caller, async (tx) => (await tx.query<T>(sql, params)).rows)
}

/** Postgres' SQLSTATE and constraint name of a failed query, for asserting on the exact error. */
export async function pgError(
  promise: Promise<unknown>,
): Promise<{ code: string; constraint?: string; message: string }> {
  try {
    await promise
  } catch (error) {
    const e = error as { code?: string; constraint?: string; message: string }
    return {
      code: e.code ?? 'unknown',
      message: e.message,
      ...(e.constraint ? { constraint: e.constraint } : {}),
    }
  }
  throw new Error('expected the query to fail, and it succeeded')
}
