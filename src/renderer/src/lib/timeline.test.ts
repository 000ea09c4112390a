import { describe, expect, it } from 'vitest'
import type { Message } from '../../../shared/domain.ts'
import type { Note } from '../../../shared/notes-and-replies.ts'
import { interleave } from './timeline.ts'

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
