import { create } from 'zustand'
import type { Conversation, ConversationFilter, ConversationStatus } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'

type Counts = Record<ConversationFilter, number>

interface WorkspaceList {
  /** Every conversation of the workspace, most recent activity first. */
  order: string[]
  status: 'loading' | 'ready' | 'error'
  error: AppError | null
}

interface ConversationsStore {
  byId: Record<string, Conversation>
  /** Bumped on every change to byId (which is updated in place). */
  version: number
  lists: Record<string, WorkspaceList>
  filter: ConversationFilter
  openId: string | null
  /** The keyboard cursor in the list (may differ from the open conversation). */
  cursorId: string | null
  load(workspaceId: string): Promise<void>
  upsert(conversation: Conversation): void
  /** Applies a burst (the first sync streams thousands) with one copy of the map and one store update. */
  upsertMany(conversations: Conversation[]): void
  setFilter(filter: ConversationFilter): void
  setCursor(id: string | null): void
  open(id: string | null): void
  setStatus(id: string, status: ConversationStatus): Promise<AppError | null>
  markUnread(id: string): Promise<AppError | null>
  reset(): void
}

const time = (conversation: Conversation) => conversation.lastMessageAt ?? conversation.updatedAt

/** Most recent first; ties broken by id so the order is stable. */
export function compareConversations(a: Conversation, b: Conversation): number {
  // ISO-8601 UTC strings order by code unit; locale collation would only cost time.
  const timeA = time(a)
  const timeB = time(b)
  if (timeA !== timeB) return timeA < timeB ? 1 : -1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Merges two lists already sorted by compareConversations: linear, for sync bursts of any size. */
function mergeSorted(a: string[], b: string[], byId: Record<string, Conversation>): string[] {
  if (b.length === 0) return a
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (compareConversations(byId[a[i]!]!, byId[b[j]!]!) <= 0) out.push(a[i++]!)
    else out.push(b[j++]!)
  }
  while (i < a.length) out.push(a[i++]!)
  while (j < b.length) out.push(b[j++]!)
  return out
}

export const useConversations = create<ConversationsStore>()((set, get) => ({
  byId: {},
  version: 0,
  lists: {},
  filter: 'Open',
  openId: null,
  cursorId: null,
  async load(workspaceId) {
    const existing = get().lists[workspaceId]
    if (!existing || existing.status === 'error') {
      set({ lists: { ...get().lists, [workspaceId]: { order: existing?.order ?? [], status: 'loading', error: null } } })
    }
    const result = await call('conversations.list', { workspaceId, filter: 'All' })
    if (!result.ok) {
      const previous = get().lists[workspaceId]
      // A cached list stays on screen; the error only replaces an empty one.
      if (previous && previous.order.length > 0) return
      set({ lists: { ...get().lists, [workspaceId]: { order: [], status: 'error', error: result.error } } })
      return
    }
    const byId = get().byId
    for (const conversation of result.value.items) {
      const previous = byId[conversation.id]
      if (!previous || previous.updatedAt <= conversation.updatedAt) byId[conversation.id] = conversation
    }
    const order = result.value.items
      .map((conversation) => conversation.id)
      .sort((a, b) => compareConversations(byId[a]!, byId[b]!))
    set({ byId, version: get().version + 1, lists: { ...get().lists, [workspaceId]: { order, status: 'ready', error: null } } })
  },
  upsert(conversation) {
    get().upsertMany([conversation])
  },
  upsertMany(conversations) {
    const state = get()
    // Updated in place: rows select their own entry, and `version` tells the list something changed.
    const byId = state.byId
    const moved = new Map<string, Conversation[]>()
    let changed = 0
    for (const conversation of conversations) {
      const previous = byId[conversation.id]
      if (previous && previous.updatedAt > conversation.updatedAt) continue
      byId[conversation.id] = conversation
      changed += 1
      if (previous && time(previous) === time(conversation)) continue
      const list = moved.get(conversation.workspaceId) ?? []
      list.push(conversation)
      moved.set(conversation.workspaceId, list)
    }
    if (changed === 0) return
    const lists = { ...state.lists }
    for (const [workspaceId, movedHere] of moved) {
      const list = lists[workspaceId]
      if (!list) continue
      const movedIds = new Set(movedHere.map((conversation) => conversation.id))
      const rest = list.order.filter((id) => !movedIds.has(id))
      const incoming = [...movedIds].sort((a, b) => compareConversations(byId[a]!, byId[b]!))
      lists[workspaceId] = { ...list, order: mergeSorted(rest, incoming, byId) }
    }
    set({ byId, lists, version: state.version + 1 })
  },
  setFilter(filter) {
    set({ filter })
  },
  setCursor(cursorId) {
    set({ cursorId })
  },
  open(id) {
    set({ openId: id, cursorId: id ?? get().cursorId })
    if (!id) return
    const conversation = get().byId[id]
    if (conversation && conversation.unreadCount > 0) {
      // The badge clears at once; main confirms through conversation.upserted and badge.changed.
      get().byId[id] = { ...conversation, unreadCount: 0 }
      set({ version: get().version + 1 })
    }
    void call('conversations.markRead', { contactId: id })
  },
  async setStatus(id, status) {
    const result = await call('conversations.setStatus', { contactId: id, status })
    if (!result.ok) return result.error
    get().upsert(result.value)
    return null
  },
  async markUnread(id) {
    const result = await call('conversations.markUnread', { contactId: id })
    if (!result.ok) return result.error
    if (get().openId === id) set({ openId: null })
    return null
  },
  reset() {
    set({ byId: {}, version: 0, lists: {}, openId: null, cursorId: null })
  },
}))

/** Ids shown for a workspace under a filter, with the count of every filter. */
export function filterConversations(
  order: string[],
  byId: Record<string, Conversation>,
  filter: ConversationFilter,
): { ids: string[]; counts: Counts } {
  const counts: Counts = { Open: 0, Pending: 0, Done: 0, All: order.length }
  const ids: string[] = []
  for (const id of order) {
    const conversation = byId[id]
    if (!conversation) continue
    counts[conversation.status] += 1
    if (filter === 'All' || conversation.status === filter) ids.push(id)
  }
  return { ids, counts }
}
