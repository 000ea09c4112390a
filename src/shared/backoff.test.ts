import { describe, expect, it } from 'vitest'
import { backoffDelay, LONGEST_TIMER_MS } from './backoff.ts'

const lowest = () => 0
const highest = () => 1

describe('backoffDelay', () => {
  it('doubles from the base with each retry', () => {
    const ceilings = [1, 2, 3, 4].map((attempt) =>
      backoffDelay(attempt, { baseMs: 100, maxMs: Infinity, random: highest }),
    )
    expect(ceilings).toEqual([100, 200, 400, 800])
  })

  it('spreads each wait over the upper half of its ceiling', () => {
    expect(backoffDelay(3, { baseMs: 100, maxMs: Infinity, random: lowest })).toBe(200)
    expect(backoffDelay(3, { baseMs: 100, maxMs: Infinity, random: () => 0.5 })).toBe(300)
    expect(backoffDelay(3, { baseMs: 100, maxMs: Infinity, random: highest })).toBe(400)
  })

  it('never waits longer than the cap, however many retries came before', () => {
    for (const attempt of [6, 7, 50, 5000])
      expect(backoffDelay(attempt, { baseMs: 1000, maxMs: 30_000, random: highest })).toBe(30_000)
    expect(backoffDelay(5000, { baseMs: 1000, maxMs: 30_000, random: lowest })).toBe(15_000)
  })

  it('stays a number a timer can wait, with a zero base or no cap', () => {
    expect(backoffDelay(5000, { baseMs: 0, maxMs: Infinity, random: highest })).toBe(0)
    expect(backoffDelay(5000, { baseMs: 1000, maxMs: Infinity, random: highest })).toBe(LONGEST_TIMER_MS)
    expect(backoffDelay(0, { baseMs: 100, maxMs: Infinity, random: highest })).toBe(100)
  })
})
