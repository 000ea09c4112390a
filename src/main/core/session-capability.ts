import type { SessionState } from '../../shared/domain.ts'
import { ok, type Result } from '../../shared/errors.ts'
import type { SessionService } from '../session/session.ts'
import { beginSignOut, endSignOut } from '../session/sign-out-wipe.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'
import type { RuntimeSlot } from './runtime-slot.ts'
import { refreshWorkspaces, type WorkspaceRefreshDeps } from './workspaces-capability.ts'

export interface SessionCapabilityDeps extends WorkspaceRefreshDeps {
  runtime: RuntimeSlot
  access: Access
}

/** Who is signed in, signing in and out, and whether the inbox is live. */
export function sessionCapability(
  deps: SessionCapabilityDeps,
): HandlersFor<
  'session.get' | 'session.signIn' | 'session.acceptInvite' | 'session.signOut' | 'connection.get'
> {
  const { runtime, access, events, alerts } = deps
  // refreshWorkspaces also accepts the invitations waiting for the address, so an invitee sees the workspace at once.
  const enter = async (attempt: (session: SessionService) => Promise<Result<SessionState>>) => {
    const found = await access.running()
    if (!found.ok) return found
    const result = await attempt(found.value.session)
    if (result.ok) await refreshWorkspaces(found.value, deps)
    return result
  }
  return {
    'session.get': async () => ok(await runtime.sessionState()),
    'session.signIn': ({ email, password }) => enter((session) => session.signIn(email, password)),
    'session.acceptInvite': ({ email, code, password }) =>
      enter((session) => session.acceptInvite(email, code, password)),
    'session.signOut': async () => {
      const current = await runtime.current()
      if (!current) return ok({ status: 'signed-out', reason: runtime.problem() })
      // From here on a sign-out cut short is finished on the next start.
      beginSignOut(current.files)
      current.sync.setWorkspaces([])
      current.presence.setWorkspaces([])
      const state = await current.session.signOut()
      // What the agent could see leaves with them, off the disk too: the next agent starts from an empty cache.
      current.cache.wipe()
      endSignOut(current.files)
      current.workspaces.set([])
      alerts.resetBadge()
      alerts.publishBadge(current)
      events.emit('workspaces.changed', [])
      return ok(state)
    },
    'connection.get': async () => ok(await runtime.connectionState()),
  }
}
