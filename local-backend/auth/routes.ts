import { randomBytes } from 'node:crypto'
import type { PGlite, Transaction } from '@electric-sql/pglite'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Logger } from '../../src/shared/log.ts'
import { bearerToken, type JwtClaims, type JwtKeys } from '../keys.ts'
import { jsonResponse, readJson } from '../http.ts'
import { authRateRefusal } from '../rate-limits.ts'
import type { RateDecision } from '../../src/shared/rate-limit.ts'
import { hashPassword, passwordMatches } from './passwords.ts'
import { findUser, userColumns, userJson, type UserRow } from './users.ts'

export interface AuthOptions {
  db: PGlite
  logger: Logger
  /** The `iss` claim of access tokens: `<api url>/auth/v1`. */
  issuer: string
  accessTokenTtlSeconds: number
  /** Takes one password attempt for this email from its bucket. */
  signInAllowed: (email: string) => RateDecision
  jwt: JwtKeys
}

/** GoTrue's error body: auth-js reads `error_code` (no API-version header is sent) and shows `msg`. */
export function authError(status: number, errorCode: string, msg: string): Response {
  return jsonResponse({ code: status, error_code: errorCode, msg }, status)
}

const badJson = (message: string) =>
  authError(400, 'bad_json', `Could not parse request body as JSON: ${message}`)
const validationFailed = (msg: string) => authError(400, 'validation_failed', msg)

const passwordGrant = z.object({
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  password: z.string().max(1024),
})
const refreshGrant = z.object({ refresh_token: z.string().min(1).max(255) })
const adminCreateUser = z.object({
  email: z.string().email().max(255).optional(),
  phone: z.string().max(32).optional(),
  password: z.string().max(1024).optional(),
  email_confirm: z.boolean().optional(),
  phone_confirm: z.boolean().optional(),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
  app_metadata: z.record(z.string(), z.unknown()).optional(),
  role: z.string().max(63).optional(),
})
const adminDeleteUser = z.object({ should_soft_delete: z.boolean().optional() }).optional()
const updateUserBody = z.object({
  password: z.string().max(1024).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  // supabase-js sends it after reauthenticate(); accepted so such a call is not refused, and unused here.
  nonce: z.string().max(255).optional(),
})
const uuid = z.uuid()
const minimumPasswordLength = 6

const weakPassword = () =>
  jsonResponse(
    {
      code: 422,
      error_code: 'weak_password',
      msg: `Password should be at least ${minimumPasswordLength} characters.`,
      weak_password: { reasons: ['length'] },
    },
    422,
  )

interface SessionRow {
  session_id: string
  user_id: string
  revoked: boolean
  updated_at: Date
  not_after: Date | null
}

/**
 * GoTrue's REFRESH_TOKEN_REUSE_INTERVAL (10 s by default): two refreshes racing
 * with the same token (a timer and a 401 retry, two windows) both get the
 * session, the second one the token the first was given. Outside the interval
 * a reused token means it leaked, and the session's tokens are revoked.
 */
const refreshTokenReuseIntervalMs = 10_000

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

/** golang-jwt's words, which GoTrue appends to its bad_jwt message. */
const tokenRefusalReasons = {
  expired: 'token is expired',
  issued_in_future: 'token used before issued',
  no_expiry: 'token is missing required claim: exp claim is required',
  invalid: 'signature is invalid',
} as const

type Authenticated = { ok: true; claims: JwtClaims & { sub: string } } | { ok: false; response: Response }

