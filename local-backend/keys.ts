import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { SignJWT, type JSONWebKeySet, type JWK } from 'jose'
import { z } from 'zod'
import { createTokenVerify, type TokenRefusalKind } from './token-verifier.ts'

/**
 * A project's keys as hosted Supabase has them today: ES256 signing keys (the first
 * signs, every one is published in the JWKS, so tokens signed before a rotation keep
 * verifying), publishable and secret API keys (the first of each is the one to hand
 * out, every one listed is accepted), and the legacy HS256 secret with the anon and
 * service_role JWT keys minted from it, which older clients and the Supabase CLI's
 * scripts still send.
 */
const signingKeySchema = z.object({
  kid: z.string().min(1),
  privateJwk: z.object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string().min(1),
    y: z.string().min(1),
    d: z.string().min(1),
  }),
})
export type SigningKey = z.infer<typeof signingKeySchema>

export const publishableKeyPrefix = 'sb_publishable_'
export const secretKeyPrefix = 'sb_secret_'

const legacyKeysShape = {
  jwtSecret: z.string().min(32),
  anonKey: z.string().min(20),
  serviceRoleKey: z.string().min(20),
}

export const projectKeysSchema = z.object({
  kind: z.literal('es256'),
  signingKeys: z.array(signingKeySchema).min(1),
  publishableKeys: z.array(z.string().startsWith(publishableKeyPrefix)).min(1),
  secretKeys: z.array(z.string().startsWith(secretKeyPrefix)).min(1),
  ...legacyKeysShape,
})
export type ProjectKeys = z.infer<typeof projectKeysSchema>

/** The keys an installation stored before signing keys existed: the legacy ones alone. */
export const legacyProjectKeysSchema = z.object({ kind: z.literal('hs256'), ...legacyKeysShape })

/** The API roles a JWT may carry; anything else is refused rather than passed to `set role`. */
export const apiRoles = ['anon', 'authenticated', 'service_role'] as const
export type ApiRole = (typeof apiRoles)[number]
/** The role an API key stands for. */
export type ApiKeyRole = 'anon' | 'service_role'

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

/** Signs and verifies the project's JWTs and knows its API keys: all that auth, REST and realtime know of the keys. */
export interface JwtKeys {
  /** ES256 with the current signing key, its `kid` in the header. */
  sign(claims: Record<string, unknown>): Promise<string>
  verify(token: string): Promise<VerifyResult>
  /** The public half of every signing key, as GET /auth/v1/.well-known/jwks.json serves it. */
  readonly jwks: JSONWebKeySet
  /** What verifies a token: the published keys and the legacy secret. */
  readonly verification: { jwks: JSONWebKeySet; legacySecret: string }
  /** The role an `sb_` API key stands for; undefined for any other string, a revoked key included. */
  apiKeyRole(key: string): ApiKeyRole | undefined
  /** A short-lived JWT of the role, which the gateway hands on in place of an API key, as hosted's does. */
  roleToken(role: ApiKeyRole): Promise<string>
}

const isApiRole = (value: unknown): value is ApiRole => (apiRoles as readonly unknown[]).includes(value)

/** Verified tokens are kept up to this many per project (see `jwtKeysOf`). */
const verifiedCacheSize = 1000
/** A role token lives this long, and is minted again once less than a minute of it is left. */
const roleTokenSeconds = 3600

/** The public JWK of a signing key, as GoTrue publishes it. */
function publicJwk(key: SigningKey): JWK {
  const { x, y, crv, kty } = key.privateJwk
  return { kty, crv, x, y, kid: key.kid, alg: 'ES256', use: 'sig', key_ops: ['verify'], ext: true }
}

/** API keys are looked up by their hash, so no comparison runs over the key itself. */
const keyDigest = (key: string) => createHash('sha256').update(key).digest('base64url')

export function jwtKeysOf(keys: ProjectKeys): JwtKeys {
  const current = keys.signingKeys[0]!
  const signingKey = createPrivateKey({ key: current.privateJwk, format: 'jwk' })
  const jwks: JSONWebKeySet = { keys: keys.signingKeys.map(publicJwk) }
  const verification = { jwks, legacySecret: keys.jwtSecret }
  const verifyToken = createTokenVerify(verification, Date.now)
  const roles = new Map<string, ApiKeyRole>([
    ...keys.publishableKeys.map((key) => [keyDigest(key), 'anon'] as const),
    ...keys.secretKeys.map((key) => [keyDigest(key), 'service_role'] as const),
  ])
  const sign: JwtKeys['sign'] = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: current.kid }).sign(signingKey)
  const roleTokens = new Map<ApiKeyRole, { token: Promise<string>; exp: number }>()
  // Verified tokens, so a client's every request does not pay for a signature check
  // (PostgREST keeps a JWT cache too). Only valid tokens are kept; expiry is re-checked
  // on every hit, so a cached token still stops working the second it expires.
  const verifiedCache = new Map<string, JwtClaims>()
  return {
    sign,
    jwks,
    verification,
    apiKeyRole: (key) =>
      key.startsWith(publishableKeyPrefix) || key.startsWith(secretKeyPrefix)
        ? roles.get(keyDigest(key))
        : undefined,
    roleToken(role) {
      const now = Math.floor(Date.now() / 1000)
      const cached = roleTokens.get(role)
      if (cached && cached.exp - now > 60) return cached.token
      const exp = now + roleTokenSeconds
      const token = sign({ iss: 'supabase', role, iat: now, exp })
      roleTokens.set(role, { token, exp })
      return token
    },
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

/** The keys a running backend uses, which a rotation replaces without a restart. */
export interface LiveJwtKeys extends JwtKeys {
  readonly keys: ProjectKeys
  /** From now on, sign with these and accept what they publish; what they no longer list is refused at once. */
  use(keys: ProjectKeys): void
}

/**
 * JwtKeys whose keys can be swapped while the backend runs: auth, REST, realtime and
 * the gateway hold this one object and ask it on every request, so a rotation applies
 * to the next request. Each set of keys has its own verified-token cache, so a token
 * of a retired key is not let through by the cache of the set before.
 */
export function liveJwtKeys(initial: ProjectKeys): LiveJwtKeys {
  let keys = initial
  let current = jwtKeysOf(initial)
  return {
    get keys() {
      return keys
    },
    get jwks() {
      return current.jwks
    },
    get verification() {
      return current.verification
    },
    use(next) {
      keys = next
      current = jwtKeysOf(next)
    },
    sign: (claims) => current.sign(claims),
    verify: (token) => current.verify(token),
    apiKeyRole: (key) => current.apiKeyRole(key),
    roleToken: (role) => current.roleToken(role),
  }
}

/** An HS256 JWT signed with the legacy secret, as older projects and the CLI's demo keys are. */
export function signLegacyJwt(jwtSecret: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(jwtSecret))
}

