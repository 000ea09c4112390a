import type { Transaction } from '@electric-sql/pglite'
import { Hono } from 'hono'
import { z } from 'zod'
import { jsonResponse } from '../http.ts'
import { checkEmail, checkPhone, insertAccount } from './accounts.ts'
import type { AuthContext } from './context.ts'
import { authError, validationFailed } from './errors.ts'
import { readParams } from './params.ts'
import { issueToken, redeemToken, redeemableTypes, type VerifyType } from './one-time-tokens.ts'
import type { MailKind } from './outbox.ts'
import { redirectTarget } from './redirects.ts'
import { startSession, type SignInMethod } from './sessions.ts'
import { findUser, findUserByEmail } from './users.ts'

const metadata = z.record(z.string(), z.unknown())

const otpParams = z.object({
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  create_user: z.boolean().optional(),
  data: metadata.optional(),
})

const verifyParams = z.object({
  type: z.string(),
  token: z.string().max(255).optional(),
  token_hash: z.string().max(255).optional(),
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  redirect_to: z.string().optional(),
})

const emailParams = z.object({ email: z.string().max(255).optional() })
const resendParams = z.object({
  type: z.string(),
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
})

const smsUnavailable = () =>
  authError(
    500,
    'sms_send_failed',
    'Error sending confirmation OTP to provider: no SMS provider is configured',
  )
const otpInvalid = () => authError(403, 'otp_expired', 'Token has expired or is invalid')

const methodOf: Record<VerifyType, SignInMethod> = {
  signup: 'otp',
  email: 'otp',
  magiclink: 'magiclink',
  recovery: 'recovery',
  invite: 'invite',
  email_change: 'otp',
}

/**
 * The emailed flows (GoTrue's otp.go, magic_link.go, recover.go, resend.go, verify.go):
 * each sends a one-time code and link through the outbox, and /verify trades either
 * for a session.
 */
