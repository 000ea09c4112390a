import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../shared/domain.ts'
import type { Note, SavedReply } from '../../shared/notes-and-replies.ts'
import { conversation, removeTempPaths, tempPath, WS, WS2 } from '../../../test/support/cache-rows.ts'
import { Cache } from './cache.ts'

afterEach(removeTempPaths)

const AUTHOR = '0b6f2a3c-8d41-4e59-a7c2-91d3e5f4b608'

function note(contact: Conversation, over: Partial<Note> = {}): Note {
  return {
    id: randomUUID(),
    workspaceId: contact.workspaceId,
    contactId: contact.id,
    body: 'a note',
    mentions: [],
    createdBy: AUTHOR,
    createdAt: '2026-11-01T10:00:00.000000Z',
    updatedAt: '2026-11-01T10:00:00.000000Z',
    ...over,
  }
}

function reply(over: Partial<SavedReply> = {}): SavedReply {
  return {
    id: randomUUID(),
    workspaceId: WS,
    ownerId: null,
    title: 'Greeting',
    body: 'Hi {{first_name}}',
    updatedAt: '2026-11-01T10:00:00.000000Z',
    ...over,
  }
}

function openWith(...contacts: Conversation[]): Cache {
  const cache = Cache.open(tempPath())
  for (const contact of contacts) cache.upsertConversation(contact)
  return cache
}

describe('internal notes in the cache', () => {
  it('keeps a thread’s notes oldest first, with their mentions, applied once by id', () => {
    const dana = conversation({ name: 'Dana' })
    const cache = openWith(dana)
    const later = note(dana, {
      createdAt: '2026-11-01T11:00:00.000000Z',
      updatedAt: '2026-11-01T11:00:00.000000Z',
    })
    const earlier = note(dana, { mentions: [AUTHOR] })
    expect(cache.upsertNote(later)).toBe('inserted')
    expect(cache.upsertNote(earlier)).toBe('inserted')
    expect(cache.upsertNote(earlier)).toBe('unchanged')
    // An older version never replaces a newer one.
    expect(cache.upsertNote({ ...later, body: 'stale', updatedAt: '2026-11-01T09:00:00.000000Z' })).toBe(
      'unchanged',
    )
    expect(cache.notes(dana.id)).toEqual([earlier, later])
    expect(cache.deleteNote(earlier.id)).toBe(true)
    expect(cache.notes(dana.id)).toEqual([later])
    cache.close()
  })

  it('search finds a note’s conversation within its workspace only, highlighted', () => {
    const dana = conversation({ name: 'Dana' })
    const other = conversation({ workspaceId: WS2, name: 'Omar' })
    const cache = openWith(dana, other)
    const vip = note(dana, { body: 'She is a VIP: refund without asking' })
    cache.upsertNote(vip)
    cache.upsertNote(note(other, { body: 'Another VIP, other workspace' }))
    const hits = cache.search('vip', WS, 10)
    expect(hits).toEqual([
      expect.objectContaining({
        field: 'note',
        noteId: vip.id,
        conversation: expect.objectContaining({ id: dana.id }),
      }),
    ])
    expect(hits[0]!.highlights.map(([from, to]) => hits[0]!.snippet.slice(from, to))).toEqual(['VIP'])
    expect(
      cache
        .search('vip', null, 10)
        .map((hit) => hit.conversation.id)
        .sort(),
    ).toEqual([dana.id, other.id].sort())
    cache.close()
  })

  it('the notes cursor only moves forward', () => {
    const cache = openWith()
    expect(cache.notesCursor(WS)).toBeNull()
    cache.advanceNotesCursor(WS, '2026-11-02T00:00:00.000000Z')
    cache.advanceNotesCursor(WS, '2026-11-01T00:00:00.000000Z')
    expect(cache.notesCursor(WS)).toBe('2026-11-02T00:00:00.000000Z')
    cache.close()
  })

  it('leaves with its workspace, its conversation, and on sign-out', () => {
    const dana = conversation()
    const other = conversation({ workspaceId: WS2 })
    const cache = openWith(dana, other)
    cache.upsertNote(note(dana))
    cache.upsertNote(note(other))
    cache.replaceSavedReplies(WS2, [reply({ workspaceId: WS2 })])
    cache.forgetWorkspace(WS2)
    expect(cache.notes(other.id)).toEqual([])
    expect(cache.savedReplies(WS2)).toEqual([])
    expect(cache.notes(dana.id)).toHaveLength(1)
    cache.deleteConversation(dana.id)
    expect(cache.notes(dana.id)).toEqual([])
    cache.upsertConversation(dana)
    cache.upsertNote(note(dana))
    cache.replaceSavedReplies(WS, [reply()])
    cache.clear()
    expect(cache.notes(dana.id)).toEqual([])
    expect(cache.savedReplies(WS)).toEqual([])
    cache.close()
  })
})

describe('saved replies in the cache', () => {
  it('are replaced whole per workspace (a reply deleted on the server leaves), listed by title', () => {
    const cache = openWith()
    const order = reply({ title: 'Order update' })
    const closing = reply({ title: 'Closing' })
    cache.replaceSavedReplies(WS, [order, closing, reply({ title: 'Gone' })])
    cache.replaceSavedReplies(WS2, [reply({ workspaceId: WS2 })])
    cache.replaceSavedReplies(WS, [order, closing])
    expect(cache.savedReplies(WS)).toEqual([closing, order])
    cache.upsertSavedReply({ ...order, body: 'Hi {{first_name}}, it shipped' })
    cache.deleteSavedReply(closing.id)
    expect(cache.savedReplies(WS)).toEqual([{ ...order, body: 'Hi {{first_name}}, it shipped' }])
    expect(cache.savedReplies(WS2)).toHaveLength(1)
    cache.close()
  })
})
