import { z } from 'zod'
import { filledByDatabase, timestampColumn, uuidColumn } from './columns.ts'

export const conversationStatuses = ['Open', 'Pending', 'Done'] as const

/** public.contacts: a customer of a workspace, and the state of the conversation with them. */
export const contactRowSchema = z.object({
  id: uuidColumn,
  phone_number: z.string(),
  workspace_id: uuidColumn,
  name: z.string().nullable(),
  email: z.string().nullable(),
  conversation_status: z.enum(conversationStatuses),
  unread_count: z.number().int().nonnegative(),
  last_message_at: timestampColumn.nullable(),
  last_message_preview: z.string().nullable(),
  created_at: timestampColumn.nullable(),
  updated_at: timestampColumn.nullable(),
  /** The member who owns the conversation; null when nobody does. */
  assignee_id: uuidColumn.nullable(),
})
export type ContactRow = z.infer<typeof contactRowSchema>

/** updated_at is nullable (the seed's column), but the touch trigger sets it on every insert and update. */
export const storedContactRowSchema = filledByDatabase(contactRowSchema, ['updated_at'])

/**
 * A name an agent gives a contact: trimmed, never blank, at most 100 characters (the
 * database's contacts_name_check, 20261201170100_contact_renames.sql, says the same).
 */
export const contactNameMaxLength = 100
export const contactNameSchema = z
  .string()
  .trim()
  .min(1, 'A contact’s name cannot be empty.')
  .max(contactNameMaxLength, `A contact’s name is at most ${contactNameMaxLength} characters.`)
