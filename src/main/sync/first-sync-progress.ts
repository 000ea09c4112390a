import type { SyncProgress } from '../../shared/domain.ts'

export type SyncStage = 'conversations' | 'messages'

/** Counts one first sync's rows against the totals the server gave when it started. */
export interface FirstSyncProgress {
  /** `rows` more rows of `stage` are in the cache. */
  advance(stage: SyncStage, rows: number): void
  /** `stage` has read its last page: its total becomes what was read (rows may have come or gone meanwhile). */
  complete(stage: SyncStage): void
}

/** Reports at once (nothing done yet), then on every advance and completion; `done` never passes `total`. */
export function firstSyncProgress(
  workspaceId: string,
  totals: Record<SyncStage, number>,
  report: (progress: SyncProgress) => void,
): FirstSyncProgress {
  const counts = {
    conversations: { done: 0, total: totals.conversations },
    messages: { done: 0, total: totals.messages },
  }
  const send = () =>
    report({ workspaceId, conversations: { ...counts.conversations }, messages: { ...counts.messages } })
  send()
  return {
    advance(stage, rows) {
      const count = counts[stage]
      count.done += rows
      count.total = Math.max(count.total, count.done)
      send()
    },
    complete(stage) {
      counts[stage].total = counts[stage].done
      send()
    },
  }
}
