import { z } from 'zod'
import type { Conversation, Message } from '../../shared/domain.ts'
import { conversationStatusSchema } from '../../shared/domain.ts'
import { normalizeTimestamp } from '../cache/time.ts'

/**
 * Rows as PostgREST and Realtime deliver them (snake_case, Postgres timestamps),
 * validated before anything reaches the cache.
 */
const timestamp = z.string().transform((value, ctx) => {
  try {
    return normalizeTimestamp(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a timestamp' })
    return z.NEVER
  }
})

export const contactRowSchema = z.object({
  id: z.uuid(),
  workspace_id: z.uuid(),
  phone_number: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  conversation_status: conversationStatusSchema,
  unread_count: z.number().int().nonnegative(),
  last_message_at: timestamp.nullable(),
  last_message_preview: z.string().nullable(),
  updated_at: timestamp,
})

export const messageRowSchema = z.object({
  id: z.uuid(),
  workspace_id: z.uuid(),
  contact_id: z.uuid(),
  direction: z.enum(['inbound', 'outbound']),
  content: z.string(),
  status: z.enum(['pending', 'sent', 'delivered', 'failed']),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  created_by: z.uuid().nullable(),
})

/** The columns to select: never the embedding, never anything the UI does not show. */
export const contactColumns =
  'id, workspace_id, phone_number, name, email, conversation_status, unread_count, last_message_at, last_message_preview, updated_at'
export const messageColumns =
  'id, workspace_id, contact_id, direction, content, status, error_code, error_message, created_at, updated_at, created_by'

export function toConversation(row: z.infer<typeof contactRowSchema>): Conversation {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    phoneNumber: row.phone_number,
    name: row.name,
    email: row.email,
    status: row.conversation_status,
    unreadCount: row.unread_count,
    lastMessageAt: row.last_message_at,
    lastMessagePreview: row.last_message_preview,
    updatedAt: row.updated_at,
  }
}

export function toMessage(row: z.infer<typeof messageRowSchema>): Message {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    contactId: row.contact_id,
    direction: row.direction,
    content: row.content,
    status: row.status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  }
}

export const parseConversation = (row: unknown): Conversation | null => {
  const parsed = contactRowSchema.safeParse(row)
  return parsed.success ? toConversation(parsed.data) : null
}
export const parseMessage = (row: unknown): Message | null => {
  const parsed = messageRowSchema.safeParse(row)
  return parsed.success ? toMessage(parsed.data) : null
}
