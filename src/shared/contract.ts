import { z } from 'zod'
import { appErrorSchema, type Result } from './errors.ts'
import {
  badgeSchema,
  connectionStateSchema,
  conversationFilterSchema,
  contactActivitySchema,
  conversationSchema,
  conversationStatusSchema,
  desktopNotificationSchema,
  e164Schema,
  embeddedServerStateSchema,
  heldReplySchema,
  inboxViewCountsSchema,
  inboxViewSchema,
  memberSchema,
  workspacePresenceSchema,
  messageSchema,
  searchHitSchema,
  sessionStateSchema,
  settingsSchema,
  syncProgressSchema,
  workspaceSchema,
} from './domain.ts'
import { noteSchema, savedReplySchema } from './notes-and-replies.ts'
import {
  accountNumbersResponseSchema,
  accountSidSchema,
  apiKeySidSchema,
  configureNumberResponseSchema,
  connectTwilioRequestSchema,
  numberSidSchema,
  twilioConnectionSchema,
} from './relay-contract.ts'
import { auditEntrySchema } from './audit-entry.ts'
import { pendingInvitationSchema } from './pending-invitation.ts'
import {
  changeMemberRoleRequestSchema,
  inviteMemberRequestSchema,
  memberActionResponseSchema,
} from './member-admin-contract.ts'
import { consentStateSchema, workspaceNumberSchema } from './consent-and-numbers.ts'
import { contactNameSchema } from './rows/contacts.ts'

/**
 * The one contract between the renderer and the main-process services. Both
 * transports (Electron IPC through the preload, and the browser shell's WebSocket)
 * carry exactly these messages; the schemas are the source of every type, and
 * both ends validate what they receive.
 */

const uuid = z.uuid()
const empty = z.object({}).strict()

/** Where the next page of the inbox starts: the last conversation of the page before (list order). */
export const conversationCursorSchema = z
  .object({ lastMessageAt: z.string().min(1).nullable(), id: uuid })
  .strict()
export type ConversationCursor = z.infer<typeof conversationCursorSchema>

