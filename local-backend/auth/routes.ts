import type { PGlite } from '@electric-sql/pglite'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Logger } from '../../src/shared/log.ts'
import type { RateDecision } from '../../src/shared/rate-limit.ts'
import { jsonResponse, readJson } from '../http.ts'
import type { JwtKeys } from '../keys.ts'
import { authRateRefusal } from '../rate-limits.ts'
import {
  checkEmail,
  checkPassword,
  checkPhone,
  hashOptional,
  insertAccount,
  mergeMetadataSql,
} from './accounts.ts'
import { createAdminRoutes } from './admin-routes.ts'
import { createMfaRoutes } from './mfa-routes.ts'
import { createOAuthClientRoutes } from './oauth-clients.ts'
import type { AuthConfig } from './config.ts'
import { authenticate, type AuthContext } from './context.ts'
import { authError, badJson, oauthError, validationFailed } from './errors.ts'
import { readParams } from './params.ts'
import { issueToken } from './one-time-tokens.ts'
import type { Outbox } from './outbox.ts'
import { passwordMatches } from './passwords.ts'
import { redirectTarget } from './redirects.ts'
import { refreshSession, startSession } from './sessions.ts'
import { findUser, findUserByEmail, findUserByPhone, userJson, type User } from './users.ts'
import {
  createUnsupportedRoutes,
  idTokenProviderDisabled,
  web3ProviderDisabled,
} from './unsupported-routes.ts'
import { createVerifyRoutes } from './verify-routes.ts'

export interface AuthOptions {
  db: PGlite
  logger: Logger
  /** The `iss` claim of access tokens: `<api url>/auth/v1`. */
  issuer: string
  config: AuthConfig
  outbox: Outbox
  /** Takes one password attempt for this email from its bucket. */
  signInAllowed: (email: string) => RateDecision
  jwt: JwtKeys
}

/** The issuers GoTrue names for the id_token providers it knows (token_oidc.go). */
const providerIssuers: Record<string, string> = {
  google: 'https://accounts.google.com',
  apple: 'https://appleid.apple.com',
  azure: 'https://login.microsoftonline.com/common/v2.0',
  facebook: 'https://www.facebook.com',
  keycloak: 'keycloak',
}

const metadata = z.record(z.string(), z.unknown())

const passwordGrant = z.object({
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  password: z.string().max(1024).optional(),
})

const signupParams = z.object({
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  password: z.string().max(1024).optional(),
  data: metadata.optional(),
})

const updateUserParams = z.object({
  password: z.string().max(1024).optional(),
  data: metadata.optional(),
  email: z.string().max(255).optional(),
  phone: z.string().max(32).optional(),
  nonce: z.string().max(255).optional(),
})

