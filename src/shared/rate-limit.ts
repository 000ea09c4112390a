/**
 * Token buckets by key (a user, a client address). In memory, so each process limits
 * on its own: right for the local backend, which runs once. The relay, which may run
 * as many instances, keeps its buckets in Postgres (relay_take_rate_token).
 */
export interface RateLimit {
  /** Requests allowed at once. */
  burst: number
  /** Sustained requests per second. */
  perSecond: number
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

interface Bucket {
  tokens: number
  at: number
}

const SWEEP_THRESHOLD = 10_000

export function createRateLimiter(limit: RateLimit, now: () => number) {
  const buckets = new Map<string, Bucket>()

  const refill = (bucket: Bucket, time: number) =>
    Math.min(limit.burst, bucket.tokens + ((time - bucket.at) / 1000) * limit.perSecond)

  // Full buckets carry no information, so dropping them bounds memory without changing any decision.
  const sweep = (time: number) => {
    for (const [key, bucket] of buckets) if (refill(bucket, time) >= limit.burst) buckets.delete(key)
  }

  return {
    take(key: string): RateDecision {
      const time = now()
      if (buckets.size > SWEEP_THRESHOLD) sweep(time)
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: time }
      const tokens = refill(bucket, time)
      if (tokens < 1) {
        buckets.set(key, { tokens, at: time })
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)) }
      }
      buckets.set(key, { tokens: tokens - 1, at: time })
      return { allowed: true }
    },
  }
}
