import type { z } from 'zod'
import { consentEventRowSchema, consentStateRowSchema } from './rows/consent.ts'
import { rowView } from './rows/row-view.ts'
import { twilioNumberRowSchema } from './rows/twilio.ts'

/**
 * A customer's consent per workspace number, and the numbers a workspace sends from,
 * as they cross IPC. The composer reads both to know whether a reply may leave from
 * the number it would use; the contact panel shows them per number.
 */

/** Where the newest opt-out or opt-in left one (contact, sender) pair; the sender is a number or a Messaging Service. */
export const consentStateView = rowView(consentStateRowSchema, {
  workspaceId: 'workspace_id',
  contactId: 'contact_id',
  sender: 'sender',
  optedOut: 'opted_out',
  eventId: 'event_id',
  changedAt: 'changed_at',
  updatedAt: 'updated_at',
})
/**
 * With what the deciding event says: the keyword the customer texted (null when Twilio's
 * 21610 told the relay), and its source. Both null while that event has not reached the
 * cache yet (Realtime sends it first, so only for a moment).
 */
export const consentStateSchema = consentStateView.schema.extend({
  keyword: consentEventRowSchema.shape.keyword,
  source: consentEventRowSchema.shape.source.nullable(),
})
export type ConsentState = z.infer<typeof consentStateSchema>

/** A number the workspace holds, which its agents may send from. */
export const workspaceNumberView = rowView(twilioNumberRowSchema, {
  id: 'id',
  workspaceId: 'workspace_id',
  phoneNumber: 'phone_number',
  friendlyName: 'friendly_name',
  messagingServiceSid: 'messaging_service_sid',
})
export const workspaceNumberSchema = workspaceNumberView.schema
export type WorkspaceNumber = z.infer<typeof workspaceNumberSchema>

/**
 * Who an opt-out of `phoneNumber` covers, as the relay records it: the Messaging
 * Service the number belongs to (Twilio blocks the whole service), else the number.
 */
export function consentSenderOf(phoneNumber: string, numbers: readonly WorkspaceNumber[]): string {
  return numbers.find((number) => number.phoneNumber === phoneNumber)?.messagingServiceSid ?? phoneNumber
}

/** The opt-out that stops a reply to `contactId` from `phoneNumber`, or null when it may go. */
export function optOutOf(
  states: readonly ConsentState[],
  contactId: string,
  phoneNumber: string,
  numbers: readonly WorkspaceNumber[],
): ConsentState | null {
  const sender = consentSenderOf(phoneNumber, numbers)
  return (
    states.find((state) => state.contactId === contactId && state.sender === sender && state.optedOut) ?? null
  )
}
