import { create } from 'zustand'

/** View state that belongs to no API concern: search, overlays, the visible list. */
interface UiStore {
  query: string
  helpOpen: boolean
  /** The thread header's assignee menu (the A shortcut opens it). */
  assigneeMenuOpen: boolean
  /** The contact panel beside the thread (the I shortcut and the header's Contact button toggle it). */
  contactPanelOpen: boolean
  /** Ids the list currently shows (filtered or search results), for keyboard moves. */
  visibleIds: string[]
  setQuery(query: string): void
  setHelpOpen(open: boolean): void
  setAssigneeMenuOpen(open: boolean): void
  toggleContactPanel(): void
  setVisibleIds(ids: string[]): void
}

export const useUi = create<UiStore>()((set) => ({
  query: '',
  helpOpen: false,
  assigneeMenuOpen: false,
  contactPanelOpen: false,
  visibleIds: [],
  setQuery(query) {
    set({ query })
  },
  setHelpOpen(helpOpen) {
    set({ helpOpen })
  },
  setAssigneeMenuOpen(assigneeMenuOpen) {
    set({ assigneeMenuOpen })
  },
  toggleContactPanel() {
    set((state) => ({ contactPanelOpen: !state.contactPanelOpen }))
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
