import type { Transaction } from '@electric-sql/pglite'

/** The auth.users columns the API reads, as PGlite returns them. */
export interface UserRow {
  id: string
  aud: string | null
  role: string | null
  email: string | null
  phone: string | null
  email_confirmed_at: Date | null
  phone_confirmed_at: Date | null
  confirmed_at: Date | null
  confirmation_sent_at: Date | null
  recovery_sent_at: Date | null
  email_change: string | null
  email_change_sent_at: Date | null
  invited_at: Date | null
  last_sign_in_at: Date | null
  raw_app_meta_data: Record<string, unknown> | null
  raw_user_meta_data: Record<string, unknown> | null
  created_at: Date | null
  updated_at: Date | null
  banned_until: Date | null
  deleted_at: Date | null
  is_anonymous: boolean
  encrypted_password: string | null
}

interface IdentityRow {
  id: string
  provider_id: string
  user_id: string
  identity_data: Record<string, unknown>
  provider: string
  last_sign_in_at: Date | null
  created_at: Date | null
  updated_at: Date | null
  email: string | null
}

interface FactorRow {
  id: string
  friendly_name: string | null
  factor_type: string
  status: string
  created_at: Date
  updated_at: Date
  last_challenged_at: Date | null
}

export interface User {
  row: UserRow
  identities: IdentityRow[]
  factors: FactorRow[]
}

export const userColumns = `u.id, u.aud, u.role, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at, u.confirmed_at,
  u.confirmation_sent_at, u.recovery_sent_at, u.email_change, u.email_change_sent_at, u.invited_at, u.last_sign_in_at,
  u.raw_app_meta_data, u.raw_user_meta_data, u.created_at, u.updated_at, u.banned_until, u.deleted_at, u.is_anonymous,
  u.encrypted_password`

const iso = (value: Date | null) => (value ? value.toISOString() : undefined)

function identityJson(row: IdentityRow): Record<string, unknown> {
  return {
    identity_id: row.id,
    id: row.provider_id,
    user_id: row.user_id,
    identity_data: row.identity_data,
    provider: row.provider,
    last_sign_in_at: iso(row.last_sign_in_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    email: row.email ?? undefined,
  }
}

/** An MFA factor as GoTrue serialises it (models.Factor). */
export function factorJson(row: FactorRow): Record<string, unknown> {
  return {
    id: row.id,
    friendly_name: row.friendly_name ?? '',
    factor_type: row.factor_type,
    status: row.status,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_challenged_at: iso(row.last_challenged_at),
  }
}

/** A user as GoTrue serialises it (models.User; the `User` type of auth-js). */
export function userJson({ row, identities, factors }: User): Record<string, unknown> {
  return {
    id: row.id,
    aud: row.aud ?? 'authenticated',
    role: row.role ?? '',
    email: row.email ?? '',
    email_confirmed_at: iso(row.email_confirmed_at),
    phone: row.phone ?? '',
    phone_confirmed_at: iso(row.phone_confirmed_at),
    confirmation_sent_at: iso(row.confirmation_sent_at),
    confirmed_at: iso(row.confirmed_at),
    recovery_sent_at: iso(row.recovery_sent_at),
    new_email: row.email_change || undefined,
    email_change_sent_at: iso(row.email_change_sent_at),
    invited_at: iso(row.invited_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: row.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    ...(factors.length > 0 ? { factors: factors.map(factorJson) } : {}),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    banned_until: iso(row.banned_until),
    deleted_at: iso(row.deleted_at),
    is_anonymous: row.is_anonymous,
  }
}

type Queryable = Pick<Transaction, 'query'>

async function withIdentities(db: Queryable, row: UserRow | undefined): Promise<User | undefined> {
  if (!row) return undefined
  const { rows } = await db.query<IdentityRow>(
    `select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
       from auth.identities where user_id = $1 order by created_at, id`,
    [row.id],
  )
  const factors = await db.query<FactorRow>(
    `select id, friendly_name, factor_type, status, created_at, updated_at, last_challenged_at
       from auth.mfa_factors where user_id = $1 order by created_at, id`,
    [row.id],
  )
  return { row, identities: rows, factors: factors.rows }
}

/** A user who has not been (soft-)deleted, with their identities. */
export async function findUser(db: Queryable, id: string): Promise<User | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from auth.users u where u.id = $1 and u.deleted_at is null`,
    [id],
  )
  return withIdentities(db, rows[0])
}

export async function findUserByEmail(db: Queryable, email: string): Promise<User | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from auth.users u where lower(u.email) = lower($1) and u.deleted_at is null`,
    [email],
  )
  return withIdentities(db, rows[0])
}

export async function findUserByPhone(db: Queryable, phone: string): Promise<User | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from auth.users u where u.phone = $1 and u.deleted_at is null`,
    [phone],
  )
  return withIdentities(db, rows[0])
}

/** A page of users, newest first, as GoTrue's admin list orders them. */
export async function listUsers(db: Queryable, page: number, perPage: number) {
  const total = await db.query<{ count: number }>(
    'select count(*)::int as count from auth.users where deleted_at is null',
  )
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from auth.users u where u.deleted_at is null
      order by u.created_at desc, u.id limit $1 offset $2`,
    [perPage, (page - 1) * perPage],
  )
  const users: User[] = []
  for (const row of rows) users.push((await withIdentities(db, row))!)
  return { users, total: total.rows[0]!.count }
}
