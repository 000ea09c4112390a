import { err, ok } from '../../shared/errors.ts'
import { postgrestError } from '../session/session.ts'
import { noteColumns, parseNote } from '../sync/rows.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'
import type { EventHub } from './event-hub.ts'

/**
 * Internal notes and saved replies. A note is written with supabase-js under the agent's
 * session and RLS, straight into internal_notes: it never enters the outbox and never
 * reaches the relay, so nothing can hand it to Twilio. Unlike a reply it is not queued
 * offline: a note nobody can read until the app reconnects helps no teammate, so the
 * composer keeps the text and says why it was not saved.
 */
export function notesCapability(deps: {
  access: Access
  events: EventHub
}): HandlersFor<'notes.list' | 'notes.add' | 'savedReplies.list'> {
  const { access, events } = deps
  return {
    'notes.list': async ({ contactId }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      return ok(found.value.runtime.cache.notes(contactId))
    },
    'notes.add': async ({ contactId, body, mentions }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { runtime, conversation } = found.value
      const { data, error } = await runtime.session.client
        .from('internal_notes')
        .insert({ workspace_id: conversation.workspaceId, contact_id: contactId, body, mentions })
        .select(noteColumns)
        .single()
      if (error) {
        // 23503: the database refused a mention of someone who is not a member (any more).
        if (error.code === '23503')
          return err(
            'invalid_input',
            'A mentioned teammate is no longer in this workspace: remove the mention.',
          )
        return { ok: false, error: postgrestError(error) }
      }
      const note = parseNote(data)
      if (!note) return err('upstream', 'The server answered with an unexpected note.')
      // Realtime brings the same row: applied by id, it changes nothing a second time.
      if (runtime.cache.upsertNote(note) !== 'unchanged') events.emit('notes.upserted', [note])
      return ok(note)
    },
    'savedReplies.list': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return ok(auth.value.runtime.cache.savedReplies(workspaceId))
    },
  }
}
