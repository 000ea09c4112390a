import type { ResponseOf } from '../../../shared/contract.ts'
import type { Result } from '../../../shared/errors.ts'
import { call } from './api.ts'

/** Rows of the first page: more than the tallest window shows, so the first paint is a full list. */
export const firstPageSize = 100

/** The workspace the inbox opened last time (the first of the agent's list); not a secret. */
const firstWorkspaceKey = 'sms-inbox.first-workspace'

type Early<T> = Promise<Result<T>> | null

let earlyWorkspaces: Early<ResponseOf<'workspaces.list'>> = null
let earlyFirstPage: { workspaceId: string; result: Promise<Result<ResponseOf<'conversations.list'>>> } | null = null

/**
 * Asks for what the first paint of the inbox needs as the page starts, beside the session,
 * instead of one request after the other (session → workspaces → conversations). Each
 * early answer is taken at most once, by the store that would otherwise have asked; when
 * the agent turns out to be signed out, the answers are errors and nobody takes them.
 */
export function prefetchFirstPaint(): void {
  earlyWorkspaces = call('workspaces.list', {})
  const workspaceId = readFirstWorkspace()
  earlyFirstPage = workspaceId
    ? { workspaceId, result: call('conversations.list', { workspaceId, filter: 'All', limit: firstPageSize }) }
    : null
}

export function takeEarlyWorkspaces(): Early<ResponseOf<'workspaces.list'>> {
  const early = earlyWorkspaces
  earlyWorkspaces = null
  return early
}

export function takeEarlyFirstPage(workspaceId: string): Early<ResponseOf<'conversations.list'>> {
  const early = earlyFirstPage
  earlyFirstPage = null
  return early?.workspaceId === workspaceId ? early.result : null
}

/** Signing out drops what was asked as the previous agent. */
export function forgetEarly(): void {
  earlyWorkspaces = null
  earlyFirstPage = null
}

function readFirstWorkspace(): string | null {
  try {
    return globalThis.localStorage?.getItem(firstWorkspaceKey) ?? null
  } catch {
    return null
  }
}

export function rememberFirstWorkspace(workspaceId: string | null): void {
  try {
    if (workspaceId) globalThis.localStorage?.setItem(firstWorkspaceKey, workspaceId)
    else globalThis.localStorage?.removeItem(firstWorkspaceKey)
  } catch {
    // Storage can be unavailable (a locked-down profile): the inbox then just asks in sequence.
  }
}