/** GoTrue's `requireAuthentication`: a signed, unexpired JWT that names a user. */
async function authenticate(c: Context, jwt: JwtKeys): Promise<Authenticated> {
  const authorization = c.req.header('authorization')
  if (!authorization || !/^bearer\s+\S+/i.test(authorization)) {
    return {
      ok: false,
      response: authError(401, 'no_authorization', 'This endpoint requires a valid Bearer token'),
    }
  }
  const verified = await jwt.verify(bearerToken(c.req.raw.headers) ?? '')
  if (!verified.ok) {
    const reason = tokenRefusalReasons[verified.reason]
    return {
      ok: false,
      response: authError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${reason}`),
    }
  }
  const { claims } = verified
  if (typeof claims.sub !== 'string' || !uuid.safeParse(claims.sub).success) {
    return { ok: false, response: authError(403, 'bad_jwt', 'invalid claim: missing sub claim') }
  }
  return { ok: true, claims: claims as JwtClaims & { sub: string } }
}

async function requireServiceRole(c: Context, jwt: JwtKeys): Promise<Response | undefined> {
  const verified = await jwt.verify(bearerToken(c.req.raw.headers) ?? '')
  if (!verified.ok) {
    return authError(401, 'bad_jwt', 'invalid JWT: unable to parse or verify signature')
  }
  if (verified.claims.role !== 'service_role') return authError(403, 'not_admin', 'User not allowed')
  return undefined
}

const newRefreshToken = () => randomBytes(16).toString('base64url')

export function createAuthApp(options: AuthOptions): Hono {
  const { db, logger, issuer, accessTokenTtlSeconds, jwt } = options
  const app = new Hono()

  async function sessionResponse(tx: Transaction, user: UserRow, sessionId: string, refreshToken: string) {
    const iat = Math.floor(Date.now() / 1000)
    const exp = iat + accessTokenTtlSeconds
    const accessToken = await jwt.sign({
      aud: user.aud ?? 'authenticated',
      exp,
      iat,
      iss: issuer,
      sub: user.id,
      email: user.email ?? '',
      phone: user.phone ?? '',
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      role: user.role ?? 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: iat }],
      session_id: sessionId,
      is_anonymous: user.is_anonymous,
    })
    const fresh = (await findUser(tx, user.id)) ?? user
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: accessTokenTtlSeconds,
      expires_at: exp,
      refresh_token: refreshToken,
      user: userJson(fresh),
    }
  }

  async function signInWithPassword(body: unknown): Promise<Response> {
    const parsed = passwordGrant.safeParse(body)
    if (!parsed.success) return validationFailed('Invalid login credentials: email and password are required')
    const { email, password } = parsed.data
    if (!email) return validationFailed('An email address is required')
    const attempt = options.signInAllowed(email)
    if (!attempt.allowed) return authRateRefusal(attempt.retryAfterSeconds)
    const { rows } = await db.query<UserRow & { encrypted_password: string | null }>(
      `select ${userColumns}, u.encrypted_password from auth.users u where lower(u.email) = lower($1) and u.deleted_at is null`,
      [email],
    )
    const user = rows[0]
    if (!(await passwordMatches(password, user?.encrypted_password)) || !user) {
      return authError(400, 'invalid_credentials', 'Invalid login credentials')
    }
    if (user.banned_until && user.banned_until.getTime() > Date.now()) {
      return authError(400, 'user_banned', 'User is banned')
    }
    if (!user.email_confirmed_at) return authError(400, 'email_not_confirmed', 'Email not confirmed')
    return db.transaction(async (tx) => {
      // The password was checked outside the transaction: an account deleted meanwhile gets no session.
      if (!(await findUser(tx, user.id)))
        return authError(400, 'invalid_credentials', 'Invalid login credentials')
      const session = await tx.query<{ id: string }>(
        'insert into auth.sessions (id, user_id) values (gen_random_uuid(), $1) returning id',
        [user.id],
      )
      const sessionId = session.rows[0]!.id
      const refreshToken = newRefreshToken()
      await tx.query('insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)', [
        refreshToken,
        user.id,
        sessionId,
      ])
      await tx.query('update auth.users set last_sign_in_at = now() where id = $1', [user.id])
      logger.info('signed in', { user_id: user.id, session_id: sessionId })
      return jsonResponse(await sessionResponse(tx, user, sessionId, refreshToken), 200)
    })
  }

  /**
   * Rotation with reuse detection: every refresh revokes the presented token and
   * issues its child. Presenting a revoked token means it leaked or was replayed,
   * so the whole session's token family is revoked (GoTrue's behaviour without a
   * reuse interval).
   */
  async function refresh(body: unknown): Promise<Response> {
    const parsed = refreshGrant.safeParse(body)
    if (!parsed.success) return validationFailed('refresh_token is required')
    const presented = parsed.data.refresh_token
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<SessionRow>(
        `select t.session_id, t.user_id, t.revoked, t.updated_at, s.not_after
           from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
          where t.token = $1
          for update of t`,
        [presented],
      )
      const token = rows[0]
      if (!token)
        return authError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      if (token.revoked && token.updated_at.getTime() > Date.now() - refreshTokenReuseIntervalMs) {
        const replay = await activeDescendant(tx, presented)
        const user = replay && (await findUser(tx, token.user_id))
        if (replay && user)
          return jsonResponse(await sessionResponse(tx, user, token.session_id, replay), 200)
      }
      if (token.revoked) {
        await tx.query(
          'update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1',
          [token.session_id],
        )
        logger.warn('refresh token reused; session tokens revoked', { session_id: token.session_id })
        return authError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used')
      }
      if (token.not_after && token.not_after.getTime() <= Date.now()) {
        return authError(400, 'session_expired', 'Invalid Refresh Token: Session Expired')
      }
      const user = await findUser(tx, token.user_id)
      if (!user)
        return authError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      const child = newRefreshToken()
      await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where token = $1', [
        presented,
      ])
      await tx.query(
        'insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)',
        [child, user.id, token.session_id, presented],
      )
      await tx.query('update auth.sessions set updated_at = now() where id = $1', [token.session_id])
      return jsonResponse(await sessionResponse(tx, user, token.session_id, child), 200)
    })
  }

  app.post('/token', async (c) => {
    const body = await readJson(c.req)
    if (!body.ok) return badJson(body.message)
    const grantType = c.req.query('grant_type')
    if (grantType === 'password') return signInWithPassword(body.value)
    if (grantType === 'refresh_token') return refresh(body.value)
    return jsonResponse(
      { error: 'unsupported_grant_type', error_description: `unsupported grant_type ${grantType ?? ''}` },
      400,
    )
  })

  app.get('/user', async (c) => {
    const auth = await authenticate(c, jwt)
    if (!auth.ok) return auth.response
    const { sub, session_id: sessionId } = auth.claims
    return db.transaction(async (tx) => {
      if (typeof sessionId === 'string') {
        const session = await tx.query('select 1 from auth.sessions where id = $1 and user_id = $2', [
          sessionId,
          sub,
        ])
        if (session.rows.length === 0) {
          return authError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist')
        }
      }
      const user = await findUser(tx, sub)
      if (!user) return authError(404, 'user_not_found', 'User from sub claim in JWT does not exist')
      return jsonResponse(userJson(user), 200)
    })
  })

  // Agents are invited by their workspace's owner (the admin API), as supabase/config.toml says.
  app.post('/signup', () => authError(422, 'signup_disabled', 'Signups not allowed for this instance'))

  /**
   * GoTrue's user update, for what an agent can change alone: the password and
   * user_metadata (merged key by key, a null removing its key). Changing the email
   * or phone asks for a confirmation message the embedded backend cannot send.
   */
  app.put('/user', async (c) => {
    const auth = await authenticate(c, jwt)
    if (!auth.ok) return auth.response
    const body = await readJson(c.req)
    if (!body.ok) return badJson(body.message)
    const parsed = updateUserBody.safeParse(body.value)
    if (!parsed.success) return validationFailed('Expected password, data, email or phone')
    const { password, data, email, phone } = parsed.data
    if (email !== undefined || phone !== undefined) {
      return validationFailed(
        'Changing the email or phone needs a confirmation message, which the embedded backend cannot send',
      )
    }
    if (password !== undefined && password.length < minimumPasswordLength) return weakPassword()
    const { sub } = auth.claims
    const current = await db.query<{ encrypted_password: string | null }>(
      'select encrypted_password from auth.users where id = $1 and deleted_at is null',
      [sub],
    )
    if (current.rows.length === 0)
      return authError(404, 'user_not_found', 'User from sub claim in JWT does not exist')
    if (password !== undefined && (await passwordMatches(password, current.rows[0]!.encrypted_password))) {
      return authError(422, 'same_password', 'New password should be different from the old password.')
    }
    const passwordHash = password === undefined ? null : await hashPassword(password)
    return db.transaction(async (tx) => {
      await tx.query(
        `update auth.users
            set encrypted_password = coalesce($2, encrypted_password),
                raw_user_meta_data = case when $3::jsonb is null then raw_user_meta_data
                                          else (coalesce(raw_user_meta_data, '{}'::jsonb) || $3::jsonb)
                                               - array(select key from jsonb_each($3::jsonb) where value = 'null'::jsonb) end,
                updated_at = now()
          where id = $1`,
        [sub, passwordHash, data === undefined ? null : JSON.stringify(data)],
      )
      const user = await findUser(tx, sub)
      if (!user) return authError(404, 'user_not_found', 'User from sub claim in JWT does not exist')
      logger.info('user updated', { user_id: sub })
      return jsonResponse(userJson(user), 200)
    })
  })

  app.post('/logout', async (c) => {
    const auth = await authenticate(c, jwt)
    if (!auth.ok) return auth.response
    const scope = c.req.query('scope') ?? 'global'
    const { sub, session_id: sessionId } = auth.claims
    const current = typeof sessionId === 'string' ? sessionId : null
    // Deleting the sessions cascades to their refresh tokens: none of them can be used again.
    if (scope === 'global') {
      await db.query('delete from auth.sessions where user_id = $1', [sub])
    } else if (scope === 'local') {
      await db.query('delete from auth.sessions where id = $1 and user_id = $2', [current, sub])
    } else if (scope === 'others') {
      await db.query('delete from auth.sessions where user_id = $1 and id is distinct from $2', [
        sub,
        current,
      ])
    } else {
      return validationFailed('scope must be one of global, local, others')
    }
    logger.info('signed out', { user_id: sub, scope })
    return c.body(null, 204)
  })

  app.post('/admin/users', async (c) => {
    const refused = await requireServiceRole(c, jwt)
    if (refused) return refused
    const body = await readJson(c.req)
    if (!body.ok) return badJson(body.message)
    const parsed = adminCreateUser.safeParse(body.value ?? {})
    if (!parsed.success) return validationFailed(parsed.error.issues[0]?.message ?? 'invalid user attributes')
    const attributes = parsed.data
    if (!attributes.email && !attributes.phone)
      return validationFailed('An email address or phone number is required')
    if (attributes.password !== undefined && attributes.password.length < minimumPasswordLength) {
      return weakPassword()
    }
    const appMetadata = { provider: 'email', providers: ['email'], ...attributes.app_metadata }
    const passwordHash = attributes.password === undefined ? null : await hashPassword(attributes.password)
    return db.transaction(async (tx) => {
      const existing = await tx.query(
        'select 1 from auth.users where lower(email) = lower($1) or phone = $2',
        [attributes.email ?? null, attributes.phone ?? null],
      )
      if (existing.rows.length > 0) {
        return authError(422, 'email_exists', 'A user with this email address has already been registered')
      }
      const { rows } = await tx.query<{ id: string }>(
        `insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password, email_confirmed_at,
                                 raw_app_meta_data, raw_user_meta_data)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', $1, lower($2), $3,
                 $4,
                 case when $5 then now() end, $6::jsonb, $7::jsonb)
         returning id`,
        [
          attributes.role ?? 'authenticated',
          attributes.email ?? null,
          attributes.phone ?? null,
          passwordHash,
          attributes.email_confirm ?? false,
          JSON.stringify(appMetadata),
          JSON.stringify(attributes.user_metadata ?? {}),
        ],
      )
      const user = await findUser(tx, rows[0]!.id)
      logger.info('user created', { user_id: rows[0]!.id })
      return jsonResponse(userJson(user!), 200)
    })
  })

  app.get('/admin/users/:id', async (c) => {
    const refused = await requireServiceRole(c, jwt)
    if (refused) return refused
    const id = c.req.param('id')
    if (!uuid.safeParse(id).success) return authError(404, 'user_not_found', 'User not found')
    const user = await db.transaction((tx) => findUser(tx, id))
    return user ? jsonResponse(userJson(user), 200) : authError(404, 'user_not_found', 'User not found')
  })

  app.delete('/admin/users/:id', async (c) => {
    const refused = await requireServiceRole(c, jwt)
    if (refused) return refused
    const id = c.req.param('id')
    const body = await readJson(c.req)
    if (!body.ok) return badJson(body.message)
    const parsed = adminDeleteUser.safeParse(body.value)
    if (!parsed.success) return validationFailed('should_soft_delete must be a boolean')
    if (!uuid.safeParse(id).success) return authError(404, 'user_not_found', 'User not found')
    return db.transaction(async (tx) => {
      const user = await findUser(tx, id)
      if (!user) return authError(404, 'user_not_found', 'User not found')
      if (parsed.data?.should_soft_delete) {
        await tx.query('delete from auth.sessions where user_id = $1', [id])
        await tx.query(
          `update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = null where id = $1`,
          [id],
        )
      } else {
        await tx.query('delete from auth.users where id = $1', [id])
      }
      logger.info('user deleted', { user_id: id })
      return jsonResponse(userJson(user), 200)
    })
  })

  // GoTrue's answer when the database refuses (e.g. deleting a user who authored messages).
  app.onError((error, c) => {
    logger.error('auth request failed', { method: c.req.method, path: c.req.path, error })
    return authError(500, 'unexpected_failure', 'Database error processing the request')
  })

  app.get('/health', (c) =>
    c.json({
      version: 'local',
      name: 'GoTrue',
      description: 'GoTrue-compatible auth of the embedded local backend',
    }),
  )

  app.get('/settings', (c) =>
    c.json({
      external: { email: true, phone: false, anonymous_users: false },
      disable_signup: true,
      mailer_autoconfirm: true,
      phone_autoconfirm: false,
      sms_provider: '',
      saml_enabled: false,
    }),
  )

  return app
}
