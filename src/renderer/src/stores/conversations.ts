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

/** Where `conversation` belongs in `order` (binary search; the list is already sorted). */
function insertionIndex(order: string[], byId: Record<string, Conversation>, conversation: Conversation): number {
  let low = 0
  let high = order.length
  while (low < high) {
    const middle = (low + high) >>> 1
    const other = byId[order[middle]!]!
    if (compareConversations(other, conversation) < 0) low = middle + 1
    else high = middle
  }
  return low
}

export const useConversations = create<ConversationsStore>()((set, get) => ({
  byId: {},
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
    const byId = { ...get().byId }
    for (const conversation of result.value.items) byId[conversation.id] = conversation
    const order = [...result.value.items].sort(compareConversations).map((conversation) => conversation.id)
    set({ byId, lists: { ...get().lists, [workspaceId]: { order, status: 'ready', error: null } } })
  },
  upsert(conversation) {
    get().upsertMany([conversation])
  },
  upsertMany(conversations) {
    const state = get()
    const byId = { ...state.byId }
    const moved = new Map<string, Conversation[]>()
    for (const conversation of conversations) {
      const previous = byId[conversation.id]
      if (previous && previous.updatedAt > conversation.updatedAt) continue
      byId[conversation.id] = conversation
      if (previous && time(previous) === time(conversation)) continue
      const list = moved.get(conversation.workspaceId) ?? []
      list.push(conversation)
      moved.set(conversation.workspaceId, list)
    }
    const lists = { ...state.lists }
    for (const [workspaceId, changed] of moved) {
      const list = lists[workspaceId]
      if (!list) continue
      const changedIds = new Set(changed.map((conversation) => conversation.id))
      let order = list.order.filter((id) => !changedIds.has(id))
      if (changed.length > 32) {
        // Many at once: one sort beats thousands of splices.
        order = [...order, ...changedIds].sort((a, b) => compareConversations(byId[a]!, byId[b]!))
      } else {
        for (const conversation of changed) order.splice(insertionIndex(order, byId, conversation), 0, conversation.id)
      }
      lists[workspaceId] = { ...list, order }
    }
    set({ byId, lists })
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
      set({ byId: { ...get().byId, [id]: { ...conversation, unreadCount: 0 } } })
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
    set({ byId: {}, lists: {}, openId: null, cursorId: null })
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
