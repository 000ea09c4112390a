import type { Conversation } from '../../shared/domain.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import { homeRegionOf, phoneSearchDigits } from '../../shared/phone.ts'
import type { ContactRow } from '../../shared/rows/contacts.ts'
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

/** The inbox list, search, and what an agent does to a conversation: status, read, unread, its contact's name and activity. */
export function conversationsCapability(
  deps: ConversationsCapabilityDeps,
): HandlersFor<
  | 'conversations.list'
  | 'conversations.search'
  | 'conversations.setStatus'
  | 'conversations.markRead'
  | 'conversations.markUnread'
  | 'conversations.assign'
  | 'contacts.rename'
  | 'contacts.activity'
> {
  const { access } = deps

  /** Writes columns of a conversation under the agent's RLS, then caches and announces the server's row. */
  async function updateConversation(
    contactId: string,
    change: Partial<Pick<ContactRow, 'conversation_status' | 'assignee_id' | 'name'>>,
  ): Promise<Result<Conversation>> {
    const found = await access.conversationOf(contactId)
    if (!found.ok) return found
    const { runtime } = found.value
    const { data, error } = await runtime.session.client
      .from('contacts')
      .update(change)
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
  }

  return {
    'conversations.list': async ({ workspaceId, filter, limit, after, view = 'all' }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const { runtime, userId } = auth.value
      const owner = view === 'all' ? undefined : { assigneeId: view === 'mine' ? userId : null }
      const page = runtime.cache.listConversations(workspaceId, filter, limit, after, owner)
      return ok({ ...page, views: runtime.cache.viewCounts(workspaceId, userId) })
    },
    'conversations.search': async ({ query, workspaceId, limit }) => {
      const auth = workspaceId ? await access.memberOf(workspaceId) : await access.signedIn()
      if (!auth.ok) return auth
      const { cache, workspaces } = auth.value.runtime
      if (!workspaceId) return ok(cache.search(query, null, limit))
      // Numbers are typed as the workspace's agents dial them, trunk 0 and all.
      const home = homeRegionOf(workspaces.list().find((w) => w.id === workspaceId)?.sendingNumber)
      return ok(cache.search(query, workspaceId, limit, phoneSearchDigits(query, home)))
    },
    'conversations.setStatus': ({ contactId, status }) =>
      updateConversation(contactId, { conversation_status: status }),
    // The database records who assigned whom, and refuses an assignee from outside the workspace.
    'conversations.assign': async ({ contactId, assigneeId }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { runtime, conversation } = found.value
      const members = runtime.cache.listMembers(conversation.workspaceId)
      if (assigneeId !== null && !members.some((member) => member.userId === assigneeId))
        return err('invalid_input', 'Only a member of this workspace can be assigned its conversations.')
      return updateConversation(contactId, { assignee_id: assigneeId })
    },
    'contacts.rename': ({ contactId, name }) => updateConversation(contactId, { name }),
    'contacts.activity': async ({ contactId }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      return ok(found.value.runtime.cache.contactActivity(contactId))
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
