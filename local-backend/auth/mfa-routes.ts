import { Hono, type Context } from 'hono'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { z } from 'zod'
import { jsonResponse } from '../http.ts'
import { authenticate, requireServiceRole, uuid, type AuthContext, type UserClaims } from './context.ts'
import { authError, validationFailed } from './errors.ts'
import { readParams } from './params.ts'
import { raiseSession } from './sessions.ts'
import { factorJson, findUser } from './users.ts'

const enrollParams = z.object({
  factor_type: z.string(),
  friendly_name: z.string().max(255).optional(),
  issuer: z.string().max(255).optional(),
})
const verifyParams = z.object({ challenge_id: z.string(), code: z.string().max(16).optional() })

/** GoTrue's MFA_CHALLENGE_EXPIRY_DURATION default: a challenge is good for five minutes. */
const challengeLifetimeSeconds = 300
/** GoTrue's MFA_MAX_ENROLLED_FACTORS default. */
const maxEnrolledFactors = 10

const factorNotFound = () => authError(404, 'mfa_factor_not_found', 'Factor not found')

const totpOf = (secret: string, issuer: string, label: string) =>
  new TOTP({ issuer, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })

/**
 * Multi-factor authentication with TOTP (GoTrue's mfa.go): enrol a factor (its secret,
 * otpauth URI and QR code), challenge it, and verify a code, which raises the session to
 * aal2. WebAuthn factors can be enrolled but not challenged: the embedded backend has no
 * relying-party configuration to check an authenticator against.
 */
