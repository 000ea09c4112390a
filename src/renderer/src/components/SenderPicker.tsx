import type { ConsentState, WorkspaceNumber } from '../../../shared/consent-and-numbers.ts'
import { optOutOf } from '../../../shared/consent-and-numbers.ts'
import { formatPhone } from '../../../shared/phone.ts'
import type { Conversation } from '../../../shared/domain.ts'
import { homeRegionFor } from '../lib/phone-display.ts'
import { useSenders } from '../stores/senders.ts'

/** A workspace number as the picker names it: its friendly name, if any, beside the number. */
export function numberLabel(
  number: string,
  workspaceId: string,
  numbers: readonly WorkspaceNumber[],
): string {
  const shown = formatPhone(number, homeRegionFor(workspaceId))
  const name = numbers.find((n) => n.phoneNumber === number)?.friendlyName
  return name ? `${name} · ${shown}` : shown
}

/**
 * Which of the workspace's numbers the reply leaves from. A native select: it takes the
 * keyboard (arrows, type-ahead) and screen readers as every select does. A number the
 * customer opted out of says so, so the agent can pick one they still accept texts from.
 */
export function SenderPicker(props: {
  conversation: Conversation
  numbers: readonly WorkspaceNumber[]
  consent: readonly ConsentState[]
  from: string | null
}) {
  const { conversation, numbers, consent, from } = props
  const pick = useSenders((state) => state.pick)
  if (!from) return null
  if (numbers.length < 2)
    return (
      <span className="sender-single muted small" data-testid="sender-from">
        From {numberLabel(from, conversation.workspaceId, numbers)}
      </span>
    )
  return (
    <label className="sender-picker small">
      <span className="muted">From</span>
      <select
        data-testid="sender-picker"
        value={from}
        onChange={(event) => pick(conversation.id, event.target.value)}
      >
        {numbers.map((number) => (
          <option key={number.id} value={number.phoneNumber}>
            {numberLabel(number.phoneNumber, conversation.workspaceId, numbers)}
            {optOutOf(consent, conversation.id, number.phoneNumber, numbers) ? ' (opted out)' : ''}
          </option>
        ))}
      </select>
    </label>
  )
}
