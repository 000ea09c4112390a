import { errors as joseErrors, jwtVerify } from 'jose'

/**
 * The one check of a bearer JWT that REST, auth and realtime share; each answers
 * a refusal in its own API's words. HS256 with the project's secret, an `exp`
 * that has not passed, and an `iat` that is not ahead of our clock: a token
 * "issued" later than now was minted with a wrong clock or to outlive its
 * lifetime, so it is refused as PostgREST refuses it.
 */

/** PostgREST's allowedSkewSeconds: an `iat` up to this far ahead is another machine's clock, not a forgery. */
export const issuedAtSkewSeconds = 30

export interface TokenClaims {
  exp: number
  [claim: string]: unknown
}

export type TokenRefusalKind = 'malformed' | 'signature' | 'expired' | 'issued_in_future' | 'no_expiry'

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; kind: TokenRefusalKind; /** Set when expired. */ expiredSecondsAgo?: number }

export type TokenVerify = (token: string) => Promise<TokenCheck>

/** `now` in epoch milliseconds, so realtime's tests can move the clock. */
export function createTokenVerify(secret: string, now: () => number): TokenVerify {
  const key = new TextEncoder().encode(secret)
  return async (token) => {
    const at = now()
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: new Date(at) })
      if (typeof payload.exp !== 'number') return { ok: false, kind: 'no_expiry' }
      if (typeof payload.iat === 'number' && payload.iat > at / 1000 + issuedAtSkewSeconds)
        return { ok: false, kind: 'issued_in_future' }
      return { ok: true, claims: payload as TokenClaims }
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        const exp = typeof error.payload.exp === 'number' ? error.payload.exp : 0
        return { ok: false, kind: 'expired', expiredSecondsAgo: Math.floor(at / 1000) - exp }
      }
      if (
        error instanceof joseErrors.JWSSignatureVerificationFailed ||
        error instanceof joseErrors.JOSEAlgNotAllowed
      )
        return { ok: false, kind: 'signature' }
      return { ok: false, kind: 'malformed' }
    }
  }
}
