import { getHeapStatistics } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { until } from '../../../test/support/until.ts'
import { reclaimHeapSoon } from './heap.ts'

/** Rows as a sync page holds them, dropped on return: garbage V8 has not collected yet. */
function readAndDropRows(): number {
  const rows = Array.from({ length: 400_000 }, (_, i) => ({ id: `row-${i}`, body: `message body ${i}` }))
  return rows.length
}

describe('reclaimHeapSoon', () => {
  it('hands back the heap that garbage grew into, and leaves gc() unexposed', async () => {
    const { logger, lines } = createMemoryLogger('heap-test')
    expect(readAndDropRows()).toBe(400_000)
    const grown = getHeapStatistics().total_heap_size
    reclaimHeapSoon(logger)
    await until(() => lines.some((line) => line.includes('collected the first sync')), 'the collection')
    expect(getHeapStatistics().total_heap_size).toBeLessThan(grown - 20 * 1024 * 1024)
    expect('gc' in globalThis).toBe(false)
  })
})
