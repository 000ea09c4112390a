import type { Table } from './catalog.ts'

/**
 * Prepared reads by everything they are built from (readRequestKey), per table
 * object so a reloaded catalog starts afresh. An inbox polls the same URL, so it
 * skips parsing and planning. Only what built cleanly is kept: a bad request is
 * refused every time.
 */
const maxPerTable = 256

export function createPlanCache<T>() {
  const byTable = new WeakMap<Table, Map<string, T>>()
  return {
    get(table: Table, key: string, build: () => T): T {
      let entries = byTable.get(table)
      const cached = entries?.get(key)
      if (cached) return cached
      const built = build()
      if (!entries) {
        entries = new Map()
        byTable.set(table, entries)
      }
      if (entries.size >= maxPerTable) entries.delete(entries.keys().next().value!)
      entries.set(key, built)
      return built
    },
  }
}
