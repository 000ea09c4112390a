import { createHash, randomInt } from 'node:crypto'
import type { Transaction } from '@electric-sql/pglite'
import type { AuthContext } from './context.ts'
import type { MailKind, Mail } from './outbox.ts'

/** GoTrue's one_time_tokens.token_type for each email it sends. */
const tokenTypeOf: Record<MailKind, string> = {
  confirmation: 'confirmation_token',
  invite: 'confirmation_token',
  magiclink: 'recovery_token',
  recovery: 'recovery_token',
  email_change: 'email_change_token_new',
  reauthentication: 'reauthentication_token',
}

/** The `type` the email's /verify link carries. */
const verifyTypeOf: Record<MailKind, string> = {
  confirmation: 'signup',
  invite: 'invite',
  magiclink: 'magiclink',
  recovery: 'recovery',
  email_change: 'email_change',
  reauthentication: 'reauthentication',
}

/** The column GoTrue stamps when it sends each kind. */
const sentAtColumn: Record<MailKind, string> = {
  confirmation: 'confirmation_sent_at',
  invite: 'invited_at',
  magiclink: 'recovery_sent_at',
  recovery: 'recovery_sent_at',
  email_change: 'email_change_sent_at',
  reauthentication: 'reauthentication_sent_at',
}

/** The token types a verifyOtp `type` may redeem (verify.go). */
export const redeemableTypes = {
  signup: ['confirmation_token'],
  invite: ['confirmation_token'],
  magiclink: ['recovery_token', 'confirmation_token'],
  email: ['confirmation_token', 'recovery_token'],
  recovery: ['recovery_token'],
  email_change: ['email_change_token_new'],
} as const
export type VerifyType = keyof typeof redeemableTypes

/** GoTrue's crypto.GenerateTokenHash: sha224 of the address and the code. */
const tokenHashOf = (to: string, otp: string) =>
  createHash('sha224')
    .update(to + otp)
    .digest('hex')

const newOtp = (length: number) => Array.from({ length }, () => randomInt(10)).join('')

export interface IssueOptions {
  kind: MailKind
  /** The address the mail goes to (a new address, for an email change). */
  to: string
  redirectTo: string | undefined
}

/**
 * A new one-time token of this kind for the user (replacing any earlier one), and
 * the mail that carries it. Only `deliver` puts it in the outbox: generate_link
 * hands the same contents to the admin instead.
 */
export async function issueToken(
  ctx: AuthContext,
  tx: Transaction,
  userId: string,
  options: IssueOptions,
): Promise<Mail> {
  const to = options.to.toLowerCase()
  const otp = newOtp(ctx.config.otpLength)
  const tokenHash = tokenHashOf(to, otp)
  await tx.query(
    `insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to) values ($1, $2, $3, $4)
     on conflict (user_id, token_type) do update
       set token_hash = excluded.token_hash, relates_to = excluded.relates_to, created_at = now()`,
    [userId, tokenTypeOf[options.kind], tokenHash, to],
  )
  await tx.query(`update auth.users set ${sentAtColumn[options.kind]} = now() where id = $1`, [userId])
  const link = new URL(`${ctx.issuer}/verify`)
  link.searchParams.set('token', tokenHash)
  link.searchParams.set('type', verifyTypeOf[options.kind])
  link.searchParams.set('redirect_to', options.redirectTo ?? ctx.config.siteUrl)
  return { to, kind: options.kind, otp, tokenHash, link: link.href, sentAt: new Date() }
}

export interface Redeemed {
  userId: string
  tokenType: string
  relatesTo: string
}

/**
 * Takes a live token of one of these types, by its hash or by the address and code;
 * it works once. One that outlived otp_expiry is gone too, and reported as expired.
 */
export async function redeemToken(
  ctx: AuthContext,
  tx: Transaction,
  types: readonly string[],
  proof: { tokenHash: string } | { to: string; otp: string },
): Promise<{ ok: true; token: Redeemed } | { ok: false; reason: 'invalid' | 'expired' }> {
  const hash = 'tokenHash' in proof ? proof.tokenHash : tokenHashOf(proof.to.toLowerCase(), proof.otp)
  const { rows } = await tx.query<Redeemed & { expired: boolean }>(
    `delete from auth.one_time_tokens
      where token_hash = $1 and token_type = any($2::text[])
      returning user_id as "userId", token_type as "tokenType", relates_to as "relatesTo",
                created_at < now() - $3::int * interval '1 second' as expired`,
    [hash, types, ctx.config.otpExpirySeconds],
  )
  const token = rows[0]
  if (!token) return { ok: false, reason: 'invalid' }
  if (token.expired) return { ok: false, reason: 'expired' }
  return { ok: true, token }
}
