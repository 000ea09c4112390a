import { create } from 'zustand'
import type { HeldReply, Message } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'
import { useSession } from './session.ts'

/**
 * Opening paints only the newest messages: a screenful and then some (every bubble is rendered,
 * so this page is what opening a long thread costs). Older pages, larger, load as the agent scrolls up.
 */
const firstPageSize = 40
const olderPageSize = 100

interface ThreadStore {
  contactId: string | null
  messages: Message[]
  hasMore: boolean
  status: 'idle' | 'loading' | 'ready' | 'error'
  error: AppError | null
  loadingOlder: boolean
  /** Drafts per conversation, kept while the app runs. */
  drafts: Record<string, string>
  open(contactId: string | null): Promise<void>
  loadOlder(): Promise<void>
  /** Asks again for the newest page and merges it: what events said while the page was cut off from the app. */
  refresh(): Promise<void>
  upsert(message: Message): void
  /** Merges a batch, keeping only this conversation's messages, with one store update. */
  upsertMany(messages: Message[]): void
  /** What arrived before each reply the collision guard held back, by the reply's id (while the app runs). */
  arrivedBefore: Record<string, HeldReply['arrived']>
  /** `fromNumber`: the workspace number it leaves from (null: the workspace's first). */
  send(
    workspaceId: string,
    contactId: string,
    body: string,
    fromNumber?: string | null,
  ): Promise<AppError | null>
  retry(messageId: string): Promise<AppError | null>
  held(reply: HeldReply): void
  sendAnyway(messageId: string): Promise<AppError | null>
  /** Takes a held reply back into the composer: it leaves the thread, its text goes back into the draft. */
  edit(messageId: string): Promise<AppError | null>
  setDraft(contactId: string, text: string): void
}

/**
 * The collision guard's mark: the newest message of the thread that is not the agent's
 * own (their own replies never count as news), or null when there is none.
 */
export function newestSeen(messages: Message[], userId: string): string | null {
  for (let at = messages.length - 1; at >= 0; at--) {
    const message = messages[at]!
    if (message.direction === 'inbound' || message.createdBy !== userId) return message.id
  }
  return null
}

const currentUserId = (): string | null => {
  const session = useSession.getState().session
  return session?.status === 'signed-in' ? session.user.id : null
}

function mergeMessage(messages: Message[], message: Message): Message[] {
  const index = messages.findIndex((existing) => existing.id === message.id)
  if (index >= 0) {
    const existing = messages[index]!
    if (existing.updatedAt > message.updatedAt) return messages
    const next = messages.slice()
    next[index] = message
    return next
  }
  // New messages almost always belong at the end; walk back from there.
  let at = messages.length
  while (at > 0 && messages[at - 1]!.createdAt > message.createdAt) at -= 1
  const next = messages.slice()
  next.splice(at, 0, message)
  return next
}

export const useThread = create<ThreadStore>()((set, get) => ({
  contactId: null,
  messages: [],
  hasMore: false,
  status: 'idle',
  error: null,
  loadingOlder: false,
  drafts: {},
  arrivedBefore: {},
  async open(contactId) {
    // Opening what is already open (or loading) keeps it: only a failed load is asked again.
    const current = get()
    if (
      contactId &&
      current.contactId === contactId &&
      (current.status === 'loading' || current.status === 'ready')
    )
      return
    set({
      contactId,
      messages: [],
      hasMore: false,
      status: contactId ? 'loading' : 'idle',
      error: null,
      loadingOlder: false,
    })
    if (!contactId) return
    const result = await call('thread.load', { contactId, before: null, limit: firstPageSize })
    if (get().contactId !== contactId) return
    if (!result.ok) return set({ status: 'error', error: result.error })
    let messages = result.value.messages
    // Events that arrived while loading are merged, not lost.
    for (const message of get().messages) messages = mergeMessage(messages, message)
    set({ messages, hasMore: result.value.hasMore, status: 'ready' })
  },
  async loadOlder() {
    const { contactId, messages, hasMore, loadingOlder } = get()
    if (!contactId || !hasMore || loadingOlder || messages.length === 0) return
    set({ loadingOlder: true })
    const result = await call('thread.load', {
      contactId,
      before: messages[0]!.createdAt,
      limit: olderPageSize,
    })
    if (get().contactId !== contactId) return
    if (!result.ok) return set({ loadingOlder: false })
    const known = new Set(get().messages.map((message) => message.id))
    const older = result.value.messages.filter((message) => !known.has(message.id))
    set({ messages: [...older, ...get().messages], hasMore: result.value.hasMore, loadingOlder: false })
  },
  async refresh() {
    const { contactId, status } = get()
    if (!contactId || status !== 'ready') return
    const result = await call('thread.load', { contactId, before: null, limit: firstPageSize })
    if (!result.ok || get().contactId !== contactId) return
    let messages = get().messages
    for (const message of result.value.messages) messages = mergeMessage(messages, message)
    set({ messages })
  },
  upsert(message) {
    get().upsertMany([message])
  },
  upsertMany(batch) {
    const { contactId } = get()
    const mine = batch.filter((message) => message.contactId === contactId)
    if (mine.length === 0) return
    set({ messages: mine.reduce(mergeMessage, get().messages) })
  },
  async send(workspaceId, contactId, body, fromNumber) {
    const state = get()
    const userId = currentUserId()
    // Only what this thread shows was seen; a reply from anywhere else goes unguarded.
    const guard =
      userId && state.contactId === contactId && state.status === 'ready'
        ? { seenMessageId: newestSeen(state.messages, userId) }
        : {}
    const from = fromNumber ? { fromNumber } : {}
    const result = await call('messages.send', { workspaceId, contactId, body, ...guard, ...from })
    if (!result.ok) return result.error
    get().upsert(result.value)
    return null
  },
  async retry(messageId) {
    const result = await call('messages.retry', { messageId })
    if (!result.ok) return result.error
    get().upsert(result.value)
    return null
  },
  held({ message, arrived }) {
    set({ arrivedBefore: { ...get().arrivedBefore, [message.id]: arrived } })
    get().upsert(message)
  },
  async sendAnyway(messageId) {
    const result = await call('messages.sendAnyway', { messageId })
    if (!result.ok) return result.error
    get().upsert(result.value)
    return null
  },
  async edit(messageId) {
    const result = await call('messages.withdraw', { messageId })
    if (!result.ok) return result.error
    const { contactId, content } = result.value
    const { [messageId]: _gone, ...arrivedBefore } = get().arrivedBefore
    const draft = get().drafts[contactId]?.trim()
    set({
      messages: get().messages.filter((message) => message.id !== messageId),
      arrivedBefore,
      drafts: { ...get().drafts, [contactId]: draft ? `${content}\n${draft}` : content },
    })
    return null
  },
  setDraft(contactId, text) {
    set({ drafts: { ...get().drafts, [contactId]: text } })
  },
}))
