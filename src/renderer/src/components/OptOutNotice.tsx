import type { ConsentState } from '../../../shared/consent-and-numbers.ts'
import type { Conversation } from '../../../shared/domain.ts'
import { formatPhone } from '../../../shared/phone.ts'
import { homeRegionFor } from '../lib/phone-display.ts'
import { useSenders } from '../stores/senders.ts'
import { displayName } from './ConversationList.tsx'

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })

/** Why a reply cannot leave from this number: who opted out, how, and how they opt back in. */
export function optOutReason(optOut: ConsentState, conversation: Conversation, from: string): string {
  const who = displayName(conversation)
  const number = formatPhone(from, homeRegionFor(conversation.workspaceId))
  const on = dateFormat.format(new Date(optOut.changedAt))
  const what =
    optOut.source === 'twilio_error_21610'
      ? `Twilio reports that ${who} unsubscribed from ${number} on ${on}`
      : `${who} texted ${(optOut.keyword ?? 'STOP').toUpperCase()} to ${number} on ${on}`
  return `${what}; they must text START to receive messages.`
}

/** The composer's bar while the customer has opted out of the number it would send from. */
export function OptOutNotice(props: { optOut: ConsentState; conversation: Conversation; from: string }) {
  return (
    <p className="opt-out-notice" role="note" data-testid="composer-opted-out">
      {optOutReason(props.optOut, props.conversation, props.from)}
    </p>
  )
}

const noConsent: ConsentState[] = []

/** The thread header's mark while the customer has opted out of any of the workspace's senders. */
export function OptOutMark({ conversation }: { conversation: Conversation }) {
  const states = useSenders((state) => state.consent[conversation.id] ?? noConsent)
  const optedOut = states.filter((state) => state.optedOut)
  if (optedOut.length === 0) return null
  const senders = optedOut.map((state) =>
    state.sender.startsWith('+')
      ? formatPhone(state.sender, homeRegionFor(conversation.workspaceId))
      : 'a Messaging Service',
  )
  return (
    <span
      className="opt-out-mark small"
      data-testid="opted-out-mark"
      title={`Opted out of ${senders.join(', ')}`}
    >
      Opted out
    </span>
  )
}
