import type { HttpBindings } from '@hono/node-server'
import type { Context, MiddlewareHandler } from 'hono'
import { createRateLimiter, type RateDecision, type RateLimit } from '../src/shared/rate-limit.ts'
import { jsonResponse } from './http.ts'
import { bearerToken, type JwtKeys } from './keys.ts'

/**
 * Rate limits on REST and auth, so one runaway or hostile client cannot take the
 * server's time from everyone else. Buckets are keyed by what a client cannot
 * choose: the verified JWT's `sub` and the socket's remote address (never a
 * header). A request without either (an in-process call, no token) is counted
 * in no bucket rather than in one shared by everybody.
 */
export interface RateLimits {
  /** Every REST and auth request of one signed-in user. */
  perUser: RateLimit
  /** Every REST and auth request from one address. */
  perIp: RateLimit
  /** `/auth/v1/token` (sign-ins and refreshes) from one address. */
  tokenPerIp: RateLimit
  /** Password sign-ins to one email address, from any address: guessing one account's password. */
  signInPerEmail: RateLimit
}

/**
 * Far above what the app does (a sync pages a few hundred rows per second at
 * most, a session refreshes hourly), so only a flood meets them. The token
 * limits are GoTrue's order of magnitude: it allows 30 sign-ins per 5 minutes
 * per address on hosted projects; tests sign in more often than that.
 */
export const defaultRateLimits: RateLimits = {
  perUser: { burst: 1000, perSecond: 200 },
  perIp: { burst: 3000, perSecond: 600 },
  tokenPerIp: { burst: 300, perSecond: 2 },
  signInPerEmail: { burst: 60, perSecond: 0.5 },
}

/** Hosted Supabase's gateway answer to a flood of API requests. */
function restRefusal(retryAfterSeconds: number): Response {
  return jsonResponse({ message: 'API rate limit exceeded' }, 429, {
    'retry-after': String(retryAfterSeconds),
  })
}

/** GoTrue's answer (apierrors.ErrorCodeOverRequestRateLimit), in its error body. */
export function authRateRefusal(retryAfterSeconds: number): Response {
  return jsonResponse(
    { code: 429, error_code: 'over_request_rate_limit', msg: 'Request rate limit reached' },
    429,
    { 'retry-after': String(retryAfterSeconds) },
  )
}

const socketAddress = (c: Context): string | undefined =>
  (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket?.remoteAddress

export function createRateGuard(limits: RateLimits, jwt: JwtKeys, now: () => number = Date.now) {
  const perUser = createRateLimiter(limits.perUser, now)
  const perIp = createRateLimiter(limits.perIp, now)
  const tokenPerIp = createRateLimiter(limits.tokenPerIp, now)
  const signInPerEmail = createRateLimiter(limits.signInPerEmail, now)

  const middleware: MiddlewareHandler = async (c, next) => {
    const token = bearerToken(c.req.raw.headers)
    const verified = token === undefined ? undefined : await jwt.verify(token)
    const claims = verified?.ok ? verified.claims : undefined
    // The service role is the relay (or an operator) holding the secret key; it limits its own callers.
    if (claims?.role === 'service_role') return next()
    const ip = socketAddress(c)
    const takes: (() => RateDecision)[] = []
    if (ip !== undefined) {
      takes.push(() => perIp.take(ip))
      if (c.req.path === '/auth/v1/token') takes.push(() => tokenPerIp.take(ip))
    }
    if (typeof claims?.sub === 'string') takes.push(() => perUser.take(claims.sub as string))
    for (const take of takes) {
      const decision = take()
      if (!decision.allowed)
        return c.req.path.startsWith('/auth/')
          ? authRateRefusal(decision.retryAfterSeconds)
          : restRefusal(decision.retryAfterSeconds)
    }
    return next()
  }

  return {
    middleware,
    /** Called once the password grant names its account, before the password is checked. */
    signIn: (email: string) => signInPerEmail.take(email.toLowerCase()),
  }
}

export type RateGuard = ReturnType<typeof createRateGuard>
