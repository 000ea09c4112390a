import { create } from 'zustand'
import type { Badge, Workspace } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'

interface WorkspacesStore {
  list: Workspace[]
  activeId: string | null
  status: 'idle' | 'loading' | 'ready' | 'error'
  error: AppError | null
  badge: Badge
  load(): Promise<void>
  apply(list: Workspace[]): void
  select(id: string): void
  setBadge(badge: Badge): void
  reset(): void
}

const emptyBadge: Badge = { total: 0, perWorkspace: {} }

/** The workspace the inbox opens with (the first of the agent's list), kept for the next start; not a secret. */
const firstWorkspaceKey = 'sms-inbox.first-workspace'

export function rememberedFirstWorkspace(): string | null {
  try {
    return globalThis.localStorage?.getItem(firstWorkspaceKey) ?? null
  } catch {
    return null
  }
}

function rememberFirstWorkspace(workspaceId: string | null): void {
  try {
    if (workspaceId) globalThis.localStorage?.setItem(firstWorkspaceKey, workspaceId)
    else globalThis.localStorage?.removeItem(firstWorkspaceKey)
  } catch {
    // Storage can be unavailable (a locked-down profile): the next start then asks in sequence.
  }
}

let loading: Promise<void> | null = null

export const useWorkspaces = create<WorkspacesStore>()((set, get) => ({
  list: [],
  activeId: null,
  status: 'idle',
  error: null,
  badge: emptyBadge,
  load() {
    // The page asks at start and the inbox again as it mounts: one request serves both.
    loading ??= (async () => {
      set({ status: get().list.length ? 'ready' : 'loading', error: null })
      const result = await call('workspaces.list', {})
      loading = null
      if (!result.ok) return set({ status: 'error', error: result.error })
      get().apply(result.value)
    })()
    return loading
  },
  apply(list) {
    const activeId = get().activeId
    const stillThere = list.some((workspace) => workspace.id === activeId)
    const perWorkspace: Record<string, number> = {}
    for (const workspace of list) perWorkspace[workspace.id] = workspace.unreadTotal
    // The next start asks for this workspace's first page before it knows the list.
    rememberFirstWorkspace(list[0]?.id ?? null)
    set({
      list,
      status: 'ready',
      activeId: stillThere ? activeId : (list[0]?.id ?? null),
      badge: { total: list.reduce((sum, workspace) => sum + workspace.unreadTotal, 0), perWorkspace },
    })
  },
  select(id) {
    set({ activeId: id })
  },
  setBadge(badge) {
    set({ badge })
  },
  reset() {
    set({ list: [], activeId: null, status: 'idle', error: null, badge: emptyBadge })
  },
}))

export const useActiveWorkspace = () =>
  useWorkspaces((state) => state.list.find((workspace) => workspace.id === state.activeId) ?? null)
