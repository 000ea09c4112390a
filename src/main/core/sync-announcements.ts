import type { SyncBatch } from '../sync/sync.ts'
import type { Alerts } from './alerts-capability.ts'
import type { InboxScope } from './backend-runtime.ts'
import type { EventHub } from './event-hub.ts'

/**
 * One batch the sync applied reaches the renderer as at most one event per kind, and the
 * badge is recounted once for it: a first sync of 100,000 conversations costs a hundred
 * recounts, not 100,000. A new inbound SMS or a new note mentioning `me` (live, or
 * backfilled after the first sync) may notify.
 */
export function announceSyncBatch(
  batch: SyncBatch,
  scope: InboxScope,
  deps: { events: EventHub; alerts: Alerts },
  me: string | null = null,
): void {
  const conversations = batch.conversations.flatMap((change) =>
    change.outcome === 'deleted' ? [] : [change.conversation],
  )
  if (conversations.length > 0) deps.events.emit('conversations.upserted', conversations)
  const messages = batch.messages.flatMap((change) => (change.outcome === 'deleted' ? [] : [change.message]))
  if (messages.length > 0) deps.events.emit('messages.upserted', messages)
  for (const change of batch.messages) {
    const news = change.outcome === 'inserted' && (change.source === 'live' || !change.initial)
    if (news && change.message.direction === 'inbound') deps.alerts.inbound(change.message, scope)
  }
  const notes = batch.notes.flatMap((change) => (change.outcome === 'deleted' ? [] : [change.note]))
  if (notes.length > 0) deps.events.emit('notes.upserted', notes)
  const deletedNotes = batch.notes.flatMap((change) =>
    change.outcome === 'deleted' ? [{ id: change.note.id, contactId: change.note.contactId }] : [],
  )
  if (deletedNotes.length > 0) deps.events.emit('notes.deleted', deletedNotes)
  for (const change of batch.notes) {
    const news = change.outcome === 'inserted' && (change.source === 'live' || !change.initial)
    if (!news || !me) continue
    const author = scope.cache
      .listMembers(change.note.workspaceId)
      .find((member) => member.userId === change.note.createdBy)
    deps.alerts.noted(change.note, scope, me, author?.displayName ?? null)
  }
  if (batch.consent.length > 0) deps.events.emit('consent.changed', batch.consent)
  if (batch.conversations.length > 0) deps.alerts.publishBadge(scope)
}
