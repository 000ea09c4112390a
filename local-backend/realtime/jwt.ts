import { apiRoles, type JwtKeys } from '../keys.ts'
import { createTokenVerify, type TokenRefusalKind } from '../token-verifier.ts'
import type { Clock } from './clock.ts'

export interface Claims {
  role: string
  exp: number
  sub?: string
  [claim: string]: unknown
}

export type TokenRefusal = {
  ok: false
  kind: TokenRefusalKind | 'missing_claims' | 'role'
  message: string
}
export type TokenCheck = { ok: true; claims: Claims } | TokenRefusal

export interface TokenVerifier {
  /**
   * Verifies a Supabase JWT the way hosted Realtime does: ES256 against the project's
   * published keys or HS256 with its legacy secret, `role` and `exp` required, with its error messages (the client shows
   * them to the developer verbatim). Stricter than hosted, which passes any role to
   * `set role`: only the API roles are accepted, so a token claiming `postgres` (or
   * any role with more rights than the API's) never reaches a query. An API key
   * stands for its role, as a token of that role the project signs.
   */
  verify(token: string): Promise<TokenCheck>
  /** Milliseconds until the claims' exp, for the timer that closes channels when it lapses. */
  msLeft(claims: Claims): number
}

const missingClaims = 'Fields `role` and `exp` are required in JWT'
/** Hosted has no such refusal; worded as its own claim error above is. */
const roleRefusal = `Field \`role\` must be one of ${apiRoles.join(', ')} in JWT`

export function createTokenVerifier(
  keys: Pick<JwtKeys, 'verification' | 'apiKeyRole' | 'roleToken'>,
  clock: Clock,
): TokenVerifier {
  // Made again when the keys are rotated (a new verification object), so a rotation applies at once.
  const verifierOfNow = () => ({
    keys: keys.verification,
    verify: createTokenVerify(keys.verification, () => clock.now()),
  })
  let verifying = verifierOfNow()
  const verify = (token: string) => {
    if (verifying.keys !== keys.verification) verifying = verifierOfNow()
    return verifying.verify(token)
  }
  return {
    async verify(presented) {
      const token = presented.replace(/\s/g, '')
      const role = keys.apiKeyRole(token)
      const checked = await verify(role ? await keys.roleToken(role) : token)
      if (checked.ok) {
        const { role } = checked.claims
        if (typeof role !== 'string') return { ok: false, kind: 'missing_claims', message: missingClaims }
        if (!(apiRoles as readonly string[]).includes(role))
          return { ok: false, kind: 'role', message: roleRefusal }
        return { ok: true, claims: checked.claims as Claims }
      }
      return {
        ok: false,
        kind: checked.kind,
        message: refusalMessage(checked.kind, checked.expiredSecondsAgo ?? 0),
      }
    },
    msLeft: (claims) => claims.exp * 1000 - clock.now(),
  }
}

function refusalMessage(kind: TokenRefusalKind, expiredSecondsAgo: number): string {
  switch (kind) {
    case 'expired':
      return `Token has expired ${expiredSecondsAgo} seconds ago`
    case 'no_expiry':
      return missingClaims
    case 'issued_in_future':
      return 'JWT issued at future'
    case 'signature':
      return 'Failed to validate JWT signature'
    case 'malformed':
      return 'The token provided is not a valid JWT'
  }
}

/** Hosted Realtime's join error reasons: `<Code>: <message>`. */
export function joinRefusalReason(refusal: TokenRefusal): string {
  switch (refusal.kind) {
    case 'expired':
    case 'missing_claims':
    case 'no_expiry':
    case 'issued_in_future':
    case 'role':
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
