import type { AppApi } from '../../../shared/contract.ts'
import type { Conversation } from '../../../shared/domain.ts'
import { useConnection } from '../stores/connection.ts'
import { useConversations } from '../stores/conversations.ts'
import { useMembers } from '../stores/members.ts'
import { useNotes } from '../stores/notes.ts'
import { usePresence } from '../stores/presence.ts'
import { useSenders } from '../stores/senders.ts'
import { useSession } from '../stores/session.ts'
import { useSyncProgress } from '../stores/sync-progress.ts'
import { useThread } from '../stores/thread.ts'
import { useWorkspaces } from '../stores/workspaces.ts'

/**
 * Collects conversation batches for a few frames, so a sync burst costs a handful of store
 * updates, not one per page; 50 ms is still far below what an agent notices.
 */
function conversationBatcher() {
  let pending: Conversation[] = []
  let timer: ReturnType<typeof setTimeout> | null = null
  const flush = () => {
    timer = null
    const batch = pending
    pending = []
    useConversations.getState().upsertMany(batch)
  }
  return (conversations: Conversation[]) => {
    pending.push(...conversations)
    timer ??= setTimeout(flush, 50)
  }
}

/** Feeds every store from the API's events. Returns the unsubscribe of all of them. */
export function wireEvents(api: AppApi): () => void {
  const upsertConversations = conversationBatcher()
  const offs = [
    api.on('session.changed', (session) => {
      useSession.getState().apply(session)
      if (session.status === 'signed-out') {
        useWorkspaces.getState().reset()
        useConversations.getState().reset()
        useMembers.getState().reset()
        useSyncProgress.getState().reset()
        usePresence.getState().reset()
        useSenders.getState().reset()
        void useThread.getState().open(null)
        void useNotes.getState().open(null)
      }
    }),
    api.on('connection.changed', (state) => useConnection.getState().apply(state)),
    api.on('embedded.changed', (embedded) => useConnection.getState().applyEmbedded(embedded)),
    api.on('workspaces.changed', (list) => useWorkspaces.getState().apply(list)),
    api.on('conversations.upserted', upsertConversations),
    api.on('messages.upserted', (messages) => useThread.getState().upsertMany(messages)),
    api.on('messages.held', (reply) => useThread.getState().held(reply)),
    api.on('presence.changed', (change) => usePresence.getState().apply(change)),
    api.on('notes.upserted', (notes) => useNotes.getState().upsertMany(notes)),
    api.on('notes.deleted', (notes) => useNotes.getState().remove(notes.map((note) => note.id))),
    api.on('sync.progress', (progress) => useSyncProgress.getState().apply(progress)),
    api.on('badge.changed', (badge) => useWorkspaces.getState().setBadge(badge)),
    api.on('members.changed', ({ workspaceId, members }) =>
      useMembers.getState().apply(workspaceId, members),
    ),
    api.on('consent.changed', (states) => useSenders.getState().applyConsent(states)),
    api.on('numbers.changed', ({ workspaceId, numbers }) =>
      useSenders.getState().applyNumbers(workspaceId, numbers),
    ),
    api.on('navigation.open', ({ workspaceId, contactId }) => {
      useWorkspaces.getState().select(workspaceId)
      if (contactId) useConversations.getState().open(contactId)
    }),
  ]
  return () => {
    for (const off of offs) off()
  }
}

/**
 * After the page was cut off from the app (the browser shell's host restarted, or
 * its socket dropped), events it missed are asked for again: the page ends up where
 * it would be had it never been away.
 */
export async function catchUp(): Promise<void> {
  await Promise.all([useSession.getState().load(), useConnection.getState().load()])
  if (useSession.getState().session?.status !== 'signed-in') return
  await useWorkspaces.getState().load()
  const workspaceId = useWorkspaces.getState().activeId
  await Promise.all([
    workspaceId ? useConversations.getState().load(workspaceId) : null,
    workspaceId ? useMembers.getState().load(workspaceId) : null,
    useThread.getState().refresh(),
    usePresence.getState().load(),
  ])
}
