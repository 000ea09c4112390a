/**
 * How long to wait before retry number `attempt` (1 for the first retry): `baseMs`
 * doubled for each retry before it, never more than `maxMs`, then spread over the
 * upper half of that by `random`, so clients that failed together do not all come
 * back at the same moment. Every retry loop of the app (outbox, sync, the relay's
 * Twilio sends, the page's socket) waits this long.
 */
export interface BackoffOptions {
  baseMs: number
  /** Infinity when the number of attempts bounds the wait already. */
  maxMs: number
  /** Uniform in [0, 1); a constant 1 waits the whole ceiling, for a loop with nobody to collide with. */
  random: () => number
}

/** setTimeout fires at once for anything longer (Node warns, browsers wrap around). */
export const LONGEST_TIMER_MS = 2 ** 31 - 1

export function backoffDelay(attempt: number, { baseMs, maxMs, random }: BackoffOptions): number {
  // Thirty doublings already exceed any timer; stopping there keeps a zero base at zero
  // (0 × Infinity would be NaN) and an uncapped loop from waiting "forever", which a
  // timer would turn into no wait at all.
  const doublings = Math.min(Math.max(attempt - 1, 0), 30)
  const ceiling = Math.min(maxMs, baseMs * 2 ** doublings, LONGEST_TIMER_MS)
  return ceiling / 2 + random() * (ceiling / 2)
}
