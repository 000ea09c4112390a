import { err, ok } from '../../shared/errors.ts'
import { hasVariables } from '../../shared/reply-variables.ts'
import type { Logger } from '../../shared/log.ts'
import type { Cache } from '../cache/cache.ts'
import { createOutbox, type Outbox } from '../outbox/outbox.ts'
import type { SessionService } from '../session/session.ts'
import { messageColumns, parseMessage, toArrived } from '../sync/rows.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'
import type { EventHub } from './event-hub.ts'

/** The outbox of one runtime: it sends with the session's token, and every change of a send reaches the renderer. */
export function openOutbox(
  runtime: { cache: Cache; session: SessionService; relayUrl: string },
  deps: { events: EventHub; logger: Logger },
): Outbox {
  const { cache, session, relayUrl } = runtime
  return createOutbox({
    cache,
    relayUrl,
    accessToken: () => session.accessToken(),
    refreshSession: () => session.refresh(),
    onMessage: (message) => deps.events.emit('messages.upserted', [message]),
    onCollision: (message, arrived) =>
      deps.events.emit('messages.held', { message, arrived: arrived.map(toArrived) }),
    logger: deps.logger,
  })
}

/** A conversation's thread, and the agent's replies: sent through the outbox, retried on request. */
export function messagesCapability(deps: {
  access: Access
  events: EventHub
}): HandlersFor<
  'thread.load' | 'messages.send' | 'messages.retry' | 'messages.sendAnyway' | 'messages.withdraw'
> {
  const { access, events } = deps
  return {
    'thread.load': async ({ contactId, before, limit }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { cache, session } = found.value.runtime
      const cached = cache.thread(contactId, before, limit)
      // Older history than the cache keeps (retention) comes from the server, and is cached on the way.
      if (
        cached.hasMore ||
        cached.messages.length >= limit ||
        (before === null && cached.messages.length > 0)
      ) {
        return ok(cached)
      }
      const missing = limit - cached.messages.length
      const oldest = cached.messages[0]?.createdAt ?? before
      let query = session.client
        .from('messages')
        .select(messageColumns)
        .eq('contact_id', contactId)
        .order('created_at', { ascending: false })
        .limit(missing + 1)
      if (oldest) query = query.lt('created_at', oldest)
      const { data, error } = await query
      if (error) return ok(cached)
      const rows = (data ?? []) as unknown[]
      for (const row of rows.slice(0, missing)) {
        const message = parseMessage(row)
        if (message) cache.upsertMessage(message)
      }
      const merged = cache.thread(contactId, before, limit)
      return ok({ messages: merged.messages, hasMore: merged.hasMore || rows.length > missing })
    },
    'messages.send': async ({ workspaceId, contactId, body, seenMessageId, fromNumber }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const { runtime, userId } = auth.value
      // The composer fills a saved reply's variables; one left unfilled is refused, never sent raw.
      if (hasVariables(body))
        return err(
          'invalid_input',
          'This reply still holds a {{variable}}: replace it with the text to send, or insert the saved reply again.',
        )
      const conversation = runtime.cache.getConversation(contactId)
      if (!conversation || conversation.workspaceId !== workspaceId)
        return err('not_found', 'This conversation is not in that workspace.')
      const guard = seenMessageId === undefined ? undefined : ({ kind: 'seen', seenMessageId } as const)
      const message = runtime.outbox.send({ workspaceId, contactId, body, userId, guard, fromNumber })
      events.emit('messages.upserted', [message])
      // The queued reply is now the row's preview: the inbox shows it before the relay has it.
      const led = runtime.cache.getConversation(contactId)
      if (led) events.emit('conversations.upserted', [led])
      return ok(message)
    },
    'messages.retry': async ({ messageId }) => {
      const auth = await access.signedIn()
      if (!auth.ok) return auth
      const result = auth.value.runtime.outbox.retry(messageId)
      if (result.ok) events.emit('messages.upserted', [result.value])
      return result
    },
    'messages.sendAnyway': async ({ messageId }) => {
      const auth = await access.signedIn()
      if (!auth.ok) return auth
      const result = auth.value.runtime.outbox.sendAnyway(messageId)
      if (result.ok) events.emit('messages.upserted', [result.value])
      return result
    },
    'messages.withdraw': async ({ messageId }) => {
      const auth = await access.signedIn()
      if (!auth.ok) return auth
      return auth.value.runtime.outbox.withdraw(messageId)
    },
  }
}
