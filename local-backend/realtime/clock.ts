/**
 * The wall clock JWTs are judged by: their `exp`, and when a channel's token is
 * checked again. Tests pass one they move by hand, so an expiry is an event they
 * cause rather than a wait. Socket liveness (the idle timeout) runs on real time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Runs `task` once `ms` have passed on this clock, without keeping the process alive; returns its cancel. */
  after(ms: number, task: () => void): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, task) {
    const timer = setTimeout(task, ms)
    timer.unref()
    return () => clearTimeout(timer)
  },
}
