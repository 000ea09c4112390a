import { useState } from 'react'
import type { AppError } from '../../../../shared/errors.ts'
import { formatPhone } from '../../../../shared/phone.ts'
import type { AccountNumber, AccountNumbersResponse } from '../../../../shared/relay-contract.ts'
import { call } from '../../api/api.ts'

/**
 * The Twilio account's numbers: which the workspace imported, where each one's SMS
 * webhook points (shown before any change), and the actions that import a number or
 * point its webhooks at the relay.
 */
const heldLabels: Record<AccountNumber['held_by'], string> = {
  this_workspace: 'Imported',
  another_workspace: 'Used by another workspace',
  none: 'Not imported',
}

export function NumbersTable({
  workspaceId,
  listing,
  onListing,
  onError,
}: {
  workspaceId: string
  listing: AccountNumbersResponse
  onListing: (listing: AccountNumbersResponse) => void
  onError: (error: AppError) => void
}) {
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set())
  const [confirming, setConfirming] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const confirmingNumber = listing.numbers.find((number) => number.sid === confirming)
  const services = new Map(listing.messaging_services.map((service) => [service.sid, service.friendly_name]))

  const importChosen = async () => {
    setBusy(true)
    const answer = await call('twilio.import', { workspaceId, numberSids: [...chosen] })
    setBusy(false)
    if (!answer.ok) return onError(answer.error)
    setDone(`Imported ${chosen.size} number${chosen.size === 1 ? '' : 's'}.`)
    setChosen(new Set())
    onListing(answer.value)
  }

  const configure = async (number: AccountNumber) => {
    setBusy(true)
    const answer = await call('twilio.configure', { workspaceId, numberSid: number.sid })
    setBusy(false)
    setConfirming(null)
    if (!answer.ok) return onError(answer.error)
    setDone(
      `${formatPhone(number.phone_number, null)} now sends its texts to this relay (it was ${answer.value.before.sms_url ?? 'not set'}).`,
    )
    onListing({
      ...listing,
      numbers: listing.numbers.map((entry) => (entry.sid === number.sid ? answer.value.number : entry)),
    })
  }

  return (
    <section className="settings-section" aria-labelledby="admin-numbers-title">
      <h3 id="admin-numbers-title">Numbers</h3>
      <p className="hint">
        Texts reach the inbox when a number is imported and its SMS webhook is{' '}
        <code>{listing.relay_sms_url}</code>.
      </p>
      {done && (
        <p className="twilio-done" role="status">
          {done}
        </p>
      )}
      {listing.numbers.length === 0 ? (
        <p>This Twilio account has no phone numbers yet.</p>
      ) : (
        <table className="notify-table admin-table twilio-numbers">
          <thead>
            <tr>
              <th scope="col" className="twilio-number-column">
                Number
              </th>
              <th scope="col">SMS webhook</th>
              <th scope="col" className="twilio-held-column">
                In this workspace
              </th>
            </tr>
          </thead>
          <tbody>
            {listing.numbers.map((number) => {
              const shown = formatPhone(number.phone_number, null)
              return (
                <tr key={number.sid}>
                  <th scope="row">
                    {number.held_by === 'none' ? (
                      <label className="twilio-choice">
                        <input
                          type="checkbox"
                          checked={chosen.has(number.sid)}
                          onChange={(event) => {
                            const next = new Set(chosen)
                            if (event.target.checked) next.add(number.sid)
                            else next.delete(number.sid)
                            setChosen(next)
                          }}
                        />
                        {shown}
                      </label>
                    ) : (
                      <span>{shown}</span>
                    )}
                    {number.friendly_name && number.friendly_name !== number.phone_number && (
                      <div className="twilio-muted">{number.friendly_name}</div>
                    )}
                    {number.messaging_service_sid && (
                      <div className="twilio-muted">
                        Messaging Service{' '}
                        {services.get(number.messaging_service_sid) ?? number.messaging_service_sid}
                      </div>
                    )}
                  </th>
                  <td>
                    <WebhookCell number={number} />
                  </td>
                  <td>
                    {heldLabels[number.held_by]}
                    {number.held_by === 'this_workspace' && number.webhook !== 'relay' && (
                      <div className="twilio-configure">
                        <button
                          type="button"
                          className="button"
                          aria-label={`Configure ${shown}`}
                          aria-expanded={confirming === number.sid}
                          onClick={() => setConfirming(number.sid)}
                        >
                          Configure
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {confirmingNumber && (
        <div className="twilio-confirm" role="group" aria-labelledby="twilio-confirm-title">
          <h4 id="twilio-confirm-title">Configure {formatPhone(confirmingNumber.phone_number, null)}</h4>
          <dl>
            <dt>SMS webhook now</dt>
            <dd>
              <code>{confirmingNumber.sms_url ?? 'not set'}</code>
            </dd>
            <dt>Will be</dt>
            <dd>
              <code>{listing.relay_sms_url}</code>
            </dd>
            <dt>Status callback now</dt>
            <dd>
              <code>{confirmingNumber.status_callback ?? 'not set'}</code>
            </dd>
            <dt>Will be</dt>
            <dd>
              <code>{listing.relay_status_callback}</code>
            </dd>
          </dl>
          <div className="row-actions">
            <button type="button" className="button ghost" onClick={() => setConfirming(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button primary"
              disabled={busy}
              onClick={() => void configure(confirmingNumber)}
            >
              Point at the relay
            </button>
          </div>
        </div>
      )}
      <div className="row-actions">
        <button
          type="button"
          className="button primary"
          disabled={busy || chosen.size === 0}
          onClick={() => void importChosen()}
        >
          Import selected
        </button>
      </div>
    </section>
  )
}

function WebhookCell({ number }: { number: AccountNumber }) {
  if (number.webhook === 'relay') return <span className="twilio-ok">This relay</span>
  if (number.webhook === 'unset') return <span className="twilio-muted">Not set</span>
  return (
    <span className="twilio-elsewhere">
      Points elsewhere: <code>{number.sms_url}</code>
    </span>
  )
}
