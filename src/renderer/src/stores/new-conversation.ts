import { create } from 'zustand'

/** Whether the New conversation dialog is open (N, or the list header's button). */
export const useNewConversation = create<{ open: boolean; show(): void; hide(): void }>()((set) => ({
  open: false,
  show: () => set({ open: true }),
  hide: () => set({ open: false }),
}))
