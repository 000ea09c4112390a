import type { PGlite, Transaction } from '@electric-sql/pglite'

/** The seed's Twilio demo credentials (supabase/seed.sql): fixed, since they only work against the local double. */
const demoCredentials = {
  acmeToken: 'test_token_acme_not_a_secret_0001',
  acmeAccountSid: 'AC11111111111111111111111111111111',
  globexToken: 'test_token_globex_not_a_secret_02',
  globexAccountSid: 'AC22222222222222222222222222222222',
} as const

/** The demo data's ids in one seeded database, which drew them at random when it was seeded. */
export type DemoIds = typeof demoCredentials & {
  acme: string
  globex: string
  ava: string
  ben: string
  cleo: string
  /** The seeded contact with this name, or this number when it has none. */
  contact(nameOrPhone: string): string
}

/** Looks the demo ids up by what the seed fixes: workspace names, user emails, contact names and numbers. */
export async function demoIds(db: Pick<PGlite, 'query'>): Promise<DemoIds> {
  const { rows } = await db.query<Omit<DemoIds, 'contact' | keyof typeof demoCredentials>>(
    `select (select id from public.workspaces where name = 'Acme Support') as acme,
            (select id from public.workspaces where name = 'Globex Care') as globex,
            (select id from auth.users where email = 'ava@acme.test') as ava,
            (select id from auth.users where email = 'ben@acme.test') as ben,
            (select id from auth.users where email = 'cleo@globex.test') as cleo`,
  )
  const ids = rows[0]!
  for (const [name, id] of Object.entries(ids))
    if (!id) throw new Error(`The database holds no seeded ${name}`)
  const contacts = new Map<string, string>()
  for (const row of (
    await db.query<{ id: string; key: string }>(
      'select id, coalesce(name, phone_number) as key from public.contacts',
    )
  ).rows)
    contacts.set(row.key, row.id)
  return {
    ...demoCredentials,
    ...ids,
    contact(nameOrPhone) {
      const id = contacts.get(nameOrPhone)
      if (!id) throw new Error(`No seeded contact is ${nameOrPhone}`)
      return id
    },
  }
}

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
    await becomeCaller(tx, caller)
    const result = await fn(tx)
    if (!options.commit) await tx.rollback()
    return result
  })
}

/** Switches an open transaction to the caller's role and claims, for what it runs next. */
export async function becomeCaller(tx: Transaction, caller: Caller): Promise<void> {
  await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
    caller.role,
    JSON.stringify(claimsOf(caller)),
  ])
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
