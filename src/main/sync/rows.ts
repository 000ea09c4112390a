import {
  conversationView,
  messageView,
  type Conversation,
  type HeldReply,
  type Message,
} from '../../shared/domain.ts'
import type { ArrivedMessage } from '../../shared/relay-contract.ts'
import { noteView, savedReplyView, type Note, type SavedReply } from '../../shared/notes-and-replies.ts'
import { selectList } from '../../shared/rows/columns.ts'
import type { z } from 'zod'
import { normalizeTimestamp } from '../cache/time.ts'

/**
 * Rows as PostgREST and Realtime deliver them (snake_case, Postgres timestamps),
 * validated before anything reaches the cache. Timestamps are normalized here,
 * because the cache orders and pages by comparing them as text.
 */

/** The columns to select: never the embedding, never anything the UI does not show. */
export const contactColumns = selectList(conversationView.row)
export const messageColumns = selectList(messageView.row)
export const noteColumns = selectList(noteView.row)
export const savedReplyColumns = selectList(savedReplyView.row)

export function toConversation(row: z.infer<typeof conversationView.row>): Conversation {
  const conversation = conversationView.fromRow(row)
  return {
    ...conversation,
    lastMessageAt:
      conversation.lastMessageAt === null ? null : normalizeTimestamp(conversation.lastMessageAt),
    updatedAt: normalizeTimestamp(conversation.updatedAt),
  }
}

export function toMessage(row: z.infer<typeof messageView.row>): Message {
  const message = messageView.fromRow(row)
  return {
    ...message,
    createdAt: normalizeTimestamp(message.createdAt),
    updatedAt: normalizeTimestamp(message.updatedAt),
  }
}

/** A message the collision guard named, as the relay reported it. */
export function toArrived(row: ArrivedMessage): HeldReply['arrived'][number] {
  return {
    id: row.id,
    direction: row.direction,
    content: row.content,
    createdBy: row.created_by,
    createdAt: normalizeTimestamp(row.created_at),
  }
}

export function toNote(row: z.infer<typeof noteView.row>): Note {
  const note = noteView.fromRow(row)
  return {
    ...note,
    createdAt: normalizeTimestamp(note.createdAt),
    updatedAt: normalizeTimestamp(note.updatedAt),
  }
}

export function toSavedReply(row: z.infer<typeof savedReplyView.row>): SavedReply {
  const reply = savedReplyView.fromRow(row)
  return { ...reply, updatedAt: normalizeTimestamp(reply.updatedAt) }
}

/** Null for a row that does not match its schema or carries a timestamp that is not one. */
function parseWith<Row, T>(schema: z.ZodType<Row>, convert: (row: Row) => T, row: unknown): T | null {
  const parsed = schema.safeParse(row)
  if (!parsed.success) return null
  try {
    return convert(parsed.data)
  } catch {
    return null
  }
}

export const parseConversation = (row: unknown): Conversation | null =>
  parseWith(conversationView.row, toConversation, row)
export const parseMessage = (row: unknown): Message | null => parseWith(messageView.row, toMessage, row)
export const parseNote = (row: unknown): Note | null => parseWith(noteView.row, toNote, row)
export const parseSavedReply = (row: unknown): SavedReply | null =>
  parseWith(savedReplyView.row, toSavedReply, row)