export function createAuthApp(options: AuthOptions): Hono {
  const { db, logger, config } = options
  const ctx: AuthContext = options
  const app = new Hono()

  /** GoTrue's password grant (token.go ResourceOwnerPasswordGrant). */
  async function signInWithPassword(c: Context): Promise<Response> {
    const params = await readParams(c.req.raw, passwordGrant)
    if (!params.ok) return params.response
    const { email, phone, password = '' } = params.value
    if (!email && !phone) return validationFailed('missing email or phone')
    if (email && !config.emailProviderEnabled)
      return authError(400, 'email_provider_disabled', 'Email logins are disabled')
    if (!email && !config.phoneProviderEnabled)
      return authError(400, 'phone_provider_disabled', 'Phone logins are disabled')
    const attempt = options.signInAllowed(email ?? phone!)
    if (!attempt.allowed) return authRateRefusal(attempt.retryAfterSeconds)
    const user = email
      ? await findUserByEmail(db, email)
      : await findUserByPhone(db, checkPhone(phone).ok ? phone!.replace(/\D/g, '') : '')
    if (!(await passwordMatches(password, user?.row.encrypted_password)) || !user)
      return authError(400, 'invalid_credentials', 'Invalid login credentials')
    if (user.row.banned_until && user.row.banned_until.getTime() > Date.now())
      return authError(400, 'user_banned', 'User is banned')
    if (email && !user.row.email_confirmed_at)
      return authError(400, 'email_not_confirmed', 'Email not confirmed')
    if (!email && !user.row.phone_confirmed_at)
      return authError(400, 'phone_not_confirmed', 'Phone not confirmed')
    return db.transaction(async (tx) => {
      // The password was checked outside the transaction: an account deleted meanwhile gets no session.
      const current = await findUser(tx, user.row.id)
      if (!current) return authError(400, 'invalid_credentials', 'Invalid login credentials')
      return jsonResponse(await startSession(ctx, tx, current, 'password'), 200)
    })
  }

  app.post('/token', async (c) => {
    const grantType = c.req.query('grant_type')
    if (grantType === 'password') return signInWithPassword(c)
    if (grantType === 'refresh_token') {
      const body = await readJson(c.req.raw)
      if (!body.ok) return badJson(body.message)
      return refreshSession(ctx, body.value)
    }
    if (grantType === 'id_token') {
      const body = await readJson(c.req.raw)
      const provider = body.ok ? z.object({ provider: z.string() }).safeParse(body.value) : undefined
      const issuer = provider?.success
        ? (providerIssuers[provider.data.provider] ?? provider.data.provider)
        : ''
      return idTokenProviderDisabled(issuer)
    }
    if (grantType === 'web3') return web3ProviderDisabled()
    return oauthError('unsupported_grant_type', `unsupported grant_type ${grantType ?? ''}`)
  })

  /** GoTrue's /signup (signup.go), and anonymous sign-ins (anonymous.go) when it names no one. */
  app.post('/signup', async (c) => {
    const params = await readParams(c.req.raw, signupParams)
    if (!params.ok) return params.response
    const { email: rawEmail, phone: rawPhone, password, data } = params.value
    // GoTrue's router asks about anonymous sign-ins before Signup asks about sign-ups (api.go).
    if (!rawEmail && !rawPhone && !config.anonymousSignInsEnabled)
      return authError(422, 'anonymous_provider_disabled', 'Anonymous sign-ins are disabled')
    if (!config.signupEnabled)
      return authError(422, 'signup_disabled', 'Signups not allowed for this instance')
    if (!rawEmail && !rawPhone) return signInAnonymously(data)
    if (!password) return validationFailed('Signup requires a valid password')
    const weak = checkPassword(password, config)
    if (weak) return weak
    if (rawEmail && rawPhone)
      return validationFailed('Only an email address or phone number should be provided on signup.')
    if (rawEmail && !config.emailProviderEnabled)
      return authError(400, 'email_provider_disabled', 'Email signups are disabled')
    if (rawPhone && !config.phoneProviderEnabled)
      return authError(400, 'phone_provider_disabled', 'Phone signups are disabled')
    const email = rawEmail ? checkEmail(rawEmail) : undefined
    if (email && !email.ok) return email.response
    const phone = rawPhone ? checkPhone(rawPhone) : undefined
    if (phone && !phone.ok) return phone.response
    const passwordHash = await hashOptional(password)
    const redirectTo = redirectTarget(config, c.req.query('redirect_to'))
    return db.transaction(async (tx) => {
      const existing = email
        ? await findUserByEmail(tx, email.value)
        : await findUserByPhone(tx, phone!.value)
      const confirmed = email ? existing?.row.email_confirmed_at : existing?.row.phone_confirmed_at
      if (existing && confirmed) return authError(422, 'user_already_exists', 'User already registered')
      const autoconfirm = email ? config.mailerAutoconfirm : config.phoneAutoconfirm
      const user =
        existing ??
        (await insertAccount(
          tx,
          {
            email: email?.value,
            phone: phone?.value,
            userMetadata: data,
            emailConfirmed: Boolean(email) && autoconfirm,
            phoneConfirmed: Boolean(phone) && autoconfirm,
          },
          passwordHash,
        ))
      if (autoconfirm) return jsonResponse(await startSession(ctx, tx, user, 'password'), 200)
      if (email)
        ctx.outbox.send(
          await issueToken(ctx, tx, user.row.id, { kind: 'confirmation', to: email.value, redirectTo }),
        )
      logger.info('signed up, confirmation sent', { user_id: user.row.id })
      return jsonResponse(userJson((await findUser(tx, user.row.id))!), 200)
    })
  })

  async function signInAnonymously(data: Record<string, unknown> | undefined): Promise<Response> {
    return db.transaction(async (tx) => {
      const user = await insertAccount(tx, { anonymous: true, userMetadata: data }, null)
      return jsonResponse(await startSession(ctx, tx, user, 'anonymous'), 200)
    })
  }

  /** The signed-in user whose session still exists (GoTrue's requireAuthentication + session lookup). */
  async function sessionUser(
    c: Context,
  ): Promise<{ ok: true; user: User } | { ok: false; response: Response }> {
    const auth = await authenticate(c, options.jwt)
    if (!auth.ok) return auth
    const { sub, session_id: sessionId } = auth.claims
    if (typeof sessionId === 'string') {
      const session = await db.query('select 1 from auth.sessions where id = $1 and user_id = $2', [
        sessionId,
        sub,
      ])
      if (session.rows.length === 0)
        return {
          ok: false,
          response: authError(
            403,
            'session_not_found',
            'Session from session_id claim in JWT does not exist',
          ),
        }
    }
    const user = await findUser(db, sub)
    if (!user)
      return {
        ok: false,
        response: authError(403, 'user_not_found', 'User from sub claim in JWT does not exist'),
      }
    return { ok: true, user }
  }

  app.get('/user', async (c) => {
    const found = await sessionUser(c)
    return found.ok ? jsonResponse(userJson(found.user), 200) : found.response
  })

  /**
   * GoTrue's user update (user.go UserUpdate): the password, user_metadata (merged
   * key by key, a null removing its key), and the email, which changes only once the
   * new address confirms it unless email confirmations are off.
   */
  app.put('/user', async (c) => {
    const found = await sessionUser(c)
    if (!found.ok) return found.response
    const params = await readParams(c.req.raw, updateUserParams)
    if (!params.ok) return params.response
    const { password, data, email: rawEmail, phone: rawPhone, nonce } = params.value
    const { user } = found
    const id = user.row.id
    if (password !== undefined) {
      const weak = checkPassword(password, config)
      if (weak) return weak
      if (await passwordMatches(password, user.row.encrypted_password))
        return authError(422, 'same_password', 'New password should be different from the old password.')
    }
    const email = rawEmail && rawEmail.toLowerCase() !== user.row.email ? checkEmail(rawEmail) : undefined
    if (email && !email.ok) return email.response
    if (rawPhone !== undefined && rawPhone !== user.row.phone)
      return authError(
        500,
        'sms_send_failed',
        'Error sending phone change OTP: no SMS provider is configured',
      )
    const passwordHash = await hashOptional(password)
    return db.transaction(async (tx) => {
      if (password !== undefined && config.passwordChangeNeedsReauthentication) {
        if (!nonce)
          return authError(400, 'reauthentication_needed', 'Password update requires reauthentication')
        const { rows } = await tx.query(
          `delete from auth.one_time_tokens where user_id = $1 and token_type = 'reauthentication_token'
             and token_hash = encode(sha224(convert_to(coalesce($2, '') || $3, 'UTF8')), 'hex') returning 1`,
          [id, user.row.email, nonce],
        )
        if (rows.length === 0)
          return authError(400, 'reauthentication_not_valid', 'Requires reauthentication')
      }
      if (email) {
        if (await findUserByEmail(tx, email.value))
          return authError(422, 'email_exists', 'A user with this email address has already been registered')
        if (config.mailerAutoconfirm) {
          await tx.query('update auth.users set email = $2, email_confirmed_at = now() where id = $1', [
            id,
            email.value,
          ])
        } else {
          await tx.query('update auth.users set email_change = $2 where id = $1', [id, email.value])
          const redirectTo = redirectTarget(config, c.req.query('redirect_to'))
          ctx.outbox.send(
            await issueToken(ctx, tx, id, { kind: 'email_change', to: email.value, redirectTo }),
          )
        }
      }
      await tx.query(
        `update auth.users
            set encrypted_password = coalesce($2, encrypted_password),
                raw_user_meta_data = case when $3::jsonb is null then raw_user_meta_data
                                          else ${mergeMetadataSql('raw_user_meta_data', '$3')} end,
                updated_at = now()
          where id = $1`,
        [id, passwordHash, data === undefined ? null : JSON.stringify(data)],
      )
      logger.info('user updated', { user_id: id })
      return jsonResponse(userJson((await findUser(tx, id))!), 200)
    })
  })

  app.post('/logout', async (c) => {
    const auth = await authenticate(c, options.jwt)
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
      return validationFailed(`Unsupported logout scope "${scope}"`)
    }
    logger.info('signed out', { user_id: sub, scope })
    return c.body(null, 204)
  })

  /** GoTrue's /reauthenticate: a code to the user's email, which updateUser takes as `nonce`. */
  app.get('/reauthenticate', async (c) => {
    const found = await sessionUser(c)
    if (!found.ok) return found.response
    const { user } = found
    if (!user.row.email)
      return validationFailed('Reauthentication requires the user to have an email or a phone number')
    await db.transaction(async (tx) => {
      ctx.outbox.send(
        await issueToken(ctx, tx, user.row.id, {
          kind: 'reauthentication',
          to: user.row.email!,
          redirectTo: undefined,
        }),
      )
    })
    return jsonResponse({}, 200)
  })

  app.route('/', createAdminRoutes(ctx))
  app.route('/', createVerifyRoutes(ctx))
  app.route('/', createMfaRoutes(ctx))
  app.route('/', createOAuthClientRoutes(ctx))
  app.route('/', createUnsupportedRoutes(ctx))

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

  /** GoTrue's /settings (settings.go), from config.toml. */
  app.get('/settings', (c) =>
    c.json({
      external: {
        email: config.emailProviderEnabled,
        phone: config.phoneProviderEnabled,
        anonymous_users: config.anonymousSignInsEnabled,
      },
      disable_signup: !config.signupEnabled,
      mailer_autoconfirm: config.mailerAutoconfirm,
      phone_autoconfirm: config.phoneAutoconfirm,
      sms_provider: '',
      saml_enabled: false,
    }),
  )

  return app
}
