import { ok } from '../../shared/errors.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'

/** Who the workspace's members are, from the cache the sync keeps (src/main/sync/members.ts). */
export function membersCapability({ access }: { access: Access }): HandlersFor<'members.list'> {
  return {
    'members.list': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return ok(auth.value.runtime.cache.listMembers(workspaceId))
    },
  }
}
