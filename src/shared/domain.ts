import { z } from 'zod'
import { contactRowSchema, conversationStatuses, storedContactRowSchema } from './rows/contacts.ts'
import { memberProfileRowSchema } from './rows/member-profiles.ts'
import { deliveryStatusSchema, messageRowSchema, storedMessageRowSchema } from './rows/messages.ts'
import { rowView } from './rows/row-view.ts'
import {
  workspaceMemberRowSchema,
  workspaceRowSchema,
  workspaceSendingStatusSchema,
} from './rows/workspaces.ts'

/**
 * What the desktop knows about the inbox, as it crosses IPC. Dates are ISO-8601
 * strings. Whatever comes from a database row is typed by its column (src/shared/rows).
 */

export { conversationStatuses }
export const conversationStatusSchema = contactRowSchema.shape.conversation_status
export type ConversationStatus = z.infer<typeof conversationStatusSchema>

export const conversationFilterSchema = z.enum([...conversationStatuses, 'All'])
export type ConversationFilter = z.infer<typeof conversationFilterSchema>

/**
 * `queued` exists only on the desktop: written to the outbox, not yet accepted by
 * the relay. The database knows the rest.
 */
export const messageStatusSchema = z.enum(['queued', ...deliveryStatusSchema.options])
export type MessageStatus = z.infer<typeof messageStatusSchema>

export const e164Schema = z
  .string()
  .regex(/^\+[1-9][0-9]{1,14}$/, 'must be an E.164 number such as +15551234567')

const isoDate = z.string().min(1)
const uuid = z.uuid()

export const workspaceSchema = z.object({
  id: workspaceRowSchema.shape.id,
  name: workspaceRowSchema.shape.name,
  role: workspaceMemberRowSchema.shape.role,
  /** False when the workspace has no Twilio number or configuration: the composer says why. */
  canSend: workspaceSendingStatusSchema.shape.is_configured,
  sendingNumber: workspaceSendingStatusSchema.shape.sending_number,
  segmentLimit: workspaceRowSchema.shape.sms_segment_limit,
  unreadTotal: z.number().int().nonnegative(),
})
export type Workspace = z.infer<typeof workspaceSchema>

/** A conversation is the contacts row the desktop syncs (every column but created_at). */
export const conversationView = rowView(storedContactRowSchema, {
  id: 'id',
  workspaceId: 'workspace_id',
  phoneNumber: 'phone_number',
  name: 'name',
  email: 'email',
  status: 'conversation_status',
  unreadCount: 'unread_count',
  lastMessageAt: 'last_message_at',
  lastMessagePreview: 'last_message_preview',
  updatedAt: 'updated_at',
  assigneeId: 'assignee_id',
})
export const conversationSchema = conversationView.schema
export type Conversation = z.infer<typeof conversationSchema>

/** A message is the messages row the desktop shows; its status may also be the desktop's own `queued`. */
export const messageView = rowView(storedMessageRowSchema, {
  id: 'id',
  workspaceId: 'workspace_id',
  contactId: 'contact_id',
  direction: 'direction',
  content: 'content',
  status: 'status',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  createdBy: 'created_by',
  workspaceNumber: 'workspace_number',
})
export const messageSchema = messageView.schema.extend({ status: messageStatusSchema })
export type Message = z.infer<typeof messageSchema>

/**
 * What a contact said and heard through one workspace number, from the cached thread.
 * `workspaceNumber` null: messages whose number is not known (written before the
 * database recorded it, or replies not yet accepted by the relay).
 */
export const contactActivitySchema = z.object({
  workspaceNumber: messageRowSchema.shape.workspace_number,
  messages: z.number().int().positive(),
  received: z.number().int().nonnegative(),
  firstAt: isoDate,
  lastAt: isoDate,
})
export type ContactActivity = z.infer<typeof contactActivitySchema>

/**
 * A reply the relay's collision guard refused (nothing stored or sent): it waits as a
 * `failed` message with errorCode `collision` until its author sends it anyway or takes
 * it back to edit. `arrived`: what came into the conversation after the newest message
 * its author had seen, oldest first.
 */
export const heldReplySchema = z.object({
  message: messageSchema,
  arrived: z.array(
    messageSchema.pick({ id: true, direction: true, content: true, createdBy: true, createdAt: true }),
  ),
})
export type HeldReply = z.infer<typeof heldReplySchema>

/**
 * Which conversations an inbox view holds by owner: the agent's own, nobody's, or
 * all. It narrows the status filter, never replaces it.
 */
export const inboxViewSchema = z.enum(['mine', 'unassigned', 'all'])
export type InboxView = z.infer<typeof inboxViewSchema>

/** Per inbox view: how many conversations it holds and their unread messages. */
export const inboxViewCountsSchema = z.record(
  inboxViewSchema,
  z.object({ conversations: z.number().int().nonnegative(), unread: z.number().int().nonnegative() }),
)
export type InboxViewCounts = z.infer<typeof inboxViewCountsSchema>

/**
 * A member of a workspace as the team sees them: the profile row under the app's
 * names, with the membership's role beside it.
 */
