import type { z } from 'zod'
import { internalNoteRowSchema } from './rows/internal-notes.ts'
import { rowView } from './rows/row-view.ts'
import { savedReplyRowSchema } from './rows/saved-replies.ts'

/**
 * Internal notes and saved replies as they cross IPC. Apart from domain.ts because a
 * saved reply's bound is the relay's (relay-contract.ts), which itself reads domain.ts.
 */
/** An internal note: agents' words to each other in a thread, never sent as SMS. */
export const noteView = rowView(internalNoteRowSchema, {
  id: 'id',
  workspaceId: 'workspace_id',
  contactId: 'contact_id',
  body: 'body',
  mentions: 'mentions',
  createdBy: 'created_by',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
})
export const noteSchema = noteView.schema
export type Note = z.infer<typeof noteSchema>

/** A saved reply as the composer offers it: workspace-wide (ownerId null) or the agent's own. */
export const savedReplyView = rowView(savedReplyRowSchema, {
  id: 'id',
  workspaceId: 'workspace_id',
  ownerId: 'owner_id',
  title: 'title',
  body: 'body',
  updatedAt: 'updated_at',
})
export const savedReplySchema = savedReplyView.schema
export type SavedReply = z.infer<typeof savedReplySchema>
