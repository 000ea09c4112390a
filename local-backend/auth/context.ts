import type { PGlite } from '@electric-sql/pglite'
import type { Context } from 'hono'
import { z } from 'zod'
import type { Logger } from '../../src/shared/log.ts'
import type { RateDecision } from '../../src/shared/rate-limit.ts'
import { bearerToken, type JwtClaims, type JwtKeys } from '../keys.ts'
import type { AuthConfig } from './config.ts'
import { authError } from './errors.ts'
import type { Outbox } from './outbox.ts'

/** What every auth route shares. */
export interface AuthContext {
  db: PGlite
  logger: Logger
  /** The `iss` claim of access tokens, and the base of links in emails: `<api url>/auth/v1`. */
  issuer: string
  config: AuthConfig
  jwt: JwtKeys
  outbox: Outbox
  /** Takes one password attempt for this email from its bucket. */
  signInAllowed: (email: string) => RateDecision
}

export const uuid = z.uuid()

/** golang-jwt's words, which GoTrue appends to its bad_jwt message. */
const tokenRefusalReasons = {
  expired: 'token is expired',
  issued_in_future: 'token used before issued',
  no_expiry: 'token is missing required claim: exp claim is required',
  invalid: 'signature is invalid',
} as const

export type UserClaims = JwtClaims & { sub: string }
type Authenticated = { ok: true; claims: UserClaims } | { ok: false; response: Response }

/** GoTrue's `requireAuthentication`: a signed, unexpired JWT that names a user. */
export async function authenticate(c: Context, jwt: JwtKeys): Promise<Authenticated> {
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
  return { ok: true, claims: claims as UserClaims }
}

/** GoTrue's `requireAdmin`: the bearer token's role is service_role (or the supabase_admin superuser). */
export async function requireServiceRole(c: Context, jwt: JwtKeys): Promise<Response | undefined> {
  const token = bearerToken(c.req.raw.headers)
  if (!token) return authError(401, 'no_authorization', 'This endpoint requires a valid Bearer token')
  const verified = await jwt.verify(token)
  if (!verified.ok) return authError(401, 'bad_jwt', 'invalid JWT: unable to parse or verify signature')
  if (verified.claims.role !== 'service_role') return authError(403, 'not_admin', 'User not allowed')
  return undefined
}
