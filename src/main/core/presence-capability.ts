import { ok } from '../../shared/errors.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'

/** What the agent has open and whether they type in it, for their teammates' presence. */
export function presenceCapability({
  access,
}: {
  access: Access
}): HandlersFor<'presence.report' | 'presence.get'> {
  return {
    'presence.get': async () => {
      const auth = await access.signedIn()
      if (!auth.ok) return auth
      return ok(auth.value.runtime.presence.current())
    },
    'presence.report': async ({ contactId, typing }) => {
      if (contactId === null) {
        const auth = await access.signedIn()
        if (!auth.ok) return auth
        auth.value.runtime.presence.report(null, false)
        return ok(null)
      }
      const found = await access.conversationOf(contactId)
      if (!found.ok) return found
      const { runtime, conversation } = found.value
      runtime.presence.report({ workspaceId: conversation.workspaceId, contactId }, typing)
      return ok(null)
    },
  }
}
