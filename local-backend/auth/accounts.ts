import type { Transaction } from '@electric-sql/pglite'
import type { AuthConfig } from './config.ts'
import { authError, validationFailed } from './errors.ts'
import { hashPassword, passwordWeakness } from './passwords.ts'
import { findUser, type User } from './users.ts'

/** checkmail.ValidateFormat's pattern, which GoTrue's validateEmail applies. */
const emailFormat =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

export type Checked<T> = { ok: true; value: T } | { ok: false; response: Response }

/** GoTrue's validateEmail (mail.go): the address lower-cased, or its 400. */
export function checkEmail(email: string | undefined): Checked<string> {
  if (!email) return { ok: false, response: validationFailed('An email address is required') }
  if (email.length > 255) return { ok: false, response: validationFailed('An email address is too long') }
  if (!emailFormat.test(email))
    return { ok: false, response: validationFailed('Unable to validate email address: invalid format') }
  return { ok: true, value: email.toLowerCase() }
}

/** GoTrue's validatePhone (phone.go): digits only, E.164. */
export function checkPhone(phone: string | undefined): Checked<string> {
  const digits = (phone ?? '').replace(/[\s\-()+]/g, '')
  if (!/^[1-9]\d{1,14}$/.test(digits))
    return { ok: false, response: validationFailed('Invalid phone number format (E.164 required)') }
  return { ok: true, value: digits }
}

/** GoTrue's weak_password answer (422), naming what the password lacks. */
export function checkPassword(password: string, config: AuthConfig): Response | undefined {
  const weakness = passwordWeakness(password, config)
  if (!weakness) return undefined
  return authError(422, 'weak_password', weakness.message, { weak_password: { reasons: weakness.reasons } })
}

export const emailExists = () =>
  authError(422, 'email_exists', 'A user with this email address has already been registered')
export const phoneExists = () =>
  authError(422, 'phone_exists', 'Phone number already registered by another user')

export interface NewAccount {
  id?: string
  email?: string
  phone?: string
  password?: string
  userMetadata?: Record<string, unknown>
  appMetadata?: Record<string, unknown>
  role?: string
  emailConfirmed?: boolean
  phoneConfirmed?: boolean
  anonymous?: boolean
  invited?: boolean
  bannedForMs?: number
}

/**
 * Inserts a user and the identities GoTrue gives them (models.NewUser and
 * createNewIdentity): an `email` identity for an address, a `phone` one for a number,
 * none for an anonymous user. The password is hashed before the transaction is
 * reached by the caller, so no bcrypt runs while the database is held.
 */
export async function insertAccount(
  tx: Transaction,
  account: NewAccount,
  passwordHash: string | null,
): Promise<User> {
  const providers = [...(account.email ? ['email'] : []), ...(account.phone ? ['phone'] : [])]
  const appMetadata = account.anonymous
    ? { ...account.appMetadata }
    : { provider: providers[0], providers, ...account.appMetadata }
  const { rows } = await tx.query<{ id: string }>(
    `insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password, email_confirmed_at,
                             phone_confirmed_at, raw_app_meta_data, raw_user_meta_data, is_anonymous, invited_at,
                             banned_until, confirmation_token, recovery_token, email_change_token_new, email_change)
     values ('00000000-0000-0000-0000-000000000000', coalesce($1::uuid, gen_random_uuid()), 'authenticated', $2,
             $3, $4, $5, case when $6 then now() end, case when $7 then now() end, $8::jsonb, $9::jsonb, $10,
             case when $11 then now() end,
             case when $12::float8 is not null then now() + $12::float8 * interval '1 millisecond' end,
             '', '', '', '')
     returning id`,
    [
      account.id ?? null,
      account.role ?? 'authenticated',
      account.email ?? null,
      account.phone ?? null,
      passwordHash,
      account.emailConfirmed ?? false,
      account.phoneConfirmed ?? false,
      JSON.stringify(appMetadata),
      JSON.stringify(account.userMetadata ?? {}),
      account.anonymous ?? false,
      account.invited ?? false,
      account.bannedForMs ?? null,
    ],
  )
  const id = rows[0]!.id
  if (account.email)
    await upsertIdentity(
      tx,
      id,
      'email',
      { email: account.email, email_verified: false, phone_verified: false },
      account.userMetadata,
    )
  if (account.phone)
    await upsertIdentity(
      tx,
      id,
      'phone',
      { phone: account.phone, email_verified: false, phone_verified: false },
      account.userMetadata,
    )
  return (await findUser(tx, id))!
}

/**
 * The user's identity for a provider, created or with its data updated. Sign-up
 * copies its metadata into identity_data under the claims GoTrue sets (signup.go).
 */
export async function upsertIdentity(
  tx: Transaction,
  userId: string,
  provider: 'email' | 'phone',
  data: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const identityData = { ...extra, ...data, sub: userId }
  await tx.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
     values ($1::text, $2::uuid, $3::jsonb, $4, now())
     on conflict (provider_id, provider) do update
       set identity_data = auth.identities.identity_data || excluded.identity_data, updated_at = now()`,
    [userId, userId, JSON.stringify(identityData), provider],
  )
}

export const hashOptional = (password: string | undefined) =>
  password === undefined || password === '' ? Promise.resolve(null) : hashPassword(password)

/** GoTrue's UpdateUserMetaData: keys merged into the stored object, a null value removing its key. */
export const mergeMetadataSql = (column: string, param: string) =>
  `(coalesce(${column}, '{}'::jsonb) || ${param}::jsonb) - array(select key from jsonb_each(${param}::jsonb) where value = 'null'::jsonb)`
