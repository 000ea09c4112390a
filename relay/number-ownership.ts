import twilio from 'twilio'
import { err, ok, type Result } from '../src/shared/errors.ts'
import type { NumberInsert } from './store.ts'
import type { TwilioAccountClient } from './twilio-client.ts'

/** How many matches to read: PhoneNumber is a partial match on Twilio, so a full number may list a few. */
const LIST_LIMIT = 20

/**
 * Asks Twilio (IncomingPhoneNumbers, with the workspace's own credentials) whether
 * the workspace's account owns `phoneNumber`, and answers the row to store for it:
 * null when the account does not own it. Twilio matches PhoneNumber partially, so
 * only an exact match proves anything.
 */
export async function provenNumber(
  client: TwilioAccountClient,
  workspaceId: string,
  phoneNumber: string,
): Promise<Result<NumberInsert | null>> {
  let listed
  try {
    listed = await client.incomingPhoneNumbers.list({ phoneNumber, limit: LIST_LIMIT })
  } catch (error) {
    if (error instanceof twilio.RestException && (error.status === 401 || error.status === 403)) {
      return err(
        'not_configured',
        "Twilio refused this workspace's account SID and auth token; reconnect the Twilio account.",
      )
    }
    return err('upstream', 'Twilio could not be asked whether the account owns this number; try again.')
  }
  const owned = listed.find((number) => number.phoneNumber === phoneNumber)
  if (!owned) return ok(null)
  return ok({
    workspace_id: workspaceId,
    phone_number: owned.phoneNumber,
    twilio_sid: owned.sid,
    friendly_name: owned.friendlyName ?? null,
    capabilities: owned.capabilities ?? null,
  })
}
