import { describe, expect, it } from 'vitest'
import type { Message } from '../../../shared/domain.ts'
import type { Note } from '../../../shared/notes-and-replies.ts'
import { interleave, timelineRows } from './timeline.ts'

const at = (minute: number) => `2026-11-01T10:${String(minute).padStart(2, '0')}:00.000000Z`

const message = (id: string, minute: number) =>
  ({ id, createdAt: at(minute), updatedAt: at(minute) }) as Message
const note = (id: string, minute: number) => ({ id, createdAt: at(minute), updatedAt: at(minute) }) as Note

describe('interleave', () => {
  it('puts each note among the messages by time, after a message of the same instant', () => {
    const items = interleave(
      [message('m1', 1), message('m2', 3), message('m3', 5)],
      [note('n0', 0), note('n1', 3), note('n2', 9)],
      false,
    )
    expect(items.map((item) => item.id)).toEqual(['n0', 'm1', 'm2', 'n1', 'm3', 'n2'])
  })

  it('holds back notes older than the first message while older messages are still to load', () => {
    const items = interleave([message('m1', 5)], [note('old', 1), note('new', 6)], true)
    expect(items.map((item) => item.id)).toEqual(['m1', 'new'])
  })

  it('shows notes alone in a thread without messages', () => {
    expect(interleave([], [note('n1', 1)], false).map((item) => item.kind)).toEqual(['note'])
  })
})

describe('timelineRows', () => {
  const onDay = (id: string, day: string) =>
    ({ id, createdAt: `${day}T12:00:00.000Z`, updatedAt: `${day}T12:00:00.000Z` }) as Message

  it('heads the first entry of each day, one row per entry keyed by it', () => {
    const rows = timelineRows(
      interleave([onDay('a', '2026-10-01'), onDay('b', '2026-10-01'), onDay('c', '2026-10-03')], [], false),
    )
    expect(rows.map((row) => [row.item.id, row.startsDay])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ])
    expect(rows[1]!.day).toBe(rows[0]!.day)
    expect(rows[2]!.day).not.toBe(rows[0]!.day)
  })

  it('moves the heading to an older entry of the same day when one arrives above, keeping every row', () => {
    const before = timelineRows(interleave([onDay('b', '2026-10-01')], [], true))
    const after = timelineRows(interleave([onDay('a', '2026-10-01'), onDay('b', '2026-10-01')], [], true))
    expect(before.map((row) => row.startsDay)).toEqual([true])
    expect(after.map((row) => [row.item.id, row.startsDay])).toEqual([
      ['a', true],
      ['b', false],
    ])
  })
})
