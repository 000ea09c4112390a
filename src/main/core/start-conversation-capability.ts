import { ok } from '../../shared/errors.ts'
import { startConversationResponseSchema } from '../../shared/relay-contract.ts'
import { toConversation } from '../sync/rows.ts'
import type { Access } from './access.ts'
import { announceConversation, type ConversationEventDeps } from './conversations-capability.ts'
import type { HandlersFor } from './dispatch.ts'
import { callRelay } from './relay-call.ts'

export interface StartConversationDeps extends ConversationEventDeps {
  access: Access
}

/**
 * A conversation an agent starts from a number (issue 19). One the cache holds opens
 * as it is, offline too; a new one needs the relay, the only one that may create a
 * contact (it checks the number first), so it is not queued like a reply: the agent
 * learns at once whether the number can be texted.
 */
export function startConversationCapability(deps: StartConversationDeps): HandlersFor<'conversations.start'> {
  return {
    'conversations.start': async ({ workspaceId, phoneNumber }) => {
      const auth = await deps.access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const { runtime } = auth.value
      const cached = runtime.cache
        .search(phoneNumber, workspaceId, 20)
        .find((hit) => hit.conversation.phoneNumber === phoneNumber)?.conversation
      if (cached) return ok({ conversation: cached, created: false })
      const started = await callRelay(
        runtime,
        '/contacts',
        { workspace_id: workspaceId, contact_id: crypto.randomUUID(), phone_number: phoneNumber },
        startConversationResponseSchema,
      )
      if (!started.ok) return started
      const conversation = toConversation(started.value.contact)
      runtime.cache.upsertConversation(conversation)
      const stored = runtime.cache.getConversation(conversation.id) ?? conversation
      announceConversation(stored, runtime, deps)
      return ok({ conversation: stored, created: started.value.created })
    },
  }
}
