import type { Workspace } from '../../shared/domain.ts'
import { ok } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import { fetchWorkspaces } from '../session/session.ts'
import type { Access } from './access.ts'
import type { Alerts } from './alerts-capability.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import type { HandlersFor } from './dispatch.ts'
import type { EventHub } from './event-hub.ts'

/** The workspaces the signed-in agent belongs to, as last read from the server (or the cache, offline). */
export interface WorkspaceRoster {
  list(): Workspace[]
  ids(): string[]
  set(workspaces: Workspace[]): void
}

export function createWorkspaceRoster(initial: Workspace[]): WorkspaceRoster {
  let workspaces = initial
  return {
    list: () => workspaces,
    ids: () => workspaces.map((w) => w.id),
    set(next) {
      workspaces = next
    },
  }
}

export interface WorkspaceRefreshDeps {
  events: EventHub
  alerts: Alerts
  logger: Logger
}

/**
 * Reads the agent's workspaces from the server (keeping the cached list when that
 * fails), forgets the ones they left, and points sync, the badge and the outbox at the rest.
 */
export async function refreshWorkspaces(runtime: BackendRuntime, deps: WorkspaceRefreshDeps): Promise<void> {
  const { session, cache, sync, outbox, presence, workspaces } = runtime
  const userId = session.userId()
  if (!userId) return
  // Invitations waiting for this agent's email become memberships before the list is read.
  const accepted = await session.client.rpc('accept_invitations')
  if (accepted.error)
    deps.logger.warn('pending invitations could not be accepted', { code: accepted.error.code })
  const fetched = await fetchWorkspaces(session.client, userId)
  if (!fetched.ok) {
    deps.logger.warn('workspaces could not be loaded; using the cached list', { kind: fetched.error.kind })
  } else {
    const known = new Set(fetched.value.map((w) => w.id))
    for (const old of workspaces.list()) if (!known.has(old.id)) cache.forgetWorkspace(old.id)
    cache.replaceWorkspaces(fetched.value)
  }
  workspaces.set(cache.listWorkspaces())
  deps.events.emit('workspaces.changed', workspaces.list())
  sync.setWorkspaces(workspaces.ids())
  presence.setWorkspaces(workspaces.ids())
  deps.alerts.publishBadge(runtime)
  outbox.kick()
}

export function workspacesCapability({ access }: { access: Access }): HandlersFor<'workspaces.list'> {
  return {
    'workspaces.list': async () => {
      const auth = await access.signedIn()
      if (!auth.ok) return auth
      const { workspaces, cache } = auth.value.runtime
      workspaces.set(cache.listWorkspaces())
      return ok(workspaces.list())
    },
  }
}
