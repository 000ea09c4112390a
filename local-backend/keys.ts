import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { z } from 'zod'
import { createTokenVerify, type TokenRefusalKind } from './token-verifier.ts'

/**
 * A project's keys in the shapes the backend verifies today: an HS256 signing secret
 * and the anon / service_role API keys minted from it, as the Supabase CLI's local
 * stack has them. `kind` names the scheme, so the asymmetric scheme (ES256 signing
 * key, publishable and secret API keys) can join as another member of the union with
 * its own `jwtKeysOf` branch, and a stored file says which one it holds.
 */
export const projectKeysSchema = z.object({
  kind: z.literal('hs256'),
  jwtSecret: z.string().min(32),
  anonKey: z.string().min(20),
  serviceRoleKey: z.string().min(20),
})
export type ProjectKeys = z.infer<typeof projectKeysSchema>

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

/** Signs and verifies the project's JWTs: the one thing auth and REST know of the keys. */
export interface JwtKeys {
  sign(claims: Record<string, unknown>): Promise<string>
  verify(token: string): Promise<VerifyResult>
}

const isApiRole = (value: unknown): value is ApiRole => (apiRoles as readonly unknown[]).includes(value)

/** Verified tokens are kept up to this many per project (see `jwtKeysOf`). */
const verifiedCacheSize = 1000

export function jwtKeysOf(keys: Pick<ProjectKeys, 'jwtSecret'>): JwtKeys {
  const secretBytes = new TextEncoder().encode(keys.jwtSecret)
  const verifyToken = createTokenVerify(keys.jwtSecret, Date.now)
  // Verified tokens, so a client's every request does not pay for an HMAC (PostgREST
  // keeps a JWT cache too). Only valid tokens are kept; expiry is re-checked on every
  // hit, so a cached token still stops working the second it expires.
  const verifiedCache = new Map<string, JwtClaims>()
  return {
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretBytes),
    async verify(token) {
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
    },
  }
}

/** An API key as the CLI mints one: a JWT with the role, an issuer and a far expiry. */
export function signApiKey(
  jwt: JwtKeys,
  role: 'anon' | 'service_role',
  claims: { iss: string; iat?: number; exp: number },
): Promise<string> {
  return jwt.sign({
    iss: claims.iss,
    ...(claims.iat === undefined ? {} : { iat: claims.iat }),
    role,
    exp: claims.exp,
  })
}

const apiKeyLifetimeSeconds = 10 * 365 * 24 * 3600

/** Fresh keys for one installation: a 256-bit random secret and the API keys it signs. */
export async function generateProjectKeys(): Promise<ProjectKeys> {
  const jwtSecret = randomBytes(32).toString('base64url')
  const jwt = jwtKeysOf({ jwtSecret })
  const iat = Math.floor(Date.now() / 1000)
  const claims = { iss: 'supabase', iat, exp: iat + apiKeyLifetimeSeconds }
  return {
    kind: 'hs256',
    jwtSecret,
    anonKey: await signApiKey(jwt, 'anon', claims),
    serviceRoleKey: await signApiKey(jwt, 'service_role', claims),
  }
}

/** The bearer token of a request: `Authorization: Bearer ...`, else the `apikey` header, as Supabase's gateway does. */
export function bearerToken(headers: Headers): string | undefined {
  const authorization = headers.get('authorization')
  const match = authorization ? /^bearer\s+(\S+)\s*$/i.exec(authorization) : null
  if (match) return match[1]
  return headers.get('apikey') ?? undefined
}
