import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

/** The database's bounds on a note (20261201100000_team_inbox.sql). */
export const NOTE_BODY_MAX = 4000
export const NOTE_MENTIONS_MAX = 50

/**
 * public.internal_notes: a note agents leave in a thread for each other. Never an
 * SMS: it lives apart from messages, so the relay has no way to send one.
 */
export const internalNoteRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  contact_id: uuidColumn,
  body: z
    .string()
    .max(NOTE_BODY_MAX)
    .refine((text) => text.trim().length > 0, 'The note is empty.'),
  /** The members it @mentions, by user id: each is notified. */
  mentions: z.array(uuidColumn).max(NOTE_MENTIONS_MAX),
  created_by: uuidColumn.nullable(),
  created_at: timestampColumn,
  updated_at: timestampColumn,
})
export type InternalNoteRow = z.infer<typeof internalNoteRowSchema>

/** A new note as an agent writes it: the database fills its author, times and (if omitted) its id. */
export const internalNoteInsertSchema = internalNoteRowSchema
  .pick({ workspace_id: true, contact_id: true, body: true, mentions: true })
  .extend({ id: uuidColumn.optional() })
export type InternalNoteInsert = z.infer<typeof internalNoteInsertSchema>
