import type { Conversation } from '../../shared/domain.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import {
  relayErrorResponseSchema,
  startConversationResponseSchema,
  type StartConversationRequest,
} from '../../shared/relay-contract.ts'
import { toConversation } from '../sync/rows.ts'
import type { Access } from './access.ts'
import { announceConversation, type ConversationEventDeps } from './conversations-capability.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import type { HandlersFor } from './dispatch.ts'

export interface StartConversationDeps extends ConversationEventDeps {
  access: Access
  fetch?: typeof fetch
}

/**
 * A conversation an agent starts from a number (issue 19). One the cache holds opens
 * as it is, offline too; a new one needs the relay, the only one that may create a
 * contact (it checks the number first), so it is not queued like a reply: the agent
 * learns at once whether the number can be texted.
 */
export function startConversationCapability(deps: StartConversationDeps): HandlersFor<'conversations.start'> {
  const doFetch = deps.fetch ?? fetch

  async function askRelay(runtime: BackendRuntime, body: StartConversationRequest, again = true) {
    const token = await runtime.session.accessToken()
    if (!token)
      return err<{ conversation: Conversation; created: boolean }>('unauthorized', 'Please sign in first.')
    let response: Response
    try {
      response = await doFetch(`${runtime.relayUrl.replace(/\/+$/, '')}/contacts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      })
    } catch {
      return err<never>(
        'offline',
        'Starting a conversation with a new number needs a connection: try again once you are online.',
      )
    }
    if (response.status === 401 && again && (await runtime.session.refresh()))
      return askRelay(runtime, body, false)
    const json: unknown = await response.json().catch(() => null)
    if (!response.ok) {
      const refusal = relayErrorResponseSchema.safeParse(json)
      return refusal.success
        ? err<never>(refusal.data.error.kind, refusal.data.error.message)
        : err<never>('upstream', `The relay answered ${response.status}.`)
    }
    const answer = startConversationResponseSchema.safeParse(json)
    if (!answer.success) return err<never>('upstream', 'The relay answered with an unexpected conversation.')
    return ok({ conversation: toConversation(answer.data.contact), created: answer.data.created })
  }

  return {
    'conversations.start': async ({
      workspaceId,
      phoneNumber,
    }): Promise<Result<{ conversation: Conversation; created: boolean }>> => {
      const auth = await deps.access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const { runtime } = auth.value
      const cached = runtime.cache
        .search(phoneNumber, workspaceId, 20)
        .find((hit) => hit.conversation.phoneNumber === phoneNumber)?.conversation
      if (cached) return ok({ conversation: cached, created: false })
      const started = await askRelay(runtime, {
        workspace_id: workspaceId,
        contact_id: crypto.randomUUID(),
        phone_number: phoneNumber,
      })
      if (!started.ok) return started
      runtime.cache.upsertConversation(started.value.conversation)
      const stored =
        runtime.cache.getConversation(started.value.conversation.id) ?? started.value.conversation
      announceConversation(stored, runtime, deps)
      return ok({ conversation: stored, created: started.value.created })
    },
  }
}
