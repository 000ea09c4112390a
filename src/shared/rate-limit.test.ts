import { describe, expect, it } from 'vitest'
import { createRateLimiter } from './rate-limit.ts'

describe('rate limiter', () => {
  it('allows a burst, then refuses with the wait until the next token, per key', () => {
    let now = 0
    const limiter = createRateLimiter({ burst: 3, perSecond: 0.5 }, () => now)
    expect([1, 2, 3].map(() => limiter.take('agent-a').allowed)).toEqual([true, true, true])
    expect(limiter.take('agent-a')).toEqual({ allowed: false, retryAfterSeconds: 2 })
    expect(limiter.take('agent-b').allowed).toBe(true)
    now = 2_000
    expect(limiter.take('agent-a').allowed).toBe(true)
    expect(limiter.take('agent-a').allowed).toBe(false)
  })

  it('never refills beyond the burst', () => {
    let now = 0
    const limiter = createRateLimiter({ burst: 2, perSecond: 10 }, () => now)
    now = 60_000
    expect([1, 2, 3].map(() => limiter.take('ip').allowed)).toEqual([true, true, false])
  })
})
