import { ok } from '../../shared/errors.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'

/** The numbers a workspace sends from and each customer's consent per number, from the cache the sync keeps. */
export function sendersCapability({
  access,
}: {
  access: Access
}): HandlersFor<'consent.list' | 'numbers.list'> {
  return {
    'consent.list': async ({ contactId }) => {
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      return ok(found.value.runtime.cache.senders.consentOf(contactId))
    },
    'numbers.list': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return ok(auth.value.runtime.cache.senders.numbers(workspaceId))
    },
  }
}
