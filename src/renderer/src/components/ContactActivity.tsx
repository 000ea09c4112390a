import { useEffect, useState } from 'react'
import {
  consentSenderOf,
  type ConsentState,
  type WorkspaceNumber,
} from '../../../shared/consent-and-numbers.ts'
import type { ContactActivity as Activity, Conversation } from '../../../shared/domain.ts'
import { call, getApi } from '../api/api.ts'
import { fullDateTime } from '../lib/format.ts'
import { shownPhone } from '../lib/phone-display.ts'

interface Details {
  activity: Activity[]
  consent: ConsentState[]
  numbers: WorkspaceNumber[]
}

/**
 * The contact's activity per workspace number, its consent per number and the numbers the
 * workspace holds, all from the cache; read again whenever a message of this contact, its
 * consent or the workspace's numbers change, so the panel stays live.
 */
function useContactDetails(conversation: Conversation): Details | null {
  const { id: contactId, workspaceId } = conversation
  const [details, setDetails] = useState<Details | null>(null)
  useEffect(() => {
    let current = true
    const load = async () => {
      const [activity, consent, numbers] = await Promise.all([
        call('contacts.activity', { contactId }),
        call('consent.list', { contactId }),
        call('numbers.list', { workspaceId }),
      ])
      if (!current || !activity.ok || !consent.ok || !numbers.ok) return
      setDetails({ activity: activity.value, consent: consent.value, numbers: numbers.value })
    }
    void load()
    const api = getApi()
    const offs = [
      api.on('messages.upserted', (batch) => {
        if (batch.some((message) => message.contactId === contactId)) void load()
      }),
      api.on('consent.changed', (states) => {
        if (states.some((state) => state.contactId === contactId)) void load()
      }),
      api.on('numbers.changed', (change) => {
        if (change.workspaceId === workspaceId) void load()
      }),
    ]
    return () => {
      current = false
      for (const off of offs) off()
    }
  }, [contactId, workspaceId])
  return details
}

/** What the customer last said about texts from this sender, in words. */
export function consentText(state: ConsentState | undefined): string {
  if (!state) return 'Can be texted: no opt-out received'
  const when = fullDateTime(state.changedAt)
  if (!state.optedOut)
    return `Can be texted: opted back in${state.keyword ? ` with ${state.keyword}` : ''}, ${when}`
  if (state.source === 'twilio_error_21610') return `Opted out: Twilio reported them unsubscribed, ${when}`
  return `Opted out${state.keyword ? ` with ${state.keyword}` : ''}, ${when}`
}

function plural(count: number, one: string): string {
  return `${count} ${one}${count === 1 ? '' : 's'}`
}

export function ContactActivity({ conversation }: { conversation: Conversation }) {
  const details = useContactDetails(conversation)
  if (!details) return <p className="muted small">Loading the contact’s history…</p>
  const { activity, consent, numbers } = details
  const total = activity.reduce((sum, row) => sum + row.messages, 0)
  const first = activity.reduce<string | null>(
    (min, row) => (min && min < row.firstAt ? min : row.firstAt),
    null,
  )
  const last = activity.reduce<string | null>(
    (max, row) => (max && max > row.lastAt ? max : row.lastAt),
    null,
  )
  const stateOf = (phoneNumber: string) =>
    consent.find((state) => state.sender === consentSenderOf(phoneNumber, numbers))
  // Consent from a sender no listed number stands for (its messages' number not recorded).
  const senders = new Set(
    activity.flatMap((row) => (row.workspaceNumber ? [consentSenderOf(row.workspaceNumber, numbers)] : [])),
  )
  const unlisted = consent.filter((state) => !senders.has(state.sender))
  return (
    <>
      <dl className="contact-facts">
        <div>
          <dt>First contact</dt>
          <dd data-testid="contact-first">{first ? fullDateTime(first) : 'Never'}</dd>
        </div>
        <div>
          <dt>Last contact</dt>
          <dd data-testid="contact-last">{last ? fullDateTime(last) : 'Never'}</dd>
        </div>
        <div>
          <dt>Messages</dt>
          <dd data-testid="contact-total">{total}</dd>
        </div>
      </dl>
      <section className="contact-numbers" aria-labelledby="contact-numbers-title">
        <h3 id="contact-numbers-title">Workspace numbers</h3>
        {activity.length === 0 && unlisted.length === 0 && (
          <p className="muted small">No messages with any of your numbers yet.</p>
        )}
        <ul>
          {activity.map((row) => {
            const number = row.workspaceNumber
            const state = number === null ? undefined : stateOf(number)
            const friendly = numbers.find((n) => n.phoneNumber === number)?.friendlyName
            return (
              <li key={number ?? ''} className="contact-number" data-testid="contact-number-row">
                <p className="contact-number-name">
                  {number === null
                    ? 'Number not recorded'
                    : shownPhone({ workspaceId: conversation.workspaceId, phoneNumber: number })}
                  {friendly && <span className="muted"> · {friendly}</span>}
                </p>
                {number !== null && (
                  <p
                    className={`contact-consent${state?.optedOut ? ' opted-out' : ''}`}
                    data-testid="contact-consent"
                  >
                    {consentText(state)}
                  </p>
                )}
                <p className="muted small">
                  {plural(row.messages, 'message')}: {row.received} received, {row.messages - row.received}{' '}
                  sent
                </p>
                <p className="muted small">
                  {fullDateTime(row.firstAt)} – {fullDateTime(row.lastAt)}
                </p>
              </li>
            )
          })}
          {unlisted.map((state) => (
            <li key={state.sender} className="contact-number" data-testid="contact-number-row">
              <p className="contact-number-name">
                {state.sender.startsWith('+')
                  ? shownPhone({ workspaceId: conversation.workspaceId, phoneNumber: state.sender })
                  : `Messaging Service ${state.sender}`}
              </p>
              <p
                className={`contact-consent${state.optedOut ? ' opted-out' : ''}`}
                data-testid="contact-consent"
              >
                {consentText(state)}
              </p>
            </li>
          ))}
        </ul>
      </section>
    </>
  )
}
