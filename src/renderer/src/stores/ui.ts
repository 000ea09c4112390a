import { create } from 'zustand'

/** View state that belongs to no API concern: search, overlays, the visible list. */
interface UiStore {
  query: string
  helpOpen: boolean
  /** Ids the list currently shows (filtered or search results), for keyboard moves. */
  visibleIds: string[]
  setQuery(query: string): void
  setHelpOpen(open: boolean): void
  setVisibleIds(ids: string[]): void
}

export const useUi = create<UiStore>()((set) => ({
  query: '',
  helpOpen: false,
  visibleIds: [],
  setQuery(query) {
    set({ query })
  },
  setHelpOpen(helpOpen) {
    set({ helpOpen })
  },
  setVisibleIds(visibleIds) {
    set({ visibleIds })
  },
}))

/** Elements the shortcuts move focus to. */
export const focusTargets = {
  search: () => document.getElementById('conversation-search')?.focus(),
  list: () => document.getElementById('conversation-list')?.focus(),
  composer: () => document.getElementById('composer-input')?.focus(),
}
