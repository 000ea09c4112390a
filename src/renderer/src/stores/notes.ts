import { create } from 'zustand'
import type { AppError } from '../../../shared/errors.ts'
import type { Note } from '../../../shared/notes-and-replies.ts'
import { call } from '../api/api.ts'

/**
 * The internal notes of the open conversation, which the thread interleaves with its
 * messages by time. A conversation holds few notes, so they are loaded whole with it.
 */
interface NotesStore {
  contactId: string | null
  notes: Note[]
  open(contactId: string | null): Promise<void>
  /** Merges a batch, keeping only this conversation's notes. */
  upsertMany(notes: Note[]): void
  remove(ids: string[]): void
  add(contactId: string, body: string, mentions: string[]): Promise<AppError | null>
}

function merge(notes: Note[], incoming: Note[]): Note[] {
  const byId = new Map(notes.map((note) => [note.id, note]))
  for (const note of incoming) {
    const known = byId.get(note.id)
    if (!known || known.updatedAt <= note.updatedAt) byId.set(note.id, note)
  }
  return [...byId.values()].sort((a, b) =>
    a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? -1 : 1,
  )
}

export const useNotes = create<NotesStore>()((set, get) => ({
  contactId: null,
  notes: [],
  async open(contactId) {
    if (contactId === get().contactId) return
    set({ contactId, notes: [] })
    if (!contactId) return
    const result = await call('notes.list', { contactId })
    if (!result.ok || get().contactId !== contactId) return
    // Notes that arrived while loading are merged, not lost.
    set({ notes: merge(result.value, get().notes) })
  },
  upsertMany(batch) {
    const mine = batch.filter((note) => note.contactId === get().contactId)
    if (mine.length > 0) set({ notes: merge(get().notes, mine) })
  },
  remove(ids) {
    const gone = new Set(ids)
    if (get().notes.some((note) => gone.has(note.id)))
      set({ notes: get().notes.filter((note) => !gone.has(note.id)) })
  },
  async add(contactId, body, mentions) {
    const result = await call('notes.add', { contactId, body, mentions })
    if (!result.ok) return result.error
    get().upsertMany([result.value])
    return null
  },
}))