export const requests = {
  'app.info': {
    request: empty,
    response: z.object({
      version: z.string(),
      embedded: z.boolean(),
      /** Offered on the sign-in screen of the embedded default only. */
      demoAccounts: z.array(z.object({ email: z.string(), password: z.string(), label: z.string() })),
    }),
  },
  'session.get': { request: empty, response: sessionStateSchema },
  'session.signIn': {
    request: z
      .object({ email: z.string().trim().min(3).max(320), password: z.string().min(1).max(1024) })
      .strict(),
    response: sessionStateSchema,
  },
  'session.signOut': { request: empty, response: sessionStateSchema },
  /** An invitee's first sign-in: the code from the invite email, and the password they choose. */
  'session.acceptInvite': {
    request: z
      .object({
        email: z.string().trim().min(3).max(320),
        code: z
          .string()
          .trim()
          .regex(/^\d{6,10}$/, 'The code is the 6 digits in the invite email.'),
        password: z.string().min(8).max(1024),
      })
      .strict(),
    response: sessionStateSchema,
  },
  'workspaces.list': { request: empty, response: z.array(workspaceSchema) },
  'conversations.list': {
    /** Without `limit`, every conversation; with it, one page, continued with `after`. */
    request: z
      .object({
        workspaceId: uuid,
        filter: conversationFilterSchema,
        limit: z.number().int().min(1).max(10_000).optional(),
        after: conversationCursorSchema.optional(),
        /** Whose conversations: the agent's, nobody's, or all (the default). */
        view: inboxViewSchema.optional(),
      })
      .strict(),
    /**
     * Newest activity first; `counts` and `views` always cover the whole workspace;
     * `hasMore` when a later page exists.
     */
    response: z.object({
      items: z.array(conversationSchema),
      counts: z.object({ Open: z.number(), Pending: z.number(), Done: z.number(), All: z.number() }),
      views: inboxViewCountsSchema,
      hasMore: z.boolean(),
    }),
  },
  'conversations.search': {
    request: z
      .object({
        query: z.string().max(200),
        workspaceId: uuid.nullable(),
        limit: z.number().int().min(1).max(200),
      })
      .strict(),
    response: z.array(searchHitSchema),
  },
  'conversations.setStatus': {
    request: z.object({ contactId: uuid, status: conversationStatusSchema }).strict(),
    response: conversationSchema,
  },
  'conversations.markRead': { request: z.object({ contactId: uuid }).strict(), response: z.null() },
  'conversations.markUnread': { request: z.object({ contactId: uuid }).strict(), response: z.null() },
  'thread.load': {
    request: z
      .object({ contactId: uuid, before: z.string().nullable(), limit: z.number().int().min(1).max(5000) })
      .strict(),
    /** Oldest first; `hasMore` when older messages exist before the first one. */
    response: z.object({ messages: z.array(messageSchema), hasMore: z.boolean() }),
  },
  'messages.send': {
    request: z
      .object({
        workspaceId: uuid,
        contactId: uuid,
        body: z.string().min(1).max(1600),
        /**
         * The collision guard: the newest message in the thread by anyone but the author when
         * they wrote (null: none). Absent, the reply is not guarded.
         */
        seenMessageId: uuid.nullable().optional(),
        /** The workspace number to send from (the conversation's sticky sender, or the agent's pick). Absent: the workspace's first. */
        fromNumber: e164Schema.optional(),
      })
      .strict(),
    response: messageSchema,
  },
  'messages.retry': { request: z.object({ messageId: uuid }).strict(), response: messageSchema },
  /** A reply the collision guard held back goes out after all. */
  'messages.sendAnyway': { request: z.object({ messageId: uuid }).strict(), response: messageSchema },
  /** A reply the collision guard held back is taken back to edit: it leaves the thread; its text is the answer's content. */
  'messages.withdraw': { request: z.object({ messageId: uuid }).strict(), response: messageSchema },
  'connection.get': { request: empty, response: connectionStateSchema },
  'embedded.get': { request: empty, response: embeddedServerStateSchema },
  /** "Restart backend": starts a stopped embedded server again, on its port and data. */
  'embedded.restart': { request: empty, response: embeddedServerStateSchema },
  'settings.get': { request: empty, response: settingsSchema },
  'settings.update': { request: settingsSchema, response: settingsSchema },
  /** What the agent is looking at, for the notification policy. */
  'view.report': {
    request: z.object({ focused: z.boolean(), openConversationId: uuid.nullable() }).strict(),
    response: z.null(),
  },
  /**
   * Presence: the conversation the agent has open (null: none), and `typing` while they
   * write in it. Sent on each change and, while typing, now and then (typing expires).
   */
  'presence.report': {
    request: z.object({ contactId: uuid.nullable(), typing: z.boolean() }).strict(),
    response: z.null(),
  },
  /** Who else has which conversation open, in every workspace, as last reported by presence.changed. */
  'presence.get': { request: empty, response: z.array(workspacePresenceSchema) },
  /** Embedded default only: a customer texts in through the Twilio double. */
  'dev.simulateInbound': {
    request: z.object({ workspaceId: uuid, from: e164Schema, body: z.string().min(1).max(1600) }).strict(),
    response: z.null(),
  },
  'shell.openExternal': {
    request: z.object({ url: z.url({ protocol: /^https?$/ }) }).strict(),
    response: z.null(),
  },
  /** A workspace's members by name, as cached: for names, avatars, the assignee menu and mentions. */
  'members.list': { request: z.object({ workspaceId: uuid }).strict(), response: z.array(memberSchema) },
  /** Gives the conversation to a member of its workspace, or to nobody (null); the server records who did it. */
  'conversations.assign': {
    request: z.object({ contactId: uuid, assigneeId: uuid.nullable() }).strict(),
    response: conversationSchema,
  },
  /** A conversation's internal notes, oldest first, from the cache. */
  'notes.list': { request: z.object({ contactId: uuid }).strict(), response: z.array(noteSchema) },
  /** Writes a note to the server under the agent's RLS: never through the outbox or the relay. */
  'notes.add': {
    request: z
      .object({
        contactId: uuid,
        body: noteSchema.shape.body,
        /** The members it @mentions, by user id. */
        mentions: noteSchema.shape.mentions,
      })
      .strict(),
    response: noteSchema,
  },
  /** The saved replies the agent may insert in a workspace: its team's and their own, by title. */
  'savedReplies.list': {
    request: z.object({ workspaceId: uuid }).strict(),
    response: z.array(savedReplySchema),
  },
  /**
   * A contact's consent per sender (a workspace number, or the Messaging Service it belongs
   * to), as cached. A sender not listed never received a keyword: replies from it may go.
   */
  'consent.list': { request: z.object({ contactId: uuid }).strict(), response: z.array(consentStateSchema) },
  /** The numbers a workspace holds, oldest first: the first is its default sender. */
  'numbers.list': {
    request: z.object({ workspaceId: uuid }).strict(),
    response: z.array(workspaceNumberSchema),
  },
  /**
   * Renames the conversation's contact under the agent's RLS; the database records who
   * renamed it from what to what. The number is not editable: it is the conversation's identity.
   */
  'contacts.rename': {
    request: z.object({ contactId: uuid, name: contactNameSchema }).strict(),
    response: conversationSchema,
  },
  /** Per workspace number the contact's messages went through: counts, first and last, from the cache. */
  'contacts.activity': {
    request: z.object({ contactId: uuid }).strict(),
    response: z.array(contactActivitySchema),
  },
  /** Owners and admins: the workspace's Twilio account as the relay holds it (never a secret); null before one is connected. */
  'twilio.connection': {
    request: z.object({ workspaceId: uuid }).strict(),
    response: twilioConnectionSchema.nullable(),
  },
  /** Connects the account once Twilio accepts the credentials: an API key (SID and secret), or the auth token (apiKeySid null). */
  'twilio.connect': {
    request: z
      .object({
        workspaceId: uuid,
        accountSid: accountSidSchema,
        apiKeySid: apiKeySidSchema.nullable(),
        secret: connectTwilioRequestSchema.shape.secret,
        authToken: connectTwilioRequestSchema.shape.auth_token,
      })
      .strict(),
    response: twilioConnectionSchema,
  },
  /** The account's numbers as Twilio lists them, where each one's webhook points, and who holds it. */
  'twilio.numbers': {
    request: z.object({ workspaceId: uuid }).strict(),
    response: accountNumbersResponseSchema,
  },
  /** Imports the chosen numbers of the account into the workspace; answers the numbers after. */
  'twilio.import': {
    request: z.object({ workspaceId: uuid, numberSids: z.array(numberSidSchema).min(1).max(100) }).strict(),
    response: accountNumbersResponseSchema,
  },
  /** Points an imported number's SMS webhook and status callback at the relay; answers what they were. */
  'twilio.configure': {
    request: z.object({ workspaceId: uuid, numberSid: numberSidSchema }).strict(),
    response: configureNumberResponseSchema,
  },
  /**
   * Starts a conversation with a number (issue 19): the workspace's conversation with it
   * when there is one, else the relay creates its contact, having checked that a text can
   * reach it (src/shared/phone.ts). The first message then goes as any reply does (messages.send).
   */
  'conversations.start': {
    request: z.object({ workspaceId: uuid, phoneNumber: e164Schema }).strict(),
    response: z.object({ conversation: conversationSchema, created: z.boolean() }),
  },
  /** Invites someone by email to the workspace (owners and admins, through the relay). */
  'members.invite': {
    request: z
      .object({
        workspaceId: uuid,
        email: inviteMemberRequestSchema.shape.email,
        role: inviteMemberRequestSchema.shape.role,
      })
      .strict(),
    response: memberActionResponseSchema,
  },
  /** Changes a member's role (owners and admins, through the relay; only owners touch owners). */
  'members.changeRole': {
    request: z
      .object({ workspaceId: uuid, userId: uuid, role: changeMemberRoleRequestSchema.shape.role })
      .strict(),
    response: memberActionResponseSchema,
  },
  /** Removes a member: RLS and Realtime stop their reads at once (through the relay). */
  'members.remove': {
    request: z.object({ workspaceId: uuid, userId: uuid }).strict(),
    response: memberActionResponseSchema,
  },
  /** A page of the workspace's audit trail, newest first; the next page starts below `before`. */
  'audit.list': {
    request: z
      .object({
        workspaceId: uuid,
        before: auditEntrySchema.pick({ createdAt: true, id: true }).nullable(),
        limit: z.number().int().min(1).max(200),
      })
      .strict(),
    response: z.object({ entries: z.array(auditEntrySchema), hasMore: z.boolean() }),
  },
  /** The workspace's pending invitations, newest first (owners and admins; RLS gives anyone else none). */
  'invitations.list': {
    request: z.object({ workspaceId: uuid }).strict(),
    response: z.array(pendingInvitationSchema),
  },
  /** Takes back a pending invitation, so its link joins nothing (owners and admins, through the relay). */
  'invitations.revoke': {
    request: z.object({ workspaceId: uuid, invitationId: uuid }).strict(),
    response: memberActionResponseSchema,
  },
} as const