export const memberView = rowView(memberProfileRowSchema, {
  workspaceId: 'workspace_id',
  userId: 'user_id',
  displayName: 'display_name',
  avatarColor: 'avatar_color',
  updatedAt: 'updated_at',
})
export const memberSchema = memberView.schema.extend({ role: workspaceMemberRowSchema.shape.role })
export type Member = z.infer<typeof memberSchema>

/** A teammate with a conversation open, as presence shows them; `typing` while they write in it. */
export const presentMemberSchema = memberView.schema
  .pick({ userId: true, displayName: true, avatarColor: true })
  .extend({ typing: z.boolean() })
export type PresentMember = z.infer<typeof presentMemberSchema>

/** Who else has which conversation of a workspace open: the whole picture, each time it changes. */
export const workspacePresenceSchema = z.object({
  workspaceId: uuid,
  conversations: z.array(z.object({ contactId: uuid, members: z.array(presentMemberSchema).min(1) })),
})
export type WorkspacePresence = z.infer<typeof workspacePresenceSchema>

export const connectionStateSchema = z.object({
  status: z.enum(['connecting', 'live', 'reconnecting', 'offline']),
  /** When the cache last matched the server (ISO), for "Showing conversations cached at …". */
  lastSyncAt: isoDate.nullable(),
})
export type ConnectionState = z.infer<typeof connectionStateSchema>

const syncCountSchema = z.object({
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
})

/**
 * How far a workspace's first sync has come: conversations first, then their messages.
 * `done` never goes back and never passes `total`; the last report has both equal.
 */
export const syncProgressSchema = z.object({
  workspaceId: uuid,
  conversations: syncCountSchema,
  messages: syncCountSchema,
})
export type SyncProgress = z.infer<typeof syncProgressSchema>

/**
 * The embedded server's child process as the app supervises it: restarted on the
 * same port and data after a crash, `stopped` after the crash limit or a failed
 * start, with what to tell the agent. `none` when the app runs against another backend.
 */
export const embeddedServerStateSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('none') }),
  z.object({ status: z.literal('running') }),
  z.object({ status: z.literal('restarting') }),
  z.object({ status: z.literal('stopped'), problem: z.string() }),
])
export type EmbeddedServerState = z.infer<typeof embeddedServerStateSchema>

export const sessionStateSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('signed-out'),
    /** Why the agent must sign in (again), when there is a reason worth telling. */
    reason: z.string().nullable(),
  }),
  z.object({
    status: z.literal('signed-in'),
    user: z.object({ id: uuid, email: z.string() }),
    /** `memory` when the OS has no secure storage: the session ends with the app. */
    persistence: z.enum(['encrypted', 'memory']),
    persistenceWarning: z.string().nullable(),
  }),
])
export type SessionState = z.infer<typeof sessionStateSchema>

export const backendSettingsSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('embedded') }),
  z.object({
    mode: z.literal('custom'),
    supabaseUrl: z.url({ protocol: /^https?$/ }),
    publishableKey: z.string().min(20),
    relayUrl: z.url({ protocol: /^https?$/ }),
  }),
])
export type BackendSettings = z.infer<typeof backendSettingsSchema>

/** Which conversations notify: every one, or only the agent's own and nobody's (absent: every one). */
export const notificationScopeSchema = z.enum(['all', 'mineAndUnassigned'])
export type NotificationScope = z.infer<typeof notificationScopeSchema>

export const notificationSettingsSchema = z.object({
  enabled: z.boolean(),
  sound: z.boolean(),
  scope: notificationScopeSchema.optional(),
})
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>

/** The offline cache's retention choices in Settings, in days. */
export const cacheRetentionChoices = [30, 90, 365] as const
export const defaultCacheRetentionDays = 90

export const settingsSchema = z.object({
  backend: backendSettingsSchema,
  /** Per workspace id; a workspace not listed notifies, with sound. */
  notifications: z.record(z.string(), notificationSettingsSchema),
  /**
   * Days of messages the offline cache keeps; unread messages and replies not yet
   * sent are kept whatever their age. Settings files from before it get the default.
   */
  cacheRetentionDays: z.number().int().min(7).max(3650).default(defaultCacheRetentionDays),
})
export type Settings = z.infer<typeof settingsSchema>

export const badgeSchema = z.object({
  total: z.number().int().nonnegative(),
  perWorkspace: z.record(z.string(), z.number().int().nonnegative()),
})
export type Badge = z.infer<typeof badgeSchema>

export const desktopNotificationSchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  workspaceId: uuid,
  /** Null for a coalesced burst summary: clicking it opens the workspace. */
  contactId: uuid.nullable(),
  sound: z.boolean(),
})
export type DesktopNotification = z.infer<typeof desktopNotificationSchema>

export const searchHitSchema = z.object({
  conversation: conversationSchema,
  /** Where the query matched, with the matched ranges to highlight. */
  field: z.enum(['name', 'phone', 'message', 'note']),
  snippet: z.string(),
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
  messageId: uuid.nullable(),
  /** The internal note that matched, for a `note` hit. */
  noteId: uuid.nullable(),
})
export type SearchHit = z.infer<typeof searchHitSchema>
