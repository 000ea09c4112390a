import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

/** public.twilio_numbers: the numbers a workspace sends from and receives on. */
export const twilioNumberRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  phone_number: z.string(),
  twilio_sid: z.string(),
  friendly_name: z.string().nullable(),
  capabilities: z.json().nullable(),
  created_at: timestampColumn.nullable(),
  updated_at: timestampColumn.nullable(),
  /** The Messaging Service the number belongs to, if any: an opt-out then covers the whole service. */
  messaging_service_sid: z.string().nullable(),
})
export type TwilioNumberRow = z.infer<typeof twilioNumberRowSchema>

/** public.workspace_twilio_config: a workspace's Twilio account. Only the relay (service role) reads it. */
export const workspaceTwilioConfigRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  account_sid: z.string(),
  auth_token: z.string(),
  /** An API key of the account (SK…), which the relay's REST calls use when set; null: the auth token. */
  api_key_sid: z.string().nullable(),
  api_key_secret: z.string().nullable(),
  webhook_url: z.string().nullable(),
  webhook_type: z.enum(['global', 'per-number']).nullable(),
  is_configured: z.boolean().nullable(),
  created_at: timestampColumn.nullable(),
  updated_at: timestampColumn.nullable(),
})
export type WorkspaceTwilioConfigRow = z.infer<typeof workspaceTwilioConfigRowSchema>
