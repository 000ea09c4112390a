import { create } from 'zustand'
import type { PresentMember, WorkspacePresence } from '../../../shared/domain.ts'
import { call } from '../api/api.ts'

const none: PresentMember[] = []

interface PresenceStore {
  /** Teammates with each conversation open, by conversation id (every workspace's). */
  byConversation: Record<string, PresentMember[]>
  apply(change: WorkspacePresence): void
  /** Asks for the whole picture: after sign-in, or when the page was cut off from the app. */
  load(): Promise<void>
  reset(): void
}

/** Which conversation ids of the store belong to a workspace, as its last report listed them. */
const listedBy = new Map<string, string[]>()

export const usePresence = create<PresenceStore>()((set, get) => ({
  byConversation: {},
  apply({ workspaceId, conversations }) {
    const next = { ...get().byConversation }
    for (const contactId of listedBy.get(workspaceId) ?? []) delete next[contactId]
    for (const { contactId, members } of conversations) next[contactId] = members
    listedBy.set(
      workspaceId,
      conversations.map(({ contactId }) => contactId),
    )
    set({ byConversation: next })
  },
  async load() {
    const result = await call('presence.get', {})
    if (result.ok) for (const change of result.value) get().apply(change)
  },
  reset() {
    listedBy.clear()
    set({ byConversation: {} })
  },
}))

/** The teammates in one conversation; the same empty list when none, so a row does not re-render for nothing. */
export const usePresentIn = (contactId: string): PresentMember[] =>
  usePresence((state) => state.byConversation[contactId] ?? none)

/** While typing, say so at most this often: the main process lets typing expire 5 s after the last report. */
const typingReportMs = 2_000
let lastTypingReport: { contactId: string; at: number } | null = null

/** The agent opened a conversation, or none. */
export function reportOpen(contactId: string | null): void {
  lastTypingReport = null
  void call('presence.report', { contactId, typing: false })
}

/** The agent typed in the open conversation. */
export function reportTyping(contactId: string): void {
  const now = Date.now()
  if (lastTypingReport?.contactId === contactId && now - lastTypingReport.at < typingReportMs) return
  lastTypingReport = { contactId, at: now }
  void call('presence.report', { contactId, typing: true })
}
