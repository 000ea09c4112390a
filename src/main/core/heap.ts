import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Logger } from '../../shared/log.ts'

type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void

let collect: CollectGarbage | null = null

/**
 * V8's own gc(), which it gives only to contexts created while --expose-gc is set.
 * The flag is put back at once, so every later context and the compile cache (whose
 * entries carry a hash of V8's flags) see the flags the process started with.
 */
function collector(): CollectGarbage {
  if (collect) return collect
  setFlagsFromString('--expose-gc')
  try {
    collect = runInNewContext('gc') as CollectGarbage
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
  return collect
}

/**
 * Hands back the heap a first sync grew into, once it is live. Its rows pass through
 * the main process page by page (JSON, parsed rows, announcements); with the 1 MB young
 * generation they are promoted before they die, so the old generation grows by 30 MB
 * of garbage that, at rest, no allocation ever prompts V8 to collect: its memory
 * reducer did not shrink it in a minute of watching. A last-resort collection
 * compacts the heap and unmaps its empty pages (RSS after a first sync of 10,000
 * conversations, 153 -> 120 MB, probed through the inspector). The embedded backend's
 * child, which answered those pages with the same young generation, runs it too when
 * the app says the sync is live (host.ts). It runs on a later turn of the event loop,
 * so "live" is announced first; the returned function cancels it.
 */
export function reclaimHeapSoon(logger: Logger): () => void {
  const pending = setImmediate(() => {
    const started = performance.now()
    const before = process.memoryUsage().heapUsed
    collector()({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    logger.debug('collected the first sync’s garbage', {
      ms: Math.round(performance.now() - started),
      heapUsedBefore: before,
      heapUsedAfter: process.memoryUsage().heapUsed,
    })
  })
  return () => clearImmediate(pending)
}
