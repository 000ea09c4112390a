import type { EventChannel, EventOf } from '../../src/shared/contract.ts'

/** The events whose payload is a batch of rows. */
export type BatchChannel = 'conversations.upserted' | 'messages.upserted' | 'notes.upserted'
export type ItemOf<E extends BatchChannel> = EventOf<E>[number]

interface EventSource {
  waitForEvent<E extends EventChannel>(
    event: E,
    accept: (payload: EventOf<E>) => boolean,
    what: string,
    options?: { since?: number; ms?: number },
  ): Promise<EventOf<E>>
}

/** The first row in a batch `event` (from `since` on) that `accept`s, already sent or still to come. */
export async function waitForItem<E extends BatchChannel>(
  source: EventSource,
  event: E,
  accept: (item: ItemOf<E>) => boolean,
  what: string,
  options?: { since?: number; ms?: number },
): Promise<ItemOf<E>> {
  const matches = (payload: EventOf<BatchChannel>) => (payload as ItemOf<E>[]).find(accept)
  const batch = await source.waitForEvent(event, (payload) => matches(payload) !== undefined, what, options)
  return matches(batch)!
}

/** Every row of `event` batches among recorded events, in the order sent. */
export function itemsOf<E extends BatchChannel>(
  records: readonly { event: string; payload: unknown }[],
  event: E,
): ItemOf<E>[] {
  return records.flatMap((record) => (record.event === event ? (record.payload as ItemOf<E>[]) : []))
}
