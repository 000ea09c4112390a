import type { SupabaseClient } from '@supabase/supabase-js'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import { z } from 'zod'
import { createProjectJwks, type ProjectJwksOptions } from './project-jwks.ts'

export type AgentCheck =
  | { ok: true; userId: string }
  | { ok: false; kind: 'unauthorized' }
  | { ok: false; kind: 'offline'; detail: string }

export type VerifyAgent = (token: string) => Promise<AgentCheck>

/** What jose throws when the token itself is bad; anything else means the keys could not be fetched. */
const refusals = [
  joseErrors.JWSSignatureVerificationFailed,
  joseErrors.JWTExpired,
  joseErrors.JWTClaimValidationFailed,
  joseErrors.JWKSNoMatchingKey,
  joseErrors.JOSEAlgNotAllowed,
  joseErrors.JOSENotSupported,
  joseErrors.JWSInvalid,
  joseErrors.JWTInvalid,
]

/** What the relay needs of a token: the agent it names, signed in (not a role key). */
const agentClaims = z.object({ sub: z.uuid(), role: z.literal('authenticated') })

/**
 * The relay's check of an agent's access token, done where it runs, as supabase-js
 * `getClaims()` does: an asymmetric token is verified against the project's JWKS,
 * fetched once and cached, and fetched again for a key newer than the copy, so a
 * rotated signing key is picked up without a restart (project-jwks.ts), with no round
 * trip to Auth per send.
 * A token signed with the legacy shared secret cannot be checked without that secret,
 * which the relay does not hold, so it is handed to Auth (`getUser`), as getClaims
 * falls back too. A signed-out session's token stays valid until it expires (an
 * hour at most); workspace membership is read on every send, so a removed agent is
 * refused at once.
 */
export function createAgentVerifier(options: {
  supabaseUrl: string
  supabase: SupabaseClient
  jwks?: ProjectJwksOptions
}): VerifyAgent {
  const issuer = `${options.supabaseUrl.replace(/\/+$/, '')}/auth/v1`
  const jwks = createProjectJwks(new URL(`${issuer}/.well-known/jwks.json`), options.jwks)

  async function viaAuth(token: string): Promise<AgentCheck> {
    const { data, error } = await options.supabase.auth.getUser(token)
    if (data.user) return { ok: true, userId: data.user.id }
    const rejected = error?.status !== undefined && error.status >= 400 && error.status < 500
    if (!error || rejected) return { ok: false, kind: 'unauthorized' }
    return { ok: false, kind: 'offline', detail: `auth answered ${error.status ?? 'nothing'}` }
  }

  return async (token) => {
    let alg: string | undefined
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      return { ok: false, kind: 'unauthorized' }
    }
    if (alg === 'HS256') return viaAuth(token)
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, algorithms: ['ES256', 'RS256', 'EdDSA'] })
      const claims = agentClaims.safeParse(payload)
      return claims.success ? { ok: true, userId: claims.data.sub } : { ok: false, kind: 'unauthorized' }
    } catch (error) {
      if (refusals.some((refusal) => error instanceof refusal)) return { ok: false, kind: 'unauthorized' }
      // The keys could not be had, or may be newer than the relay's copy (a rotation): the token may be
      // good, so the caller is told to retry, not to sign in again.
      return { ok: false, kind: 'offline', detail: error instanceof Error ? error.message : String(error) }
    }
  }
}
