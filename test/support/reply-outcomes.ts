import type { Message, MessageStatus } from '../../src/shared/domain.ts'
import { itemsOf } from './batch-events.ts'
import type { Happenings } from './happenings.ts'

/** The events the app sent, as a test recorded them (over the browser shell's socket, or from the core). */
type RecordedEvents = Happenings<{ event: string; payload: unknown }>

/** Where a reply's story ends: Twilio's final word, or a failure the agent can act on. */
export const isTerminal = (status: MessageStatus | undefined): boolean =>
  status === 'delivered' || status === 'failed'

/**
 * Each of `ids`' newest status as the app told the UI in `messages.upserted` events
 * from `since` on. Reads on from where the last call stopped, so a predicate that
 * calls it on every event stays linear in the events.
 */
export function shownStatuses(
  events: Pick<RecordedEvents, 'all'>,
  ids: ReadonlySet<string>,
  since: number,
): () => ReadonlyMap<string, MessageStatus> {
  const latest = new Map<string, MessageStatus>()
  let read = since
  return () => {
    for (const message of itemsOf(events.all.slice(read), 'messages.upserted'))
      if (ids.has(message.id)) latest.set(message.id, message.status)
    read = events.all.length
    return latest
  }
}

/**
 * Resolves once the app has shown every one of `ids` at the end of its story, or when
 * `ms` runs out: a reply short of its end then is for the counts to call stuck.
 */
export async function untilShownTerminal(
  events: RecordedEvents,
  ids: ReadonlySet<string>,
  options: { since: number; ms: number },
): Promise<void> {
  const shown = shownStatuses(events, ids, options.since)
  await events
    .waitFor(
      () => {
        const statuses = shown()
        return [...ids].every((id) => isTerminal(statuses.get(id)))
      },
      'every reply delivered or failed',
      options,
    )
    .catch(() => undefined)
}

/** Each reply's status in the threads the renderer loads when it opens the conversations. */
export async function threadStatuses(
  ids: ReadonlySet<string>,
  contactIds: string[],
  loadThread: (contactId: string) => Promise<{ messages: Message[] }>,
): Promise<Map<string, MessageStatus>> {
  const statuses = new Map<string, MessageStatus>()
  for (const contactId of contactIds) {
    for (const message of (await loadThread(contactId)).messages) {
      if (ids.has(message.id)) statuses.set(message.id, message.status)
    }
  }
  return statuses
}

/**
 * A fault test's verdict: replies Twilio never got (lost), got more than once
 * (duplicated, counted on the Twilio double's Messages list by body), or left short
 * of a final status in the app (stuck), and how many ended in each status.
 */
export function replyCounts(input: {
  bodies: string[]
  /** The body of every message in the Twilio double's list. */
  atTwilio: string[]
  statuses: ReadonlyMap<string, MessageStatus>
  ids: ReadonlySet<string>
}) {
  const ours = new Set(input.bodies)
  const sent = input.atTwilio.filter((body) => ours.has(body))
  const distinct = new Set(sent).size
  const byStatus: Record<string, number> = {}
  for (const id of input.ids) {
    const status = input.statuses.get(id) ?? 'missing'
    byStatus[status] = (byStatus[status] ?? 0) + 1
  }
  return {
    lost: ours.size - distinct,
    duplicated: sent.length - distinct,
    stuck: [...input.ids].filter((id) => !isTerminal(input.statuses.get(id))).length,
    byStatus,
  }
}
