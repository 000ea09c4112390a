import { errors as joseErrors, jwtVerify } from 'jose'

export interface Claims {
  role: string
  exp: number
  sub?: string
  [claim: string]: unknown
}

export type TokenCheck =
  | { ok: true; claims: Claims }
  | { ok: false; kind: 'malformed' | 'signature' | 'expired' | 'missing_claims'; message: string }

/**
 * Verifies a Supabase JWT the way hosted Realtime does: HS256 with the project's
 * secret, `role` and `exp` required, with its error messages (the client shows
 * them to the developer verbatim).
 */
export async function verifyToken(token: string, key: Uint8Array): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token.replace(/\s/g, ''), key, { algorithms: ['HS256'] })
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
        message: `Token has expired ${Math.floor(Date.now() / 1000) - exp} seconds ago`,
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
}

/** Seconds until the token's exp, for the timer that closes channels when it lapses. */
export function secondsLeft(claims: Claims): number {
  return claims.exp - Date.now() / 1000
}
