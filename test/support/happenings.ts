/** Things that happen, kept in order; a test awaits the one it names instead of sleeping. */
export interface Happenings<T> {
  readonly all: readonly T[]
  /** Where the next one will land: pass it as `since` to wait only for what comes after now. */
  mark(): number
  /** The first item from `since` on that `accept`s, already here or still to come; rejects after `ms`. */
  waitFor(accept: (item: T) => boolean, what: string, options?: { since?: number; ms?: number }): Promise<T>
  push(item: T): void
}

export function happenings<T>(): Happenings<T> {
  const all: T[] = []
  const waiters = new Set<{ from: number; accept: (item: T) => boolean; resolve: (item: T) => void }>()
  return {
    all,
    mark: () => all.length,
    push(item) {
      all.push(item)
      for (const waiter of waiters) {
        if (all.length - 1 < waiter.from || !waiter.accept(item)) continue
        waiters.delete(waiter)
        waiter.resolve(item)
      }
    },
    waitFor(accept, what, { since = 0, ms = 20_000 } = {}) {
      const found = all.slice(since).find(accept)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`timed out waiting for ${what}`))
        }, ms)
        const waiter = {
          from: since,
          accept,
          resolve: (item: T) => {
            clearTimeout(timer)
            resolve(item)
          },
        }
        waiters.add(waiter)
      })
    },
  }
}
