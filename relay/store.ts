import type { SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import {
  arrivedMessageSchema,
  relayMessageSchema,
  relayNumberSchema,
  type ArrivedMessage,
  type RelayMessage,
  type RelayNumber,
} from '../src/shared/relay-contract.ts'
import { conversationView } from '../src/shared/domain.ts'
import { selectList } from '../src/shared/rows/columns.ts'
import type { AuditAction } from '../src/shared/rows/audit-events.ts'
import { consentStateRowSchema, type ConsentEventRow } from '../src/shared/rows/consent.ts'
import { contactRowSchema } from '../src/shared/rows/contacts.ts'
import { messageRowSchema, type DeliveryStatus, type MessageRow } from '../src/shared/rows/messages.ts'
import { twilioNumberRowSchema, workspaceTwilioConfigRowSchema } from '../src/shared/rows/twilio.ts'
import { workspaceMemberRowSchema, type WorkspaceMemberRow } from '../src/shared/rows/workspaces.ts'
import type { RateDecision, RateLimit } from '../src/shared/rate-limit.ts'
import type { TwilioCredentials } from './twilio-client.ts'

/**
 * Every database read and write of the relay, through supabase-js as the service
 * role (RLS does not apply, so each query names its workspace itself).
 */
export class StoreError extends Error {
  override name = 'StoreError'
  readonly code: string | undefined

  constructor(operation: string, cause: { code?: string; message: string }) {
    super(`${operation} failed: ${cause.message}`)
    this.code = cause.code
  }
}

const messageColumns = selectList(relayMessageSchema)
const messageRefSchema = messageRowSchema.pick({ id: true, workspace_id: true })
const outboundRefSchema = messageRowSchema.pick({ id: true, workspace_id: true, twilio_sid: true })
const statusCheckSchema = outboundRefSchema.extend({ twilio_sid: z.string() })
const messageIdSchema = messageRowSchema.pick({ id: true })
const contactSchema = contactRowSchema.pick({ id: true, phone_number: true })
const storedContactSchema = conversationView.row
const storedContactColumns = selectList(storedContactSchema)
/** A contact as the relay hands it to the desktop: the conversation row it syncs. */
export type StoredContact = z.infer<typeof storedContactSchema>
const memberRoleSchema = workspaceMemberRowSchema.pick({ role: true })
const configSchema = workspaceTwilioConfigRowSchema.pick({
  account_sid: true,
  auth_token: true,
  api_key_sid: true,
  api_key_secret: true,
  is_configured: true,
})
const heldNumberSchema = twilioNumberRowSchema.pick({ id: true, workspace_id: true, phone_number: true })
const importedNumberSchema = twilioNumberRowSchema.pick({
  id: true,
  phone_number: true,
  messaging_service_sid: true,
})
const numberSchema = twilioNumberRowSchema.pick({ workspace_id: true, phone_number: true })
const sendingNumberSchema = twilioNumberRowSchema.pick({ phone_number: true, messaging_service_sid: true })
const optedOutSchema = consentStateRowSchema.pick({ opted_out: true })
const numberColumns = selectList(relayNumberSchema)

interface QueryResult {
  data: unknown
  error: { code?: string; message: string } | null
}

function unwrap<T>(operation: string, result: QueryResult, schema: z.ZodType<T>): T {
  if (result.error) throw new StoreError(operation, result.error)
  return schema.parse(result.data)
}

export interface SendingConfig {
  credentials: TwilioCredentials
  from: string
  /**
   * Who a customer's opt-out of `from` covers: the Messaging Service `from` belongs
   * to, when it belongs to one (Twilio blocks the whole service), else `from` itself.
   */
  consentSender: string
  /**
   * The Messaging Service `from` belongs to, sent with it so Twilio applies the
   * service's compliance (its A2P campaign, opt-out handling) to the reply; `from`
   * still names the number, so the conversation keeps its sender.
   */
  messagingServiceSid: string | null
}

/** A consent event as the relay records it; the database derives the pair's state. */
export type ConsentEventInsert = Pick<
  ConsentEventRow,
  'workspace_id' | 'contact_id' | 'sender' | 'kind' | 'keyword' | 'source' | 'message_id'
>

/** The outbound message as the relay first writes it: its author is the agent who sent it, from the number it leaves from. */
export type OutboundInsert = Pick<MessageRow, 'id' | 'workspace_id' | 'contact_id' | 'content'> & {
  created_by: NonNullable<MessageRow['created_by']>
  workspace_number: NonNullable<MessageRow['workspace_number']>
}

type MemberRole = WorkspaceMemberRow['role']

/** A number as Twilio describes it, for the workspace whose account owns it. */
export type NumberInsert = Omit<RelayNumber, 'id'>

const UNIQUE_VIOLATION = '23505'

/** The SQLSTATEs relay_insert_outbound raises (20261201100000_team_inbox.sql). */
const NEWER_MESSAGES_ARRIVED = 'RG001'
const ID_IS_A_NOTE = 'RG002'
const SEEN_MESSAGE_ELSEWHERE = 'RG003'

/** The collision guard of one reply: the newest message its author had seen (null: an empty thread). */
export interface ReplyGuard {
  seenMessageId: string | null
}

/** What inserting a reply came to. Only `inserted` wrote anything. */
export type OutboundInsertOutcome =
  | { kind: 'inserted'; message: RelayMessage }
  /** A message with this id is stored already (a repeated client_message_id): no guard applies. */
  | { kind: 'exists' }
  | { kind: 'collision'; arrived: ArrivedMessage[] }
  | { kind: 'note' }
  | { kind: 'seen_elsewhere' }

const arrivedListSchema = z.array(arrivedMessageSchema).min(1)

/** A customer's text as the webhook stores it, idempotent on its SID. */
export type InboundInsert = Pick<MessageRow, 'workspace_id' | 'contact_id' | 'content'> & {
  /** The workspace number the text reached. */
  workspace_number: NonNullable<MessageRow['workspace_number']>
  twilio_sid: NonNullable<MessageRow['twilio_sid']>
  message_type: 'sms' | 'mms'
}

/** What a send or a status callback changes on a message. */
type SendResult = Pick<MessageRow, 'twilio_sid' | 'error_code' | 'error_message'> & {
  status: DeliveryStatus
} & Partial<Pick<MessageRow, 'workspace_number'>>

/** What a Twilio status, from a callback or a fetch, changes on a message. */
export type StatusChange = Pick<SendResult, 'status'> &
  Partial<Pick<SendResult, 'error_code' | 'error_message'>>

export function createStore(supabase: SupabaseClient) {
  return {
    /** The user's role in the workspace; null when not a member. */
    async memberRole(workspaceId: string, userId: string): Promise<MemberRole | null> {
      const result = await supabase
        .from('workspace_members')
        .select(selectList(memberRoleSchema))
        .eq('workspace_id', workspaceId)
        .eq('user_id', userId)
        .maybeSingle()
      return unwrap('membership lookup', result, memberRoleSchema.nullable())?.role ?? null
    },

    async contact(workspaceId: string, contactId: string) {
      const result = await supabase
        .from('contacts')
        .select(selectList(contactSchema))
        .eq('id', contactId)
        .eq('workspace_id', workspaceId)
        .maybeSingle()
      return unwrap('contact lookup', result, contactSchema.nullable())
    },

    /**
     * The workspace's Twilio account and the number to send from: `fromNumber` when
     * given, else its first number. Null when it cannot send; `not_held` when the
     * workspace does not hold `fromNumber`.
     */
    async sendingConfig(
      workspaceId: string,
      fromNumber?: string,
    ): Promise<SendingConfig | null | 'not_held'> {
      let numbers = supabase
        .from('twilio_numbers')
        .select(selectList(sendingNumberSchema))
        .eq('workspace_id', workspaceId)
      if (fromNumber !== undefined) numbers = numbers.eq('phone_number', fromNumber)
      const [credentials, result] = await Promise.all([
        this.credentials(workspaceId),
        numbers.order('created_at', { ascending: true }).order('id', { ascending: true }).limit(1),
      ])
      const number = unwrap('sending number lookup', result, z.array(sendingNumberSchema))[0]
      if (fromNumber !== undefined && !number) return 'not_held'
      if (!credentials || !number) return null
      return {
        credentials,
        from: number.phone_number,
        consentSender: number.messaging_service_sid ?? number.phone_number,
        messagingServiceSid: number.messaging_service_sid,
      }
    },

    /** True when the contact opted out of texts from this sender (consentSender) and has not opted back in. */
    async optedOut(contactId: string, sender: string): Promise<boolean> {
      const result = await supabase
        .from('consent_states')
        .select(selectList(optedOutSchema))
        .eq('contact_id', contactId)
        .eq('sender', sender)
        .maybeSingle()
      return unwrap('consent lookup', result, optedOutSchema.nullable())?.opted_out ?? false
    },

    /** Records a consent event; a webhook Twilio repeats records its keyword once. */
    async recordConsent(event: ConsentEventInsert): Promise<void> {
      const result = await supabase.from('consent_events').insert(event)
      if (result.error?.code === UNIQUE_VIOLATION && event.source === 'inbound') return
      if (result.error) throw new StoreError('consent event insert', result.error)
    },

    /** The workspace number a number belongs to, as the sender its opt-outs cover (see SendingConfig). */
    async consentSender(phoneNumber: string): Promise<string> {
      const result = await supabase
        .from('twilio_numbers')
        .select(selectList(sendingNumberSchema))
        .eq('phone_number', phoneNumber)
        .maybeSingle()
      return (
        unwrap('number lookup', result, sendingNumberSchema.nullable())?.messaging_service_sid ?? phoneNumber
      )
    },

    async credentials(workspaceId: string): Promise<TwilioCredentials | null> {
      const result = await supabase
        .from('workspace_twilio_config')
        .select(selectList(configSchema))
        .eq('workspace_id', workspaceId)
        .maybeSingle()
      const config = unwrap('Twilio config lookup', result, configSchema.nullable())
      if (!config?.is_configured) return null
      const apiKey =
        config.api_key_sid && config.api_key_secret
          ? { sid: config.api_key_sid, secret: config.api_key_secret }
          : null
      return { accountSid: config.account_sid, authToken: config.auth_token, apiKey }
    },

    /** Stores the workspace's Twilio account once Twilio accepted it, recording `actorId` as who did it. */
    async saveTwilioConfig(
      workspaceId: string,
      actorId: string,
      credentials: TwilioCredentials,
    ): Promise<void> {
      const result = await supabase.rpc('relay_save_twilio_config', {
        workspace_id: workspaceId,
        actor_id: actorId,
        account_sid: credentials.accountSid,
        auth_token: credentials.authToken,
        api_key_sid: credentials.apiKey?.sid ?? null,
        api_key_secret: credentials.apiKey?.secret ?? null,
      })
      if (result.error) throw new StoreError('Twilio config save', result.error)
    },

    /** Which of these numbers a workspace holds, and which. */
    async heldNumbers(phoneNumbers: string[]) {
      const result = await supabase
        .from('twilio_numbers')
        .select(selectList(heldNumberSchema))
        .in('phone_number', phoneNumbers)
      return unwrap('held numbers lookup', result, z.array(heldNumberSchema))
    },

    /** The workspace's number with this Twilio SID, if it imported one. */
    async numberBySid(workspaceId: string, twilioSid: string) {
      const result = await supabase
        .from('twilio_numbers')
        .select(selectList(importedNumberSchema))
        .eq('workspace_id', workspaceId)
        .eq('twilio_sid', twilioSid)
        .maybeSingle()
      return unwrap('number lookup by SID', result, importedNumberSchema.nullable())
    },

    /** Imports a number Twilio listed on the workspace's account for `actorId`; false when some workspace holds it already. */
    async importNumber(row: NumberInsert & { messaging_service_sid: string | null }, actorId: string) {
      const result = await supabase.rpc('relay_import_number', {
        workspace_id: row.workspace_id,
        actor_id: actorId,
        phone_number: row.phone_number,
        twilio_sid: row.twilio_sid,
        friendly_name: row.friendly_name,
        capabilities: row.capabilities,
        messaging_service_sid: row.messaging_service_sid,
      })
      return unwrap('number import', result, z.uuid().nullable()) !== null
    },

    /** Records for `actorId` what the relay did at Twilio (audit_events; never a secret in `details`). */
    async audit(
      workspaceId: string,
      actorId: string,
      action: Extract<AuditAction, 'number.webhook_configured' | 'twilio.connection_refused'>,
      subjectId: string | null,
      details: Record<string, unknown>,
    ): Promise<void> {
      const result = await supabase.rpc('relay_audit', {
        workspace_id: workspaceId,
        actor_id: actorId,
        action,
        subject_id: subjectId,
        details,
      })
      if (result.error) throw new StoreError('audit', result.error)
    },

    /** Stores a number Twilio showed the workspace's account owns; null when some workspace has it already. */
    async insertNumber(row: NumberInsert): Promise<RelayNumber | null> {
      const result = await supabase.from('twilio_numbers').insert(row).select(numberColumns)
      if (result.error?.code === UNIQUE_VIOLATION) return null
      return unwrap('number insert', result, z.array(relayNumberSchema))[0] ?? null
    },

    async number(phoneNumber: string): Promise<RelayNumber | null> {
      const result = await supabase
        .from('twilio_numbers')
        .select(numberColumns)
        .eq('phone_number', phoneNumber)
        .maybeSingle()
      return unwrap('number lookup', result, relayNumberSchema.nullable())
    },

    async numberOwner(phoneNumber: string): Promise<string | null> {
      const result = await supabase
        .from('twilio_numbers')
        .select(selectList(numberSchema))
        .eq('phone_number', phoneNumber)
        .maybeSingle()
      return unwrap('number lookup', result, numberSchema.nullable())?.workspace_id ?? null
    },

    /**
     * Inserts the pending outbound message with this relay's lease on it, unless a
     * message with this id exists already, the id is a note's, or (with a guard) a
     * newer message arrived: the database decides in the insert's own transaction.
     */
    async insertOutbound(
      row: OutboundInsert,
      leaseMs: number,
      guard: ReplyGuard | null,
    ): Promise<OutboundInsertOutcome> {
      const result = await supabase
        .rpc('relay_insert_outbound', {
          message_id: row.id,
          workspace_id: row.workspace_id,
          contact_id: row.contact_id,
          content: row.content,
          created_by: row.created_by,
          lease_ms: leaseMs,
          guarded: guard !== null,
          seen_message_id: guard?.seenMessageId ?? null,
          from_number: row.workspace_number,
        })
        .select(messageColumns)
      switch (result.error?.code) {
        case NEWER_MESSAGES_ARRIVED:
          return { kind: 'collision', arrived: arrivedListSchema.parse(JSON.parse(result.error.details)) }
        case ID_IS_A_NOTE:
          return { kind: 'note' }
        case SEEN_MESSAGE_ELSEWHERE:
          return { kind: 'seen_elsewhere' }
      }
      const message = unwrap('message insert', result, z.array(relayMessageSchema))[0]
      return message ? { kind: 'inserted', message } : { kind: 'exists' }
    },

    /**
     * Takes a token from `bucket` in the database (relay_take_rate_token), so every relay
     * instance, and every restart of one, draws on the same allowance.
     */
    async takeRateToken(bucket: string, limit: RateLimit): Promise<RateDecision> {
      const result = await supabase.rpc('relay_take_rate_token', {
        bucket,
        burst: limit.burst,
        per_second: limit.perSecond,
      })
      const retryAfterSeconds = unwrap('rate limit', result, z.number().int().min(0))
      return retryAfterSeconds === 0 ? { allowed: true } : { allowed: false, retryAfterSeconds }
    },

    async message(id: string): Promise<unknown> {
      const result = await supabase.from('messages').select(messageColumns).eq('id', id).maybeSingle()
      if (result.error) throw new StoreError('message lookup', result.error)
      return result.data
    },

    async outbound(id: string): Promise<RelayMessage> {
      return relayMessageSchema.parse(await this.message(id))
    },

    /**
     * Takes the lease of a message without a SID: a pending one whose lease ran out, or
     * with `reopenFailed` a failed one, which goes back to pending. Of several
     * concurrent callers at most one gets true.
     */
    async claimSend(id: string, leaseMs: number, reopenFailed: boolean): Promise<boolean> {
      const result = await supabase.rpc('relay_claim_send', {
        message_id: id,
        lease_ms: leaseMs,
        reopen_failed: reopenFailed,
      })
      return unwrap('send claim', result, z.boolean())
    },

    /** Up to `limit` of the relay's sends left pending with no SID and no live lease, now leased to the caller. */
    async claimInDoubt(leaseMs: number, limit: number): Promise<RelayMessage[]> {
      const result = await supabase
        .rpc('relay_claim_in_doubt', { lease_ms: leaseMs, max_rows: limit })
        .select(messageColumns)
      return unwrap('in-doubt claim', result, z.array(relayMessageSchema))
    },

    /** Up to `limit` sent messages whose status has not moved for `staleMs`, leased for as long. */
    async claimStatusChecks(staleMs: number, maxAgeMs: number, limit: number) {
      const result = await supabase.rpc('relay_claim_status_checks', {
        stale_ms: staleMs,
        max_age_ms: maxAgeMs,
        max_rows: limit,
      })
      return unwrap('status check claim', result, z.array(statusCheckSchema))
    },

    async recordSend(id: string, patch: SendResult): Promise<RelayMessage> {
      const result = await supabase
        .from('messages')
        .update(patch)
        .eq('id', id)
        .select(messageColumns)
        .single()
      return unwrap('send result update', result, relayMessageSchema)
    },

    /**
     * The contact for this number: created on its first text, or when an agent starts a
     * conversation with it (under `newId`, the desktop's). Most texts come from known
     * contacts, so look first.
     */
    async upsertContact(
      workspaceId: string,
      phoneNumber: string,
      newId?: string,
    ): Promise<{ contact: StoredContact; created: boolean }> {
      const find = async () => {
        const existing = await supabase
          .from('contacts')
          .select(storedContactColumns)
          .eq('workspace_id', workspaceId)
          .eq('phone_number', phoneNumber)
          .maybeSingle()
        return unwrap('contact lookup', existing, storedContactSchema.nullable())
      }
      const known = await find()
      if (known) return { contact: known, created: false }
      const inserted = await supabase
        .from('contacts')
        .upsert(
          { workspace_id: workspaceId, phone_number: phoneNumber, ...(newId ? { id: newId } : {}) },
          { onConflict: 'phone_number,workspace_id', ignoreDuplicates: true },
        )
        .select(storedContactColumns)
      const created = unwrap('contact upsert', inserted, z.array(storedContactSchema))[0]
      if (created) return { contact: created, created: true }
      // A concurrent text (or start) from the same number created it first.
      const raced = await find()
      if (!raced)
        throw new StoreError('contact upsert', { message: 'the contact vanished after a conflicting insert' })
      return { contact: raced, created: false }
    },

    /** The stored message's id, and whether this call stored it (false: Twilio's retry found it stored). */
    async insertInbound(row: InboundInsert): Promise<{ id: string; created: boolean }> {
      const result = await supabase
        .from('messages')
        .upsert(
          { ...row, direction: 'inbound', status: 'delivered' },
          { onConflict: 'twilio_sid', ignoreDuplicates: true },
        )
        .select(selectList(messageIdSchema))
      const created = unwrap('inbound insert', result, z.array(messageIdSchema))[0]
      if (created) return { id: created.id, created: true }
      const stored = await this.messageBySid(row.twilio_sid)
      if (!stored)
        throw new StoreError('inbound insert', { message: 'the message vanished after a conflicting insert' })
      return { id: stored.id, created: false }
    },

    async messageBySid(sid: string) {
      const result = await supabase
        .from('messages')
        .select(selectList(messageRefSchema))
        .eq('twilio_sid', sid)
        .maybeSingle()
      return unwrap('message lookup by SID', result, messageRefSchema.nullable())
    },

    /** An outbound message and the SID it is bound to, if any yet. */
    async outboundRef(id: string) {
      const result = await supabase
        .from('messages')
        .select(selectList(outboundRefSchema))
        .eq('id', id)
        .eq('direction', 'outbound')
        .maybeSingle()
      return unwrap('outbound message lookup', result, outboundRefSchema.nullable())
    },

    /**
     * The database's trigger decides whether the status may move; a late or repeated callback changes nothing.
     * Given the message id, the callback may arrive before the send stored the SID: it binds the SID then,
     * unless the row already holds another one.
     */
    async applyStatus(target: { sid: string; messageId?: string }, patch: StatusChange): Promise<void> {
      const result =
        target.messageId === undefined
          ? await supabase.from('messages').update(patch).eq('twilio_sid', target.sid)
          : await supabase
              .from('messages')
              .update({ ...patch, twilio_sid: target.sid })
              .eq('id', target.messageId)
              .or(`twilio_sid.is.null,twilio_sid.eq.${target.sid}`)
      if (result.error) throw new StoreError('status update', result.error)
    },
  }
}

export type Store = ReturnType<typeof createStore>
