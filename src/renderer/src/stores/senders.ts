import { useEffect } from 'react'
import { create } from 'zustand'
import { optOutOf, type ConsentState, type WorkspaceNumber } from '../../../shared/consent-and-numbers.ts'
import type { Conversation, Message, Workspace } from '../../../shared/domain.ts'
import { call } from '../api/api.ts'
import { useThread } from './thread.ts'

/**
 * The numbers each workspace sends from, each customer's consent per number (as main
 * caches them), and the number the agent picked per conversation while the app runs.
 */
interface SendersStore {
  numbers: Record<string, WorkspaceNumber[]>
  /** Per contact: every sender the customer ever texted a keyword to. */
  consent: Record<string, ConsentState[]>
  picked: Record<string, string>
  loadNumbers(workspaceId: string): Promise<void>
  loadConsent(contactId: string): Promise<void>
  applyNumbers(workspaceId: string, numbers: WorkspaceNumber[]): void
  applyConsent(states: ConsentState[]): void
  pick(contactId: string, phoneNumber: string): void
  reset(): void
}

export const useSenders = create<SendersStore>()((set, get) => ({
  numbers: {},
  consent: {},
  picked: {},
  async loadNumbers(workspaceId) {
    const result = await call('numbers.list', { workspaceId })
    // Failing leaves the picker to the next numbers.changed; the workspace's first number still sends.
    if (result.ok) get().applyNumbers(workspaceId, result.value)
  },
  async loadConsent(contactId) {
    const result = await call('consent.list', { contactId })
    if (result.ok) set({ consent: { ...get().consent, [contactId]: result.value } })
  },
  applyNumbers(workspaceId, numbers) {
    set({ numbers: { ...get().numbers, [workspaceId]: numbers } })
  },
  applyConsent(states) {
    const consent = { ...get().consent }
    for (const state of states) {
      const others = (consent[state.contactId] ?? []).filter((known) => known.sender !== state.sender)
      consent[state.contactId] = [...others, state]
    }
    set({ consent })
  },
  pick(contactId, phoneNumber) {
    set({ picked: { ...get().picked, [contactId]: phoneNumber } })
  },
  reset() {
    set({ numbers: {}, consent: {}, picked: {} })
  },
}))

const noNumbers: WorkspaceNumber[] = []
const noConsent: ConsentState[] = []

/** The workspace number the conversation last used: the newest message that says which. */
export function stickyNumber(messages: readonly Message[]): string | null {
  return messages.findLast((message) => message.workspaceNumber !== null)?.workspaceNumber ?? null
}

/**
 * The number a reply in this conversation leaves from: the agent's pick, else the one the
 * conversation last used (sticky), else the workspace's first; each only while the
 * workspace holds it. With the opt-out that stops a reply from it, if any.
 */
export function useSender(conversation: Conversation, workspace: Workspace) {
  const numbers = useSenders((state) => state.numbers[workspace.id] ?? noNumbers)
  const consent = useSenders((state) => state.consent[conversation.id] ?? noConsent)
  const picked = useSenders((state) => state.picked[conversation.id])
  const sticky = useThread((state) =>
    state.contactId === conversation.id ? stickyNumber(state.messages) : null,
  )
  const { loadNumbers, loadConsent } = useSenders.getState()
  useEffect(() => void loadNumbers(workspace.id), [loadNumbers, workspace.id])
  useEffect(() => void loadConsent(conversation.id), [loadConsent, conversation.id])
  const held = (number: string | null | undefined): number is string =>
    !!number && (numbers.length === 0 || numbers.some((n) => n.phoneNumber === number))
  const from = [picked, sticky, workspace.sendingNumber].find(held) ?? numbers[0]?.phoneNumber ?? null
  const optOut = from ? optOutOf(consent, conversation.id, from, numbers) : null
  return { numbers, consent, from, optOut }
}
