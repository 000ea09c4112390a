import { create } from 'zustand'

/**
 * Whether the composer writes an SMS reply or an internal note. Note mode belongs to one
 * conversation: opening another starts as a reply again, so a note meant for one thread
 * is never left armed in the next.
 */
interface ComposerModeStore {
  noteFor: string | null
  setNote(contactId: string, note: boolean): void
}

export const useComposerMode = create<ComposerModeStore>()((set) => ({
  noteFor: null,
  setNote: (contactId, note) => set({ noteFor: note ? contactId : null }),
}))

export const useIsNoteMode = (contactId: string): boolean =>
  useComposerMode((state) => state.noteFor === contactId)
