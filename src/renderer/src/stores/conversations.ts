import { create } from 'zustand'
import type { ConversationCursor, RequestOf, ResponseOf } from '../../../shared/contract.ts'
import type {
  Conversation,
  ConversationFilter,
  ConversationStatus,
  InboxView,
  InboxViewCounts,
} from '../../../shared/domain.ts'
import type { AppError, Result } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'
import { useThread } from './thread.ts'

type Counts = Record<ConversationFilter, number>
type ListResult = Result<ResponseOf<'conversations.list'>>

/** Rows of the first page: more than the tallest window shows, so the first paint is a full list. */
const firstPageSize = 100
/**
 * Background pages: small, so that reading one (the reply's parse and validation) never
 * holds a frame for long. Showing them is what costs, and `loadPages` holds them for that.
 * Measured at 100,000 conversations: scroll frames p95 while paging 21.3 ms with pages of
 * 2,000, 11.3 ms with 500; every page in after 2.4 and 3.2 s.
 */
const restPageSize = 500

interface WorkspaceList {
  /** The workspace's conversations, most recent activity first: a first page, then all of them. */
  order: string[]
  status: 'loading' | 'ready' | 'error'
  error: AppError | null
  /** Every conversation is in `order`: the list counts itself from then on. */
  complete: boolean
  /** The host's counts of the whole workspace, shown while the list is still incomplete. */
  counts: Counts | null
  /** The host's Mine, Unassigned and All counts, likewise. */
  views: InboxViewCounts | null
}