/** A legacy API key as the CLI mints one: an HS256 JWT with the role, an issuer and a far expiry. */
export function signApiKey(
  jwtSecret: string,
  role: ApiKeyRole,
  claims: { iss: string; iat?: number; exp: number },
): Promise<string> {
  return signLegacyJwt(jwtSecret, {
    iss: claims.iss,
    ...(claims.iat === undefined ? {} : { iat: claims.iat }),
    role,
    exp: claims.exp,
  })
}

const apiKeyLifetimeSeconds = 10 * 365 * 24 * 3600

/** A new ES256 signing key with a kid of its own. */
export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = signingKeySchema.shape.privateJwk.parse(privateKey.export({ format: 'jwk' }))
  return { kid: randomUUID(), privateJwk: jwk }
}

/**
 * A new API key in hosted's shape: the prefix, 128 random bits, and a short checksum
 * of both, so a key mangled in a copy is told apart from a revoked one at a glance.
 */
export function generateApiKey(prefix: typeof publishableKeyPrefix | typeof secretKeyPrefix): string {
  const body = `${prefix}${randomBytes(16).toString('base64url')}`
  return `${body}_${createHash('sha256').update(body).digest('base64url').slice(0, 8)}`
}

/** The asymmetric keys an installation with only legacy keys gains; its legacy keys stay valid. */
export function withAsymmetricKeys(legacy: z.infer<typeof legacyProjectKeysSchema>): ProjectKeys {
  return {
    kind: 'es256',
    signingKeys: [generateSigningKey()],
    publishableKeys: [generateApiKey(publishableKeyPrefix)],
    secretKeys: [generateApiKey(secretKeyPrefix)],
    jwtSecret: legacy.jwtSecret,
    anonKey: legacy.anonKey,
    serviceRoleKey: legacy.serviceRoleKey,
  }
}

/** Fresh keys for one installation: a signing key, API keys, and a 256-bit legacy secret with its API keys. */
export async function generateProjectKeys(): Promise<ProjectKeys> {
  const jwtSecret = randomBytes(32).toString('base64url')
  const iat = Math.floor(Date.now() / 1000)
  const claims = { iss: 'supabase', iat, exp: iat + apiKeyLifetimeSeconds }
  return withAsymmetricKeys({
    kind: 'hs256',
    jwtSecret,
    anonKey: await signApiKey(jwtSecret, 'anon', claims),
    serviceRoleKey: await signApiKey(jwtSecret, 'service_role', claims),
  })
}

/** Keys kept published beside the current one after a rotation: one, so a rotation signs nobody out and the next retires it. */
const previousKeysKept = 1

/**
 * The keys after a rotation, as hosted rotates them: a new signing key signs from now
 * on while the previous one stays published, so sessions signed with it go on; new
 * API keys are handed out while the previous ones are still accepted. What was
 * previous before is retired, and anything it signed or opened is refused.
 */
export function rotatedKeys(keys: ProjectKeys, part: 'signing' | 'api'): ProjectKeys {
  const keep = <T>(fresh: T, list: T[]) => [fresh, ...list.slice(0, previousKeysKept)]
  return part === 'signing'
    ? { ...keys, signingKeys: keep(generateSigningKey(), keys.signingKeys) }
    : {
        ...keys,
        publishableKeys: keep(generateApiKey(publishableKeyPrefix), keys.publishableKeys),
        secretKeys: keep(generateApiKey(secretKeyPrefix), keys.secretKeys),
      }
}

/** The bearer token of a request: `Authorization: Bearer ...`, else the `apikey` header, as Supabase's gateway does. */
export function bearerToken(headers: Headers): string | undefined {
  const authorization = headers.get('authorization')
  const match = authorization ? /^bearer\s+(\S+)\s*$/i.exec(authorization) : null
  if (match) return match[1]
  return headers.get('apikey') ?? undefined
}
