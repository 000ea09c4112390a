import { z } from 'zod'
import { auditEntryView } from '../../shared/audit-entry.ts'
import { ok } from '../../shared/errors.ts'
import { memberActionResponseSchema } from '../../shared/member-admin-contract.ts'
import { pendingInvitationView } from '../../shared/pending-invitation.ts'
import { selectList } from '../../shared/rows/columns.ts'
import { normalizeTimestamp } from '../cache/time.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'
import { callRelay } from './relay-call.ts'

const auditColumns = selectList(auditEntryView.row)
const invitationColumns = selectList(pendingInvitationView.row)

/**
 * Who the workspace's members are, from the cache the sync keeps (src/main/sync/members.ts);
 * inviting, re-roling and removing them through the relay, which checks the caller's role;
 * the pending invitations and the audit trail, read under RLS (owners and admins only),
 * and revoking an invitation through the relay.
 */
export function membersCapability({
  access,
}: {
  access: Access
}): HandlersFor<
  | 'members.list'
  | 'members.invite'
  | 'members.changeRole'
  | 'members.remove'
  | 'audit.list'
  | 'invitations.list'
  | 'invitations.revoke'
> {
  return {
    'members.list': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return ok(auth.value.runtime.cache.listMembers(workspaceId))
    },
    'members.invite': async ({ workspaceId, email, role }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const body = { workspace_id: workspaceId, email, role }
      return callRelay(auth.value.runtime, '/members/invite', body, memberActionResponseSchema)
    },
    'members.changeRole': async ({ workspaceId, userId, role }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const body = { workspace_id: workspaceId, user_id: userId, role }
      return callRelay(auth.value.runtime, '/members/role', body, memberActionResponseSchema)
    },
    'members.remove': async ({ workspaceId, userId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const body = { workspace_id: workspaceId, user_id: userId }
      return callRelay(auth.value.runtime, '/members/remove', body, memberActionResponseSchema)
    },
    'invitations.list': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const { data, error } = await auth.value.runtime.session.client
        .from('workspace_invitations')
        .select(invitationColumns)
        .eq('workspace_id', workspaceId)
        .order('created_at', { ascending: false })
      if (error)
        return {
          ok: false,
          error: { kind: 'offline', message: `The pending invitations could not be read: ${error.message}` },
        }
      const rows = z.array(pendingInvitationView.row).parse(data ?? [])
      return ok(
        rows.map((row) => ({
          ...pendingInvitationView.fromRow(row),
          createdAt: normalizeTimestamp(row.created_at),
        })),
      )
    },
    'invitations.revoke': async ({ workspaceId, invitationId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const body = { workspace_id: workspaceId, invitation_id: invitationId }
      return callRelay(auth.value.runtime, '/members/revoke-invitation', body, memberActionResponseSchema)
    },
    'audit.list': async ({ workspaceId, before, limit }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      let query = auth.value.runtime.session.client
        .from('audit_trail')
        .select(auditColumns)
        .eq('workspace_id', workspaceId)
      if (before)
        query = query.or(
          `created_at.lt.${before.createdAt},and(created_at.eq.${before.createdAt},id.lt.${before.id})`,
        )
      // One row past the page says whether another follows.
      const { data, error } = await query
        .order('created_at', { ascending: false })
        .order('id', { ascending: false })
        .limit(limit + 1)
      if (error)
        return {
          ok: false,
          error: { kind: 'offline', message: `The audit trail could not be read: ${error.message}` },
        }
      const rows = z.array(auditEntryView.row).parse(data ?? [])
      return ok({
        entries: rows.slice(0, limit).map((row) => ({
          ...auditEntryView.fromRow(row),
          createdAt: normalizeTimestamp(row.created_at),
        })),
        hasMore: rows.length > limit,
      })
    },
  }
}
