import type { Conversation } from '../../shared/domain.ts'
import { err, ok } from '../../shared/errors.ts'
import { postgrestError } from '../session/session.ts'
import { contactColumns, parseConversation } from '../sync/rows.ts'
import type { Access } from './access.ts'
import type { Alerts } from './alerts-capability.ts'
import type { InboxScope } from './backend-runtime.ts'
import type { HandlersFor } from './dispatch.ts'
import type { EventHub } from './event-hub.ts'

export interface ConversationEventDeps {
  events: EventHub
  alerts: Alerts
}

/** A conversation changed in the cache: the renderer updates that row, and the badge follows. */
export function announceConversation(
  conversation: Conversation,
  scope: InboxScope,
  deps: ConversationEventDeps,
): void {
  deps.events.emit('conversations.upserted', [conversation])
  deps.alerts.publishBadge(scope)
}

export interface ConversationsCapabilityDeps extends ConversationEventDeps {
  access: Access
}

/** The inbox list, search, and what an agent does to a conversation: status, read, unread. */
export function conversationsCapability(
  deps: ConversationsCapabilityDeps,
): HandlersFor<
  | 'conversations.list'
  | 'conversations.search'
  | 'conversations.setStatus'
  | 'conversations.markRead'
  | 'conversations.markUnread'
> {
  const { access } = deps
  return {
    'conversations.list': async ({ workspaceId, filter, limit, after }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return ok(auth.value.runtime.cache.listConversations(workspaceId, filter, limit, after))
    },
    'conversations.search': async ({ query, workspaceId, limit }) => {
      const auth = workspaceId ? await access.memberOf(workspaceId) : await access.signedIn()
      if (!auth.ok) return auth
      return ok(auth.value.runtime.cache.search(query, workspaceId, limit))
    },
    'conversations.setStatus': async ({ contactId, status }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { runtime } = found.value
      const { data, error } = await runtime.session.client
        .from('contacts')
        .update({ conversation_status: status })
        .eq('id', contactId)
        .select(contactColumns)
        .single()
      if (error) return { ok: false, error: postgrestError(error) }
      const conversation = parseConversation(data)
      if (!conversation) return err('upstream', 'The server answered with an unexpected conversation.')
      runtime.cache.upsertConversation(conversation)
      const stored = runtime.cache.getConversation(contactId) ?? conversation
      announceConversation(stored, runtime, deps)
      return ok(stored)
    },
    'conversations.markRead': async ({ contactId }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { runtime, conversation } = found.value
      // The badge and list follow at once; the server's row (through realtime) confirms it.
      if (conversation.unreadCount > 0) {
        const patched = runtime.cache.patchConversation(contactId, { unreadCount: 0 })
        if (patched) announceConversation(patched, runtime, deps)
      }
      const { error } = await runtime.session.client.rpc('mark_conversation_read', { contact_id: contactId })
      return error ? { ok: false, error: postgrestError(error) } : ok(null)
    },
    'conversations.markUnread': async ({ contactId }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { runtime, conversation } = found.value
      const { error } = await runtime.session.client.rpc('mark_conversation_unread', {
        contact_id: contactId,
      })
      if (error) return { ok: false, error: postgrestError(error) }
      if (conversation.unreadCount === 0) {
        const patched = runtime.cache.patchConversation(contactId, { unreadCount: 1 })
        if (patched) announceConversation(patched, runtime, deps)
      }
      return ok(null)
    },
  }
}