interface ConversationsStore {
  byId: Record<string, Conversation>
  /** Bumped on every change to byId (which is updated in place). */
  version: number
  lists: Record<string, WorkspaceList>
  filter: ConversationFilter
  /** Whose conversations the list shows; the status filter narrows it further. */
  view: InboxView
  openId: string | null
  /** The keyboard cursor in the list (may differ from the open conversation). */
  cursorId: string | null
  load(workspaceId: string): Promise<void>
  upsert(conversation: Conversation): void
  /** Applies a burst (the first sync streams thousands) with one copy of the map and one store update. */
  upsertMany(conversations: Conversation[]): void
  setFilter(filter: ConversationFilter): void
  setView(view: InboxView): void
  setCursor(id: string | null): void
  open(id: string | null): void
  setStatus(id: string, status: ConversationStatus): Promise<AppError | null>
  markUnread(id: string): Promise<AppError | null>
  /** Gives the conversation to a member, or to nobody (null). */
  assign(id: string, assigneeId: string | null): Promise<AppError | null>
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

/** Puts `ids` (new to the list, or with a changed time) at their place in a sorted list. */
function reposition(order: string[], ids: Set<string>, byId: Record<string, Conversation>): string[] {
  if (ids.size === 0) return order
  const rest = order.filter((id) => !ids.has(id))
  return mergeSorted(
    rest,
    [...ids].sort((a, b) => compareConversations(byId[a]!, byId[b]!)),
    byId,
  )
}

/** Applies a page of the host's list to the map (newer wins) and places its rows in the order. */
function mergePage(order: string[], items: Conversation[], byId: Record<string, Conversation>): string[] {
  const present = new Set(order)
  const placed = new Set<string>()
  for (const conversation of items) {
    const previous = byId[conversation.id]
    const newer = !previous || previous.updatedAt <= conversation.updatedAt
    if (newer) byId[conversation.id] = conversation
    if (!present.has(conversation.id) || (newer && previous && time(previous) !== time(conversation)))
      placed.add(conversation.id)
  }
  return reposition(order, placed, byId)
}

/** The load under way per workspace: asking again joins it. reset() orphans it, and it stops at its next page. */
const loading = new Map<string, Promise<void>>()

export const useConversations = create<ConversationsStore>()((set, get) => ({
  byId: {},
  version: 0,
  lists: {},
  filter: 'Open',
  view: 'all',
  openId: null,
  cursorId: null,
  load(workspaceId) {
    const running = loading.get(workspaceId)
    if (running) return running
    const run: Promise<void> = loadPages(workspaceId, () => loading.get(workspaceId) === run).finally(() => {
      if (loading.get(workspaceId) === run) loading.delete(workspaceId)
    })
    loading.set(workspaceId, run)
    return run
  },
  upsert(conversation) {
    get().upsertMany([conversation])
  },
  upsertMany(conversations) {
    const state = get()
    // Updated in place: rows select their own entry, and `version` tells the list something changed.
    const byId = state.byId
    const moved = new Map<string, Set<string>>()
    let changed = 0
    for (const conversation of conversations) {
      const previous = byId[conversation.id]
      if (previous && previous.updatedAt > conversation.updatedAt) continue
      byId[conversation.id] = conversation
      changed += 1
      if (previous && time(previous) === time(conversation)) continue
      const ids = moved.get(conversation.workspaceId) ?? new Set<string>()
      ids.add(conversation.id)
      moved.set(conversation.workspaceId, ids)
    }
    if (changed === 0) return
    const lists = { ...state.lists }
    for (const [workspaceId, movedHere] of moved) {
      const list = lists[workspaceId]
      if (!list) continue
      lists[workspaceId] = { ...list, order: reposition(list.order, movedHere, byId) }
    }
    set({ byId, lists, version: state.version + 1 })
  },
  setFilter(filter) {
    set({ filter })
  },
  setView(view) {
    set({ view })
  },
  setCursor(cursorId) {
    set({ cursorId })
  },
  open(id) {
    set({ openId: id, cursorId: id ?? get().cursorId })
    if (!id) return
    // The thread is asked for before the read receipt: the host answers in order, and the bubbles are what the agent waits for.
    void useThread.getState().open(id)
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
  async assign(id, assigneeId) {
    const result = await call('conversations.assign', { contactId: id, assigneeId })
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
    loading.clear()
    set({ byId: {}, version: 0, lists: {}, openId: null, cursorId: null })
  },
}))

/** Pages through the host's list: the first page paints, the rest follow in the background. */
async function loadPages(workspaceId: string, current: () => boolean): Promise<void> {
  const { getState: get, setState: set } = useConversations
  const existing = get().lists[workspaceId]
  if (!existing || existing.status === 'error') {
    const list: WorkspaceList = {
      order: existing?.order ?? [],
      status: 'loading',
      error: null,
      complete: false,
      counts: null,
      views: null,
    }
    set({ lists: { ...get().lists, [workspaceId]: list } })
  }
  // Conversations the list showed before that the host no longer has are dropped once all pages are in.
  const shownBefore = new Set(existing?.order ?? [])
  const fresh = new Set<string>()
  // Pages read but not yet shown. Showing a page merges and recounts the whole list, so a
  // page is held until the held ones would double it (or the last is in): at 100,000
  // conversations about 10 merges instead of one per page, and scrolling keeps its frames.
  let held: Conversation[] = []
  const show = (hasMore: boolean, counts: Counts, views: InboxViewCounts) => {
    const list = get().lists[workspaceId]!
    const byId = get().byId
    let order = mergePage(list.order, held, byId)
    held = []
    if (!hasMore && shownBefore.size > 0) order = order.filter((id) => fresh.has(id) || !shownBefore.has(id))
    const complete = list.complete || !hasMore
    set({
      byId,
      version: get().version + 1,
      // Still 'loading' while pages are missing: a filter without rows so far is not an empty one.
      lists: {
        ...get().lists,
        [workspaceId]: {
          order,
          status: complete ? 'ready' : 'loading',
          error: null,
          complete,
          counts: complete ? null : counts,
          views: complete ? null : views,
        },
      },
    })
  }
  let after: ConversationCursor | null = null
  let lastCounts: { counts: Counts; views: InboxViewCounts } | null = null
  for (;;) {
    const request: RequestOf<'conversations.list'> = after
      ? { workspaceId, filter: 'All', limit: restPageSize, after }
      : { workspaceId, filter: 'All', limit: firstPageSize }
    const result: ListResult = await call('conversations.list', request)
    if (!current() || !get().lists[workspaceId]) return
    if (!result.ok) {
      if (held.length > 0 && lastCounts) show(true, lastCounts.counts, lastCounts.views)
      const list = get().lists[workspaceId]!
      // What is on screen stays; the error only replaces an empty list.
      if (list.order.length > 0) {
        if (list.status !== 'ready')
          set({ lists: { ...get().lists, [workspaceId]: { ...list, status: 'ready' } } })
        return
      }
      set({ lists: { ...get().lists, [workspaceId]: { ...list, status: 'error', error: result.error } } })
      return
    }
    const { items, counts, views, hasMore }: ResponseOf<'conversations.list'> = result.value
    for (const conversation of items) fresh.add(conversation.id)
    held = held.concat(items)
    lastCounts = { counts, views }
    const shown = get().lists[workspaceId]!.order.length
    if (!hasMore || shown === 0 || held.length >= shown) show(hasMore, counts, views)
    const last: Conversation | undefined = items.at(-1)
    if (!hasMore || !last) return
    after = { lastMessageAt: last.lastMessageAt, id: last.id }
  }
}

/** Which view a conversation belongs to besides All, for the agent `me`. */
function ownerView(conversation: Conversation, me: string | null): InboxView | null {
  if (conversation.assigneeId === null) return 'unassigned'
  return conversation.assigneeId === me ? 'mine' : null
}

/**
 * Ids shown for a workspace in a view under a filter, with the count of every filter
 * within the view, and every view's conversations and unread messages.
 */
export function filterConversations(
  order: string[],
  byId: Record<string, Conversation>,
  filter: ConversationFilter,
  view: InboxView = 'all',
  me: string | null = null,
): { ids: string[]; counts: Counts; views: InboxViewCounts } {
  const counts: Counts = { Open: 0, Pending: 0, Done: 0, All: 0 }
  const views: InboxViewCounts = {
    mine: { conversations: 0, unread: 0 },
    unassigned: { conversations: 0, unread: 0 },
    all: { conversations: 0, unread: 0 },
  }
  const ids: string[] = []
  for (const id of order) {
    const conversation = byId[id]
    if (!conversation) continue
    const owner = ownerView(conversation, me)
    for (const counted of owner ? (['all', owner] as const) : (['all'] as const)) {
      views[counted].conversations += 1
      views[counted].unread += conversation.unreadCount
    }
    if (view !== 'all' && owner !== view) continue
    counts[conversation.status] += 1
    counts.All += 1
    if (filter === 'All' || conversation.status === filter) ids.push(id)
  }
  return { ids, counts, views }
}
