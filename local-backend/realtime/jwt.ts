import { errors as joseErrors, jwtVerify } from 'jose'
import type { Clock } from './clock.ts'

export interface Claims {
  role: string
  exp: number
  sub?: string
  [claim: string]: unknown
}

export type TokenRefusal = {
  ok: false
  kind: 'malformed' | 'signature' | 'expired' | 'missing_claims'
  message: string
}
export type TokenCheck = { ok: true; claims: Claims } | TokenRefusal

export interface TokenVerifier {
  /**
   * Verifies a Supabase JWT the way hosted Realtime does: HS256 with the project's
   * secret, `role` and `exp` required, with its error messages (the client shows
   * them to the developer verbatim).
   */
  verify(token: string): Promise<TokenCheck>
  /** Milliseconds until the claims' exp, for the timer that closes channels when it lapses. */
  msLeft(claims: Claims): number
}

export function createTokenVerifier(jwtSecret: string, clock: Clock): TokenVerifier {
  const key = new TextEncoder().encode(jwtSecret)
  return {
    async verify(token) {
      const now = clock.now()
      try {
        const { payload } = await jwtVerify(token.replace(/\s/g, ''), key, {
          algorithms: ['HS256'],
          currentDate: new Date(now),
        })
        if (typeof payload.role !== 'string' || typeof payload.exp !== 'number') {
          return { ok: false, kind: 'missing_claims', message: 'Fields `role` and `exp` are required in JWT' }
        }
        return { ok: true, claims: payload as Claims }
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) {
          const exp = typeof error.payload.exp === 'number' ? error.payload.exp : 0
          return {
            ok: false,
            kind: 'expired',
            message: `Token has expired ${Math.floor(now / 1000) - exp} seconds ago`,
          }
        }
        if (
          error instanceof joseErrors.JWSSignatureVerificationFailed ||
          error instanceof joseErrors.JOSEAlgNotAllowed
        ) {
          return { ok: false, kind: 'signature', message: 'Failed to validate JWT signature' }
        }
        return { ok: false, kind: 'malformed', message: 'The token provided is not a valid JWT' }
      }
    },
    msLeft: (claims) => claims.exp * 1000 - clock.now(),
  }
}

/** Hosted Realtime's join error reasons: `<Code>: <message>`. */
export function joinRefusalReason(refusal: TokenRefusal): string {
  switch (refusal.kind) {
    case 'expired':
    case 'missing_claims':
      return `InvalidJWTToken: ${refusal.message}`
    case 'signature':
      return `JwtSignatureError: ${refusal.message}`
    case 'malformed':
      return `MalformedJWT: ${refusal.message}`
  }
}

/** The WebSocket handshake's refusal, as hosted Realtime answers it. */
export function handshakeRefusal(refusal: TokenRefusal): string {
  return refusal.kind === 'expired' ? 'Token has expired' : refusal.message
}
