import { create } from 'zustand'
import type { Member } from '../../../shared/domain.ts'
import { call } from '../api/api.ts'

/** Each workspace's members by name, as main caches them: who wrote, who owns, who to assign. */
interface MembersStore {
  byWorkspace: Record<string, Member[]>
  load(workspaceId: string): Promise<void>
  apply(workspaceId: string, members: Member[]): void
  reset(): void
}

const loading = new Map<string, Promise<void>>()

export const useMembers = create<MembersStore>()((set, get) => ({
  byWorkspace: {},
  load(workspaceId) {
    const running = loading.get(workspaceId)
    if (running) return running
    const run = (async () => {
      const result = await call('members.list', { workspaceId })
      loading.delete(workspaceId)
      // Failing here leaves names to the next members.changed; nothing on screen waits for them.
      if (result.ok) get().apply(workspaceId, result.value)
    })()
    loading.set(workspaceId, run)
    return run
  },
  apply(workspaceId, members) {
    set({ byWorkspace: { ...get().byWorkspace, [workspaceId]: members } })
  },
  reset() {
    loading.clear()
    set({ byWorkspace: {} })
  },
}))

const none: Member[] = []

export const useWorkspaceMembers = (workspaceId: string | null | undefined): Member[] =>
  useMembers((state) => (workspaceId ? (state.byWorkspace[workspaceId] ?? none) : none))

/**
 * A member's name by user id, never the id: "A former member" once the workspace's
 * members are known and they are not among them, null until then.
 */
export const useMemberName = (workspaceId: string, userId: string): string | null =>
  useMembers((state) => {
    const members = state.byWorkspace[workspaceId]
    if (!members) return null
    return members.find((member) => member.userId === userId)?.displayName ?? 'A former member'
  })

/** A member of a workspace by user id; undefined while unknown (not loaded, or they left). */
export const useMember = (workspaceId: string, userId: string | null): Member | undefined =>
  useMembers((state) =>
    userId ? state.byWorkspace[workspaceId]?.find((member) => member.userId === userId) : undefined,
  )
