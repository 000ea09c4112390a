import { ok } from '../../shared/errors.ts'
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
): HandlersFor<'session.get' | 'session.signIn' | 'session.signOut' | 'connection.get'> {
  const { runtime, access, events, alerts } = deps
  return {
    'session.get': async () => ok(await runtime.sessionState()),
    'session.signIn': async ({ email, password }) => {
      const found = await access.running()
      if (!found.ok) return found
      const result = await found.value.session.signIn(email, password)
      if (result.ok) await refreshWorkspaces(found.value, deps)
      return result
    },
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