export function createMfaRoutes(ctx: AuthContext): Hono {
  const { db, config } = ctx
  const app = new Hono()

  async function signedIn(
    c: Context,
  ): Promise<{ ok: true; claims: UserClaims } | { ok: false; response: Response }> {
    const auth = await authenticate(c, ctx.jwt)
    if (!auth.ok) return auth
    if (!(await findUser(db, auth.claims.sub)))
      return {
        ok: false,
        response: authError(403, 'user_not_found', 'User from sub claim in JWT does not exist'),
      }
    return auth
  }

  app.post('/factors', async (c) => {
    const auth = await signedIn(c)
    if (!auth.ok) return auth.response
    const params = await readParams(c.req.raw, enrollParams)
    if (!params.ok) return params.response
    const { factor_type: type, friendly_name: friendlyName = '', issuer: requestedIssuer } = params.value
    if (type !== 'totp' && type !== 'webauthn')
      return type === 'phone'
        ? authError(422, 'mfa_phone_enroll_not_enabled', 'MFA enroll is disabled for Phone')
        : validationFailed('factor_type needs to be totp, phone, or webauthn')
    const userId = auth.claims.sub
    return db.transaction(async (tx) => {
      const existing = await tx.query<{ friendly_name: string; status: string }>(
        'select friendly_name, status from auth.mfa_factors where user_id = $1',
        [userId],
      )
      if (friendlyName && existing.rows.some((f) => f.friendly_name === friendlyName))
        return authError(
          422,
          'mfa_factor_name_conflict',
          `A factor with the friendly name "${friendlyName}" for this user already exists`,
        )
      if (existing.rows.filter((f) => f.status === 'verified').length >= maxEnrolledFactors)
        return authError(
          422,
          'too_many_enrolled_mfa_factors',
          'Maximum number of verified factors reached, unenroll to continue',
        )
      const secret = type === 'totp' ? new Secret({ size: 20 }).base32 : null
      const { rows } = await tx.query<{ id: string }>(
        `insert into auth.mfa_factors (user_id, friendly_name, factor_type, secret) values ($1, $2, $3, $4) returning id`,
        [userId, friendlyName, type, secret],
      )
      const id = rows[0]!.id
      if (type === 'webauthn') return jsonResponse({ id, type, friendly_name: friendlyName }, 200)
      const issuer = requestedIssuer || new URL(config.siteUrl).host
      const user = (await findUser(tx, userId))!
      const uri = totpOf(secret!, issuer, user.row.email ?? user.row.phone ?? userId).toString()
      const svg = await QRCode.toString(uri, { type: 'svg' })
      return jsonResponse(
        {
          id,
          type,
          friendly_name: friendlyName,
          // The SVG itself: auth-js makes it a data: URL.
          totp: { qr_code: svg, secret, uri },
        },
        200,
      )
    })
  })

  app.post('/factors/:id/challenge', async (c) => {
    const auth = await signedIn(c)
    if (!auth.ok) return auth.response
    const factorId = c.req.param('id')
    if (!uuid.safeParse(factorId).success) return factorNotFound()
    const factor = await db.query<{ factor_type: string }>(
      'select factor_type from auth.mfa_factors where id = $1 and user_id = $2',
      [factorId, auth.claims.sub],
    )
    const type = factor.rows[0]?.factor_type
    if (!type) return factorNotFound()
    if (type !== 'totp')
      return authError(422, 'mfa_webauthn_verify_not_enabled', 'MFA verification is disabled for WebAuthn')
    const { rows } = await db.query<{ id: string; created_at: Date }>(
      'insert into auth.mfa_challenges (factor_id) values ($1) returning id, created_at',
      [factorId],
    )
    await db.query('update auth.mfa_factors set last_challenged_at = now() where id = $1', [factorId])
    const challenge = rows[0]!
    return jsonResponse(
      {
        id: challenge.id,
        type,
        expires_at: Math.floor(challenge.created_at.getTime() / 1000) + challengeLifetimeSeconds,
      },
      200,
    )
  })

  app.post('/factors/:id/verify', async (c) => {
    const auth = await signedIn(c)
    if (!auth.ok) return auth.response
    const params = await readParams(c.req.raw, verifyParams)
    if (!params.ok) return params.response
    const factorId = c.req.param('id')
    const { sub, session_id: sessionId } = auth.claims
    if (!uuid.safeParse(factorId).success || !uuid.safeParse(params.value.challenge_id).success)
      return factorNotFound()
    return db.transaction(async (tx) => {
      const found = await tx.query<{
        secret: string | null
        factor_type: string
        expired: boolean
        email: string | null
      }>(
        `select f.secret, f.factor_type, c.created_at < now() - $4::int * interval '1 second' as expired, u.email
           from auth.mfa_challenges c join auth.mfa_factors f on f.id = c.factor_id join auth.users u on u.id = f.user_id
          where c.id = $1 and f.id = $2 and f.user_id = $3 and c.verified_at is null`,
        [params.value.challenge_id, factorId, sub, challengeLifetimeSeconds],
      )
      const challenge = found.rows[0]
      if (!challenge)
        return authError(422, 'mfa_factor_not_found', 'MFA factor with the provided challenge ID not found')
      if (challenge.expired) {
        await tx.query('delete from auth.mfa_challenges where id = $1', [params.value.challenge_id])
        return authError(
          422,
          'mfa_challenge_expired',
          `MFA challenge ${params.value.challenge_id} has expired, verify against another challenge or create a new challenge.`,
        )
      }
      const totp = totpOf(challenge.secret ?? '', 'verify', challenge.email ?? sub)
      if (totp.validate({ token: params.value.code ?? '', window: 1 }) === null)
        return authError(422, 'mfa_verification_failed', 'Invalid TOTP code entered')
      await tx.query('update auth.mfa_challenges set verified_at = now() where id = $1', [
        params.value.challenge_id,
      ])
      await tx.query(`update auth.mfa_factors set status = 'verified', updated_at = now() where id = $1`, [
        factorId,
      ])
      if (typeof sessionId !== 'string') return validationFailed('A session is required to verify a factor')
      return jsonResponse(await raiseSession(ctx, tx, sub, sessionId, 'totp'), 200)
    })
  })

  app.delete('/factors/:id', async (c) => {
    const auth = await signedIn(c)
    if (!auth.ok) return auth.response
    const factorId = c.req.param('id')
    if (!uuid.safeParse(factorId).success) return factorNotFound()
    // A verified factor is removed only from an aal2 session, as GoTrue requires.
    const { rows } = await db.query<{ id: string }>(
      `delete from auth.mfa_factors f
        where f.id = $1 and f.user_id = $2
          and (f.status <> 'verified' or exists (select 1 from auth.sessions s where s.id = $3::uuid and s.aal = 'aal2'))
        returning id`,
      [factorId, auth.claims.sub, typeof auth.claims.session_id === 'string' ? auth.claims.session_id : null],
    )
    if (rows.length === 0) {
      const exists = await db.query('select 1 from auth.mfa_factors where id = $1 and user_id = $2', [
        factorId,
        auth.claims.sub,
      ])
      return exists.rows.length === 0
        ? factorNotFound()
        : authError(403, 'insufficient_aal', 'AAL2 required to unenroll verified factor')
    }
    return jsonResponse({ id: factorId }, 200)
  })

  app.get('/admin/users/:id/factors', async (c) => {
    const refused = await requireServiceRole(c, ctx.jwt)
    if (refused) return refused
    const userId = c.req.param('id')
    if (!uuid.safeParse(userId).success) return authError(404, 'validation_failed', 'user_id must be an UUID')
    const user = await findUser(db, userId)
    return user
      ? jsonResponse(user.factors.map(factorJson), 200)
      : authError(404, 'user_not_found', 'User not found')
  })

  app.delete('/admin/users/:id/factors/:factorId', async (c) => {
    const refused = await requireServiceRole(c, ctx.jwt)
    if (refused) return refused
    const userId = c.req.param('id')
    const factorId = c.req.param('factorId')
    if (!uuid.safeParse(userId).success) return authError(404, 'validation_failed', 'user_id must be an UUID')
    if (!uuid.safeParse(factorId).success)
      return authError(404, 'validation_failed', 'factor_id must be an UUID')
    const user = await findUser(db, userId)
    if (!user) return authError(404, 'user_not_found', 'User not found')
    const factor = user.factors.find((f) => f.id === factorId)
    if (!factor) return factorNotFound()
    await db.query('delete from auth.mfa_factors where id = $1', [factorId])
    return jsonResponse(factorJson(factor), 200)
  })

  return app
}
