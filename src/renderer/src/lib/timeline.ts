import type { Message } from '../../../shared/domain.ts'
import type { Note } from '../../../shared/notes-and-replies.ts'
import { dayKey, dayLabel } from './format.ts'

/** One entry of a thread: an SMS or an internal note, in one timeline by time. */
export type ThreadItem =
  | { kind: 'message'; id: string; at: string; message: Message }
  | { kind: 'note'; id: string; at: string; note: Note }

/**
 * Messages and notes by time (ties keep messages first). While older messages are still
 * to load (`hasMore`), a note older than the first message shown waits for its page, so
 * it never sits above a gap in the SMS history.
 */
export function interleave(
  messages: readonly Message[],
  notes: readonly Note[],
  hasMore: boolean,
): ThreadItem[] {
  const from = hasMore ? (messages[0]?.createdAt ?? '') : ''
  const items: ThreadItem[] = messages.map((message) => ({
    kind: 'message',
    id: message.id,
    at: message.createdAt,
    message,
  }))
  let at = 0
  for (const note of notes) {
    if (note.createdAt < from) continue
    while (at < items.length && items[at]!.at <= note.createdAt) at++
    items.splice(at, 0, { kind: 'note', id: note.id, at: note.createdAt, note })
    at++
  }
  return items
}

/**
 * One row of the thread's virtual list: an entry, under its day's heading when it is the
 * day's first. The heading belongs to the row, not a row of its own, so every row is
 * keyed by its entry and stays the same row when older pages arrive above it.
 */
export interface TimelineRow {
  item: ThreadItem
  /** The day's label, for the heading held at the top while its rows scroll past. */
  day: string
  startsDay: boolean
}

export function timelineRows(items: readonly ThreadItem[]): TimelineRow[] {
  const rows: TimelineRow[] = []
  let day = ''
  let label = ''
  for (const item of items) {
    const key = dayKey(item.at)
    const startsDay = key !== day
    if (startsDay) {
      day = key
      label = dayLabel(item.at)
    }
    rows.push({ item, day: label, startsDay })
  }
  return rows
}
