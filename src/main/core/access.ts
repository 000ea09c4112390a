import type { Conversation } from '../../shared/domain.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import type { RuntimeSlot } from './runtime-slot.ts'

/**
 * The checks a request passes before it touches the inbox: a backend is running,
 * an agent is signed in, the workspace is theirs, the conversation is cached.
 */
export interface Access {
  running(): Promise<Result<BackendRuntime>>
  signedIn(): Promise<Result<{ runtime: BackendRuntime; userId: string }>>
  memberOf(workspaceId: string): Promise<Result<{ runtime: BackendRuntime; userId: string }>>
  conversationOf(contactId: string): Promise<Result<{ runtime: BackendRuntime; conversation: Conversation }>>
}

export function createAccess(slot: RuntimeSlot): Access {
  async function running(): Promise<Result<BackendRuntime>> {
    const runtime = await slot.current()
    if (!runtime) return err('not_configured', slot.problem() ?? 'The app is not connected to a server.')
    return ok(runtime)
  }

  async function signedIn(): Promise<Result<{ runtime: BackendRuntime; userId: string }>> {
    const found = await running()
    if (!found.ok) return found
    const userId = found.value.session.userId()
    if (!userId) return err('unauthorized', 'Please sign in first.')
    return ok({ runtime: found.value, userId })
  }

  return {
    running,
    signedIn,
    async memberOf(workspaceId) {
      const auth = await signedIn()
      if (!auth.ok) return auth
      if (!auth.value.runtime.workspaces.list().some((w) => w.id === workspaceId)) {
        return err('forbidden', 'You are not a member of this workspace.')
      }
      return auth
    },
    async conversationOf(contactId) {
      const auth = await signedIn()
      if (!auth.ok) return auth
      const conversation = auth.value.runtime.cache.getConversation(contactId)
      if (!conversation) return err('not_found', 'This conversation is not in your inbox.')
      return ok({ runtime: auth.value.runtime, conversation })
    },
  }
}
