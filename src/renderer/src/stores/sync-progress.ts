import { create } from 'zustand'
import type { SyncProgress } from '../../../shared/domain.ts'

interface SyncProgressStore {
  /** The latest report of each workspace's first sync; a finished one stays, with done equal to total. */
  byWorkspace: Record<string, SyncProgress>
  apply(progress: SyncProgress): void
  reset(): void
}

export const useSyncProgress = create<SyncProgressStore>()((set, get) => ({
  byWorkspace: {},
  apply(progress) {
    set({ byWorkspace: { ...get().byWorkspace, [progress.workspaceId]: progress } })
  },
  reset() {
    set({ byWorkspace: {} })
  },
}))

/** What a first sync is reading now, or null once both its stages are done. */
export function currentStage(
  progress: SyncProgress | undefined,
): { stage: 'conversations' | 'messages'; done: number; total: number } | null {
  if (!progress) return null
  for (const stage of ['conversations', 'messages'] as const) {
    const { done, total } = progress[stage]
    if (done < total) return { stage, done, total }
  }
  return null
}
