import { SignJWT } from 'jose'
import { createTokenVerify, type TokenRefusalKind } from './token-verifier.ts'

/**
 * The Supabase CLI's well-known local JWT secret and the anon / service_role keys
 * it derives from it, so one client configuration works against this backend, a
 * Docker local stack (`supabase start`) or, with real keys, a hosted project.
 */
export const jwtSecret = 'super-secret-jwt-token-with-at-least-32-characters-long'

export const anonKey =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0'
export const serviceRoleKey =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU'

const secretBytes = new TextEncoder().encode(jwtSecret)

/** The API roles a JWT may carry; anything else is refused rather than passed to `set role`. */
export const apiRoles = ['anon', 'authenticated', 'service_role'] as const
export type ApiRole = (typeof apiRoles)[number]

export interface JwtClaims {
  role: ApiRole
  sub?: string
  session_id?: string
  /** Every verified token has one; only the anonymous caller, who sent none, lacks it. */
  exp?: number
  [claim: string]: unknown
}

export type VerifyResult =
  | { ok: true; claims: JwtClaims }
  | { ok: false; reason: Exclude<TokenRefusalKind, 'signature' | 'malformed'> | 'invalid' }

export async function signJwt(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretBytes)
}

/** Mints the anon / service_role key the way the CLI does (used by tests to check the constants). */
export function signApiKey(role: 'anon' | 'service_role'): Promise<string> {
  return signJwt({ iss: 'supabase-demo', role, exp: 1983812996 })
}

const isApiRole = (value: unknown): value is ApiRole => (apiRoles as readonly unknown[]).includes(value)

/**
 * Verified tokens, so a client's every request does not pay for an HMAC (PostgREST
 * keeps a JWT cache too). Only valid tokens are kept; expiry is re-checked on every
 * hit, so a cached token still stops working the second it expires.
 */
const verifiedCache = new Map<string, JwtClaims>()
const verifiedCacheSize = 1000

const verifyToken = createTokenVerify(jwtSecret, Date.now)

export async function verifyJwt(token: string): Promise<VerifyResult> {
  const cached = verifiedCache.get(token)
  if (cached) {
    if ((cached.exp ?? 0) > Date.now() / 1000) return { ok: true, claims: cached }
    verifiedCache.delete(token)
    return { ok: false, reason: 'expired' }
  }
  const checked = await verifyToken(token)
  if (!checked.ok)
    return {
      ok: false,
      reason: checked.kind === 'signature' || checked.kind === 'malformed' ? 'invalid' : checked.kind,
    }
  if (!isApiRole(checked.claims.role)) return { ok: false, reason: 'invalid' }
  const claims = checked.claims as JwtClaims
  if (verifiedCache.size >= verifiedCacheSize) verifiedCache.delete(verifiedCache.keys().next().value!)
  verifiedCache.set(token, claims)
  return { ok: true, claims }
}

/** The bearer token of a request: `Authorization: Bearer ...`, else the `apikey` header, as Supabase's gateway does. */
export function bearerToken(headers: Headers): string | undefined {
  const authorization = headers.get('authorization')
  const match = authorization ? /^bearer\s+(\S+)\s*$/i.exec(authorization) : null
  if (match) return match[1]
  return headers.get('apikey') ?? undefined
}