export const events = {
  'session.changed': sessionStateSchema,
  'connection.changed': connectionStateSchema,
  'embedded.changed': embeddedServerStateSchema,
  'workspaces.changed': z.array(workspaceSchema),
  /** Conversations changed in the cache: one event per applied batch (a sync page, or a turn of live events). */
  'conversations.upserted': z.array(conversationSchema).min(1),
  /** Messages changed in the cache, batched as conversations are. */
  'messages.upserted': z.array(messageSchema).min(1),
  /** The collision guard held a reply back (after its `failed` upsert): what arrived since its author looked. */
  'messages.held': heldReplySchema,
  /** Who else has which conversation of a workspace open, and who is typing: the whole picture. */
  'presence.changed': workspacePresenceSchema,
  /** A workspace's first sync moved on: once per applied page. */
  'sync.progress': syncProgressSchema,
  'badge.changed': badgeSchema,
  /** In Electron the main process shows it natively; the browser shell's page shows it. */
  'notification.show': desktopNotificationSchema,
  /** A notification was clicked: open this conversation (or the workspace, for a summary). */
  'navigation.open': z.object({ workspaceId: uuid, contactId: uuid.nullable() }),
  /** A workspace's members changed: the whole list, by name. */
  'members.changed': z.object({ workspaceId: uuid, members: z.array(memberSchema) }),
  /** Internal notes changed in the cache, batched as messages are. */
  'notes.upserted': z.array(noteSchema).min(1),
  /** Consent states changed in the cache (a STOP, a START, a 21610), batched as messages are. */
  'consent.changed': z.array(consentStateSchema).min(1),
  /** The numbers a workspace holds changed: the whole list. */
  'numbers.changed': z.object({ workspaceId: uuid, numbers: z.array(workspaceNumberSchema) }),
  /** Internal notes deleted on the server left the cache (a live DELETE, or the sync's id check). */
  'notes.deleted': z.array(noteSchema.pick({ id: true, contactId: true })).min(1),
} as const

export type RequestChannel = keyof typeof requests
export type EventChannel = keyof typeof events
export type RequestOf<C extends RequestChannel> = z.infer<(typeof requests)[C]['request']>
export type ResponseOf<C extends RequestChannel> = z.infer<(typeof requests)[C]['response']>
export type EventOf<E extends EventChannel> = z.infer<(typeof events)[E]>

export const requestChannels = Object.keys(requests) as RequestChannel[]
export const eventChannels = Object.keys(events) as EventChannel[]

export const isRequestChannel = (value: unknown): value is RequestChannel =>
  typeof value === 'string' && Object.hasOwn(requests, value)
export const isEventChannel = (value: unknown): value is EventChannel =>
  typeof value === 'string' && Object.hasOwn(events, value)

/** The wire envelope of a reply, on either transport. */
export const replySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: appErrorSchema }),
])

/** The API object the renderer receives, whichever transport carries it. */
export interface AppApi {
  request<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<Result<ResponseOf<C>>>
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void
}

/** Electron IPC channel names used by the preload and the Electron layer. */
export const ipcChannels = { request: 'app:request', event: 'app:event' } as const
