import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

/**
 * public.conversation_assignments: who assigned a conversation to whom, and when.
 * Appended by the database whenever contacts.assignee_id changes; never changed.
 * assignee_id null is "unassigned"; assigned_by null is a change no agent made.
 */
export const conversationAssignmentRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  contact_id: uuidColumn,
  assignee_id: uuidColumn.nullable(),
  assigned_by: uuidColumn.nullable(),
  assigned_at: timestampColumn,
})
export type ConversationAssignmentRow = z.infer<typeof conversationAssignmentRowSchema>
