import type { SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import { relayMessageSchema, type MessageStatus, type RelayMessage } from '../src/shared/relay-contract.ts'
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

const messageColumns =
  'id, workspace_id, contact_id, content, direction, status, twilio_sid, error_code, error_message, created_by, created_at, updated_at'

const outboundRowSchema = relayMessageSchema
const messageRefSchema = z.object({ id: z.uuid(), workspace_id: z.uuid() })
const outboundRefSchema = messageRefSchema.extend({ twilio_sid: z.string().nullable() })
const contactSchema = z.object({ id: z.uuid(), phone_number: z.string() })
const configSchema = z.object({
  account_sid: z.string(),
  auth_token: z.string(),
  is_configured: z.boolean().nullable(),
})
const numberSchema = z.object({ workspace_id: z.uuid(), phone_number: z.string() })
const idSchema = z.object({ id: z.uuid() })

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
}

export interface OutboundInsert {
  id: string
  workspace_id: string
  contact_id: string
  content: string
  created_by: string
}

export interface InboundInsert {
  workspace_id: string
  contact_id: string
  content: string
  twilio_sid: string
  message_type: 'sms' | 'mms'
}

export function createStore(supabase: SupabaseClient) {
  return {
    async isMember(workspaceId: string, userId: string): Promise<boolean> {
      const result = await supabase
        .from('workspace_members')
        .select('id')
        .eq('workspace_id', workspaceId)
        .eq('user_id', userId)
        .maybeSingle()
      return unwrap('membership lookup', result, idSchema.nullable()) !== null
    },

    async contact(workspaceId: string, contactId: string) {
      const result = await supabase
        .from('contacts')
        .select('id, phone_number')
        .eq('id', contactId)
        .eq('workspace_id', workspaceId)
        .maybeSingle()
      return unwrap('contact lookup', result, contactSchema.nullable())
    },

    /** The workspace's Twilio account and its first number, or null when it cannot send. */
    async sendingConfig(workspaceId: string): Promise<SendingConfig | null> {
      const [credentials, result] = await Promise.all([
        this.credentials(workspaceId),
        supabase
          .from('twilio_numbers')
          .select('workspace_id, phone_number')
          .eq('workspace_id', workspaceId)
          .order('created_at', { ascending: true })
          .order('id', { ascending: true })
          .limit(1),
      ])
      if (!credentials) return null
      const number = unwrap('sending number lookup', result, z.array(numberSchema))[0]
      return number ? { credentials, from: number.phone_number } : null
    },

    async credentials(workspaceId: string): Promise<TwilioCredentials | null> {
      const result = await supabase
        .from('workspace_twilio_config')
        .select('account_sid, auth_token, is_configured')
        .eq('workspace_id', workspaceId)
        .maybeSingle()
      const config = unwrap('Twilio config lookup', result, configSchema.nullable())
      return config?.is_configured ? { accountSid: config.account_sid, authToken: config.auth_token } : null
    },

    async numberOwner(phoneNumber: string): Promise<string | null> {
      const result = await supabase
        .from('twilio_numbers')
        .select('workspace_id, phone_number')
        .eq('phone_number', phoneNumber)
        .maybeSingle()
      return unwrap('number lookup', result, numberSchema.nullable())?.workspace_id ?? null
    },

    /** Inserts the pending outbound message; null when a message with this id already exists. */
    async insertOutbound(row: OutboundInsert): Promise<RelayMessage | null> {
      const result = await supabase
        .from('messages')
        .upsert(
          { ...row, direction: 'outbound', status: 'pending', message_type: 'sms' },
          { onConflict: 'id', ignoreDuplicates: true },
        )
        .select(messageColumns)
      return unwrap('message insert', result, z.array(outboundRowSchema))[0] ?? null
    },

    async message(id: string): Promise<unknown> {
      const result = await supabase.from('messages').select(messageColumns).eq('id', id).maybeSingle()
      if (result.error) throw new StoreError('message lookup', result.error)
      return result.data
    },

    /**
     * Claims a failed message that Twilio never accepted for another send. Only
     * one of several concurrent retries gets the row back.
     */
    async reopenFailed(id: string): Promise<RelayMessage | null> {
      const result = await supabase
        .from('messages')
        .update({ status: 'pending' })
        .eq('id', id)
        .eq('status', 'failed')
        .is('twilio_sid', null)
        .select(messageColumns)
      return unwrap('message retry', result, z.array(outboundRowSchema))[0] ?? null
    },

    async recordSend(
      id: string,
      patch: {
        twilio_sid: string | null
        status: MessageStatus
        error_code: string | null
        error_message: string | null
      },
    ): Promise<RelayMessage> {
      const result = await supabase
        .from('messages')
        .update(patch)
        .eq('id', id)
        .select(messageColumns)
        .single()
      return unwrap('send result update', result, outboundRowSchema)
    },

    /** The contact for this number, created on its first text. Most texts come from known contacts, so look first. */
    async upsertContact(workspaceId: string, phoneNumber: string): Promise<string> {
      const find = async () => {
        const existing = await supabase
          .from('contacts')
          .select('id')
          .eq('workspace_id', workspaceId)
          .eq('phone_number', phoneNumber)
          .maybeSingle()
        return unwrap('contact lookup', existing, idSchema.nullable())?.id
      }
      const known = await find()
      if (known) return known
      const inserted = await supabase
        .from('contacts')
        .upsert(
          { workspace_id: workspaceId, phone_number: phoneNumber },
          { onConflict: 'phone_number,workspace_id', ignoreDuplicates: true },
        )
        .select('id')
      // Empty when a concurrent text from the same number created it first.
      const created = unwrap('contact upsert', inserted, z.array(idSchema))[0]?.id ?? (await find())
      if (!created)
        throw new StoreError('contact upsert', { message: 'the contact vanished after a conflicting insert' })
      return created
    },

    /** True when this call stored the message, false when Twilio's retry found it already stored. */
    async insertInbound(row: InboundInsert): Promise<boolean> {
      const result = await supabase
        .from('messages')
        .upsert(
          { ...row, direction: 'inbound', status: 'delivered' },
          { onConflict: 'twilio_sid', ignoreDuplicates: true },
        )
        .select('id')
      return unwrap('inbound insert', result, z.array(idSchema)).length > 0
    },

    async messageBySid(sid: string) {
      const result = await supabase
        .from('messages')
        .select('id, workspace_id')
        .eq('twilio_sid', sid)
        .maybeSingle()
      return unwrap('message lookup by SID', result, messageRefSchema.nullable())
    },

    /** An outbound message and the SID it is bound to, if any yet. */
    async outboundRef(id: string) {
      const result = await supabase
        .from('messages')
        .select('id, workspace_id, twilio_sid')
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
    async applyStatus(
      target: { sid: string; messageId?: string },
      patch: { status: MessageStatus; error_code?: string | null; error_message?: string | null },
    ): Promise<void> {
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
