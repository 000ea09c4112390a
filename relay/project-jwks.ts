import {
  createLocalJWKSet,
  decodeJwt,
  errors as joseErrors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTHeaderParameters,
} from 'jose'
import { z } from 'zod'

/** The JWKS body as the relay relies on it: a list of keys jose can read. */
const jwksBody = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) })

/** Thrown when a token may be signed by a key published after the relay's copy, and the copy cannot be fetched again yet. */
class KeysBehind extends Error {}

export interface ProjectJwksOptions {
  /** The copy is fetched again after this long, so retired keys drop out. Default 10 minutes, as jose's cache. */
  maxAgeMs?: number
  /** At most one fetch for an unknown key per this long, however many tokens name one. Default 10 s. */
  missRefetchIntervalMs?: number
  /** Clocks of Auth and the relay may disagree by this much. Default 60 s. */
  clockSkewMs?: number
  now?: () => number
}

/**
 * The project's signing keys (GET /auth/v1/.well-known/jwks.json) as the relay holds
 * them, for jwtVerify. A rotation publishes a new key and signs with it from then on,
 * so a token naming a key the copy lacks is fetched for again, once, if the token was
 * issued after the copy was made: the key may be newer than the copy. A token issued
 * before the copy whose key the copy lacks names a retired or forged key, and is
 * refused without a fetch. Fetches for unknown keys are bounded (missRefetchIntervalMs):
 * a token that needs one within the bound is told to retry (KeysBehind), not refused,
 * since its key may well be good.
 */
export function createProjectJwks(url: URL, options: ProjectJwksOptions = {}) {
  const maxAgeMs = options.maxAgeMs ?? 600_000
  const missRefetchIntervalMs = options.missRefetchIntervalMs ?? 10_000
  const clockSkewMs = options.clockSkewMs ?? 60_000
  const now = options.now ?? Date.now
  let copy: { fetchedAt: number; keys: ReturnType<typeof createLocalJWKSet> } | undefined
  let lastMissFetch = -Infinity
  let pending: Promise<void> | undefined

  // One fetch at a time: tokens that arrive while it runs wait for it.
  const fetchCopy = () =>
    (pending ??= (async () => {
      try {
        const startedAt = now()
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
        if (!response.ok) throw new Error(`the JWKS answered ${response.status}`)
        const jwks = jwksBody.parse(await response.json()) as JSONWebKeySet
        copy = { fetchedAt: startedAt, keys: createLocalJWKSet(jwks) }
      } finally {
        pending = undefined
      }
    })())

  return async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
    if (!copy || now() - copy.fetchedAt > maxAgeMs) await fetchCopy()
    try {
      return await copy!.keys(header, token)
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error
      const issuedAt = (decodeJwt(`.${String(token.payload)}.`).iat ?? 0) * 1000
      if (issuedAt < copy!.fetchedAt - clockSkewMs) throw error
      if (now() - lastMissFetch < missRefetchIntervalMs)
        throw new KeysBehind('the signing key may be newer than the relay’s copy of the JWKS')
      lastMissFetch = now()
      await fetchCopy()
      return copy!.keys(header, token)
    }
  }
}
