import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

export const consentKindSchema = z.enum(['opt_out', 'opt_in', 'help'])
export type ConsentKind = z.infer<typeof consentKindSchema>

export const consentSourceSchema = z.enum(['inbound', 'twilio_error_21610'])

/**
 * public.consent_events: what a customer said about being texted by one sender (a
 * workspace number, or the Messaging Service it belongs to). Append-only; only the
 * relay writes it.
 */
export const consentEventRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  contact_id: uuidColumn,
  sender: z.string(),
  kind: consentKindSchema,
  keyword: z.string().nullable(),
  source: consentSourceSchema,
  message_id: uuidColumn.nullable(),
  at: timestampColumn,
})
export type ConsentEventRow = z.infer<typeof consentEventRowSchema>

/** public.consent_states: where the newest opt-out or opt-in left a (contact, sender) pair. */
export const consentStateRowSchema = z.object({
  workspace_id: uuidColumn,
  contact_id: uuidColumn,
  sender: z.string(),
  opted_out: z.boolean(),
  event_id: uuidColumn,
  changed_at: timestampColumn,
  updated_at: timestampColumn,
})
export type ConsentStateRow = z.infer<typeof consentStateRowSchema>
