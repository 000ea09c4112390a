import { z } from 'zod'
import { filledByDatabase, timestampColumn, uuidColumn } from './columns.ts'

/** The statuses the database knows: a message moves forward through them, never back. */
export const deliveryStatusSchema = z.enum(['pending', 'sent', 'delivered', 'failed'])
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>

export const messageDirectionSchema = z.enum(['inbound', 'outbound'])

/** public.messages, except `embedding` (see the catalog test's list of omitted columns). */
export const messageRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  contact_id: uuidColumn,
  content: z.string(),
  message_type: z.string().nullable(),
  sentiment: z.number().min(-1).max(1).nullable(),
  twilio_sid: z.string().nullable(),
  status: deliveryStatusSchema.nullable(),
  created_at: timestampColumn.nullable(),
  updated_at: timestampColumn.nullable(),
  created_by: uuidColumn.nullable(),
  direction: messageDirectionSchema,
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  /** The workspace number an inbound text reached, or the one a reply left from. */
  workspace_number: z.string().nullable(),
})
export type MessageRow = z.infer<typeof messageRowSchema>

/**
 * status, created_at and updated_at are nullable (the seed's columns), but each has
 * a default and nothing writes null into them; the touch trigger also sets updated_at.
 */
export const storedMessageRowSchema = filledByDatabase(messageRowSchema, [
  'status',
  'created_at',
  'updated_at',
])
export type StoredMessageRow = z.infer<typeof storedMessageRowSchema>