export function createVerifyRoutes(ctx: AuthContext): Hono {
  const { db, config } = ctx
  const app = new Hono()

  /** Sends a kind of mail to an existing account, or to a new one when `create` allows. */
  async function mailTo(email: string, kind: MailKind, redirectTo: string, create?: Record<string, unknown>) {
    await db.transaction(async (tx) => {
      let user = await findUserByEmail(tx, email)
      let sent = kind
      if (!user) {
        if (!create) return
        user = await insertAccount(tx, { email, userMetadata: create }, null)
        sent = 'confirmation'
      } else if (kind === 'magiclink' && !user.row.email_confirmed_at) {
        sent = 'confirmation'
      }
      ctx.outbox.send(await issueToken(ctx, tx, user.row.id, { kind: sent, to: email, redirectTo }))
    })
  }

  app.post('/otp', async (c) => {
    const params = await readParams(c.req.raw, otpParams)
    if (!params.ok) return params.response
    const { email: rawEmail, phone, create_user: createUser = true, data } = params.value
    if (phone !== undefined) {
      const checked = checkPhone(phone)
      return checked.ok ? smsUnavailable() : checked.response
    }
    const email = checkEmail(rawEmail)
    if (!email.ok) return email.response
    const exists = await findUserByEmail(db, email.value)
    if (!exists && (!createUser || !config.signupEnabled))
      return authError(422, 'otp_disabled', 'Signups not allowed for otp')
    await mailTo(email.value, 'magiclink', redirectTarget(config, c.req.query('redirect_to')), data ?? {})
    return jsonResponse({}, 200)
  })

  app.post('/magiclink', async (c) => {
    const params = await readParams(c.req.raw, emailParams)
    if (!params.ok) return params.response
    const email = checkEmail(params.value.email)
    if (!email.ok) return email.response
    await mailTo(
      email.value,
      'magiclink',
      redirectTarget(config, c.req.query('redirect_to')),
      config.signupEnabled ? {} : undefined,
    )
    return jsonResponse({}, 200)
  })

  // An unknown address gets the same answer as a known one: the endpoint does not tell who has an account.
  app.post('/recover', async (c) => {
    const params = await readParams(c.req.raw, emailParams)
    if (!params.ok) return params.response
    const email = checkEmail(params.value.email)
    if (!email.ok) return email.response
    await mailTo(email.value, 'recovery', redirectTarget(config, c.req.query('redirect_to')))
    return jsonResponse({}, 200)
  })

  app.post('/resend', async (c) => {
    const params = await readParams(c.req.raw, resendParams)
    if (!params.ok) return params.response
    const { type, email: rawEmail, phone } = params.value
    if (!['signup', 'email_change', 'sms', 'phone_change'].includes(type))
      return validationFailed('Missing one of these types: signup, email_change, sms, phone_change')
    if (type === 'sms' || type === 'phone_change') {
      const checked = checkPhone(phone)
      return checked.ok ? smsUnavailable() : checked.response
    }
    const email = checkEmail(rawEmail)
    if (!email.ok) return email.response
    const redirectTo = redirectTarget(config, c.req.query('redirect_to'))
    await db.transaction(async (tx) => {
      const user =
        type === 'signup' ? await findUserByEmail(tx, email.value) : await pendingEmailChange(tx, email.value)
      if (!user || (type === 'signup' && user.row.email_confirmed_at)) return
      const kind = type === 'signup' ? 'confirmation' : 'email_change'
      ctx.outbox.send(await issueToken(ctx, tx, user.row.id, { kind, to: email.value, redirectTo }))
    })
    return jsonResponse({}, 200)
  })

  async function pendingEmailChange(tx: Transaction, newEmail: string) {
    const { rows } = await tx.query<{ id: string }>('select id from auth.users where email_change = $1', [
      newEmail,
    ])
    return rows[0] && findUser(tx, rows[0].id)
  }

  /** Redeems a token, confirms what it proves, and starts a session. */
  async function verify(
    type: VerifyType,
    proof: { tokenHash: string } | { to: string; otp: string },
  ): Promise<
    { ok: true; session: Awaited<ReturnType<typeof startSession>> } | { ok: false; response: Response }
  > {
    return db.transaction(async (tx) => {
      const redeemed = await redeemToken(ctx, tx, redeemableTypes[type], proof)
      if (!redeemed.ok) return { ok: false as const, response: otpInvalid() }
      const { userId, tokenType, relatesTo } = redeemed.token
      if (tokenType === 'email_change_token_new') {
        await tx.query(
          `update auth.users set email = email_change, email_change = '', email_confirmed_at = coalesce(email_confirmed_at, now())
            where id = $1 and email_change = $2`,
          [userId, relatesTo],
        )
        await tx.query(
          `update auth.identities set identity_data = identity_data || jsonb_build_object('email', $2::text)
            where user_id = $1 and provider = 'email'`,
          [userId, relatesTo],
        )
      } else {
        await tx.query(
          'update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() where id = $1',
          [userId],
        )
        await tx.query(
          `update auth.identities set identity_data = identity_data || '{"email_verified": true}'::jsonb
            where user_id = $1 and provider = 'email'`,
          [userId],
        )
      }
      const user = await findUser(tx, userId)
      if (!user) return { ok: false as const, response: otpInvalid() }
      if (user.row.banned_until && user.row.banned_until.getTime() > Date.now())
        return { ok: false as const, response: authError(400, 'user_banned', 'User is banned') }
      return { ok: true as const, session: await startSession(ctx, tx, user, methodOf[type]) }
    })
  }

  const isVerifyType = (type: string): type is VerifyType => type in redeemableTypes

  app.post('/verify', async (c) => {
    const params = await readParams(c.req.raw, verifyParams)
    if (!params.ok) return params.response
    const { type, token, token_hash: tokenHash, email, phone } = params.value
    if (phone !== undefined) {
      // verify.go checks the number's format before it looks for a code sent to it.
      const checked = checkPhone(phone)
      return checked.ok ? otpInvalid() : checked.response
    }
    if (!isVerifyType(type)) return validationFailed(`Verify requires a verification type`)
    let proof: { tokenHash: string } | { to: string; otp: string }
    if (tokenHash) proof = { tokenHash }
    else if (token && email) proof = { to: email, otp: token }
    else return validationFailed('Verify requires either a token or a token hash')
    const verified = await verify(type, proof)
    return verified.ok ? jsonResponse(verified.session, 200) : verified.response
  })

  /** The emailed link: verifies, then redirects with the session in the fragment (the implicit flow). */
  app.get('/verify', async (c) => {
    const type = c.req.query('type') ?? ''
    const token = c.req.query('token') ?? ''
    const redirectTo = redirectTarget(config, c.req.query('redirect_to'))
    const fail = (code: string, description: string) =>
      c.redirect(
        `${redirectTo}#error=access_denied&error_code=${code}&error_description=${encodeURIComponent(description)}`,
        303,
      )
    if (!isVerifyType(type) || !token) return fail('validation_failed', 'Verify requires a token and a type')
    const verified = await verify(type, { tokenHash: token })
    if (!verified.ok) return fail('otp_expired', 'Email link is invalid or has expired')
    const { session } = verified
    const fragment = new URLSearchParams({
      access_token: session.access_token,
      expires_at: String(session.expires_at),
      expires_in: String(session.expires_in),
      refresh_token: session.refresh_token,
      token_type: session.token_type,
      type,
    })
    return c.redirect(`${redirectTo}#${fragment}`, 303)
  })

  return app
}
