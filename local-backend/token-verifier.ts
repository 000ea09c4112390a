import {
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTHeaderParameters,
} from 'jose'

/**
 * The one check of a bearer JWT that REST, auth and realtime share; each answers
 * a refusal in its own API's words. ES256 with a key the project publishes (found by
 * the token's `kid`), or HS256 with the legacy secret; an `exp`
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

export interface VerificationKeys {
  /** The published signing keys: an ES256 token verifies against the one its `kid` names. */
  jwks: JSONWebKeySet
  /** The legacy HS256 secret, for tokens signed before the project had signing keys. */
  legacySecret: string
}

/** `now` in epoch milliseconds, so realtime's tests can move the clock. */
export function createTokenVerify(keys: VerificationKeys, now: () => number): TokenVerify {
  const secret = new TextEncoder().encode(keys.legacySecret)
  const published = createLocalJWKSet(keys.jwks)
  // The header picks the kind of key, never the key itself: an HS256 token is checked
  // with the secret alone, so a public key can never be used as an HMAC secret.
  const keyFor = (header: JWTHeaderParameters) => (header.alg === 'HS256' ? secret : published(header))
  return async (token) => {
    const at = now()
    try {
      const { payload } = await jwtVerify(token, keyFor, {
        algorithms: ['ES256', 'HS256'],
        currentDate: new Date(at),
      })
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
        error instanceof joseErrors.JOSEAlgNotAllowed ||
        // Signed by a key the project never had or has retired.
        error instanceof joseErrors.JWKSNoMatchingKey
      )
        return { ok: false, kind: 'signature' }
      return { ok: false, kind: 'malformed' }
    }
  }
}
