import { z } from 'zod'
import { SMS_BODY_MAX } from '../relay-contract.ts'
import { timestampColumn, uuidColumn } from './columns.ts'

/**
 * public.saved_replies: a template the composer inserts. owner_id null is the whole
 * workspace's (written by owners and admins); otherwise it is that member's own,
 * seen by nobody else.
 */
export const savedReplyRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  owner_id: uuidColumn.nullable(),
  title: z.string().trim().min(1).max(80),
  /** Unexpanded, with its {{variables}}. */
  body: z
    .string()
    .max(SMS_BODY_MAX)
    .refine((text) => text.trim().length > 0, 'The reply is empty.'),
  created_by: uuidColumn.nullable(),
  created_at: timestampColumn,
  updated_at: timestampColumn,
})
export type SavedReplyRow = z.infer<typeof savedReplyRowSchema>

/** A new saved reply: the database fills its author, times and (if omitted) its id. */
export const savedReplyInsertSchema = savedReplyRowSchema
  .pick({ workspace_id: true, owner_id: true, title: true, body: true })
  .extend({ id: uuidColumn.optional() })
export type SavedReplyInsert = z.infer<typeof savedReplyInsertSchema>
