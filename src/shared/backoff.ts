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

export function backoffDelay(attempt: number, { baseMs, maxMs, random }: BackoffOptions): number {
  // 2 ** n is Infinity for a very large n, and min() then yields maxMs: no overflow to guard.
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1))
  return ceiling / 2 + random() * (ceiling / 2)
}
