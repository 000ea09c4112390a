import { randomBytes } from 'node:crypto'
import type { Transaction } from '@electric-sql/pglite'
import { z } from 'zod'
import type { AuthContext } from './context.ts'
import { authError, validationFailed } from './errors.ts'
import { jsonResponse } from '../http.ts'
import { findUser, userJson, type User } from './users.ts'

/** How the session was obtained, GoTrue's `amr` entry (models.AuthenticationMethod). */
export type SignInMethod =
  'password' | 'otp' | 'magiclink' | 'recovery' | 'invite' | 'anonymous' | 'email/signup'

const newRefreshToken = () => randomBytes(9).toString('base64url')

/**
 * The session GoTrue answers a sign-in with (models.AccessTokenResponse). The one
 * place an access token is minted: `<api url>/auth/v1` as `iss`, the config's
 * jwt_expiry as its lifetime.
 */
async function sessionJson(
  ctx: AuthContext,
  tx: Transaction,
  userId: string,
  sessionId: string,
  refreshToken: string,
  method: SignInMethod,
) {
  const user = (await findUser(tx, userId))!
  const { row } = user
  const session = await tx.query<{ aal: string; mfa_method: string | null; created_at: Date }>(
    'select aal, mfa_method, created_at from auth.sessions where id = $1',
    [sessionId],
  )
  const { aal, mfa_method: mfaMethod, created_at: startedAt } = session.rows[0]!
  const iat = Math.floor(Date.now() / 1000)
  const signedInAt = Math.floor(startedAt.getTime() / 1000)
  const exp = iat + ctx.config.jwtExpirySeconds
  const accessToken = await ctx.jwt.sign({
    aud: row.aud ?? 'authenticated',
    exp,
    iat,
    iss: ctx.issuer,
    sub: row.id,
    email: row.email ?? '',
    phone: row.phone ?? '',
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: row.raw_user_meta_data ?? {},
    role: row.role || 'authenticated',
    aal,
    amr: [...(mfaMethod ? [{ method: mfaMethod, timestamp: iat }] : []), { method, timestamp: signedInAt }],
    session_id: sessionId,
    is_anonymous: row.is_anonymous,
  })
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: ctx.config.jwtExpirySeconds,
    expires_at: exp,
    refresh_token: refreshToken,
    user: userJson(user),
  }
}

/** A new session for a user who just proved who they are (models.NewSession + the first refresh token). */
export async function startSession(ctx: AuthContext, tx: Transaction, user: User, method: SignInMethod) {
  const session = await tx.query<{ id: string }>(
    'insert into auth.sessions (id, user_id, sign_in_method) values (gen_random_uuid(), $1, $2) returning id',
    [user.row.id, method],
  )
  const sessionId = session.rows[0]!.id
  const refreshToken = newRefreshToken()
  await tx.query('insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)', [
    refreshToken,
    user.row.id,
    sessionId,
  ])
  await tx.query('update auth.users set last_sign_in_at = now() where id = $1', [user.row.id])
  await tx.query(`update auth.identities set last_sign_in_at = now() where user_id = $1 and provider = $2`, [
    user.row.id,
    method === 'anonymous' ? 'anonymous' : user.row.phone && !user.row.email ? 'phone' : 'email',
  ])
  ctx.logger.info('signed in', { user_id: user.row.id, session_id: sessionId, method })
  return sessionJson(ctx, tx, user.row.id, sessionId, refreshToken, method)
}

/**
 * The session raised to aal2 by a verified second factor (GoTrue's
 * AAL2 upgrade in mfa.go): its tokens so far are revoked, and a new one carries it.
 */
export async function raiseSession(
  ctx: AuthContext,
  tx: Transaction,
  userId: string,
  sessionId: string,
  factorMethod: string,
) {
  await tx.query(`update auth.sessions set aal = 'aal2', mfa_method = $2, updated_at = now() where id = $1`, [
    sessionId,
    factorMethod,
  ])
  await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1', [
    sessionId,
  ])
  const refreshToken = newRefreshToken()
  await tx.query('insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)', [
    refreshToken,
    userId,
    sessionId,
  ])
  const method = await tx.query<{ sign_in_method: SignInMethod | null }>(
    'select sign_in_method from auth.sessions where id = $1',
    [sessionId],
  )
  return sessionJson(ctx, tx, userId, sessionId, refreshToken, method.rows[0]?.sign_in_method ?? 'password')
}

/** The live token a rotated one was replaced by, following the rotations since; none once the session was signed out. */
async function activeDescendant(tx: Transaction, token: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ token: string }>(
    `with recursive descendants as (
       select token, revoked, 1 as depth from auth.refresh_tokens where parent = $1
       union all
       select t.token, t.revoked, d.depth + 1 from auth.refresh_tokens t join descendants d on t.parent = d.token where d.depth < 50
     )
     select token from descendants where not revoked order by depth desc limit 1`,
    [token],
  )
  return rows[0]?.token
}

interface RefreshTokenRow {
  session_id: string
  sign_in_method: SignInMethod | null
  user_id: string
  revoked: boolean
  updated_at: Date
  not_after: Date | null
}

const refreshGrant = z.object({ refresh_token: z.string().max(255) })

/**
 * GoTrue's refresh_token grant (token_refresh.go): every refresh revokes the
 * presented token and issues its child. Within refresh_token_reuse_interval a
 * revoked token still answers with the family's live token (two tabs racing);
 * after it, a revoked token means it leaked, and the whole session is revoked.
 */
export async function refreshSession(ctx: AuthContext, body: unknown): Promise<Response> {
  const parsed = refreshGrant.safeParse(body ?? {})
  if (!parsed.success || parsed.data.refresh_token === '') return validationFailed('refresh_token required')
  const presented = parsed.data.refresh_token
  const reuseIntervalMs = ctx.config.refreshTokenReuseIntervalSeconds * 1000
  return ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<RefreshTokenRow>(
      `select t.session_id, t.user_id, t.revoked, t.updated_at, s.not_after, s.sign_in_method
         from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
        where t.token = $1
        for update of t`,
      [presented],
    )
    const token = rows[0]
    const notFound = () =>
      authError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
    if (!token) return notFound()
    const user = await findUser(tx, token.user_id)
    if (!user) return notFound()
    if (user.row.banned_until && user.row.banned_until.getTime() > Date.now())
      return authError(400, 'user_banned', 'Invalid Refresh Token: User Banned')
    if (token.not_after && token.not_after.getTime() <= Date.now())
      return authError(400, 'session_expired', 'Invalid Refresh Token: Session Expired')
    const method = token.sign_in_method ?? 'password'
    if (token.revoked && ctx.config.refreshTokenRotation) {
      if (token.updated_at.getTime() > Date.now() - reuseIntervalMs) {
        const replay = await activeDescendant(tx, presented)
        if (replay)
          return jsonResponse(await sessionJson(ctx, tx, user.row.id, token.session_id, replay, method), 200)
      }
      await tx.query(
        'update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1',
        [token.session_id],
      )
      ctx.logger.warn('refresh token reused; session tokens revoked', { session_id: token.session_id })
      return authError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used')
    }
    const child = newRefreshToken()
    await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where token = $1', [
      presented,
    ])
    await tx.query(
      'insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)',
      [child, user.row.id, token.session_id, presented],
    )
    await tx.query('update auth.sessions set updated_at = now() where id = $1', [token.session_id])
    return jsonResponse(await sessionJson(ctx, tx, user.row.id, token.session_id, child, method), 200)
  })
}
