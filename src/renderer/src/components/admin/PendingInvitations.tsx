import { useEffect, useState } from 'react'
import type { Workspace } from '../../../../shared/domain.ts'
import type { PendingInvitation } from '../../../../shared/pending-invitation.ts'
import { call } from '../../api/api.ts'
import { roleLabels } from '../../lib/audit-text.ts'
import { fullDateTime, relativeTime } from '../../lib/format.ts'
import { useWorkspaceMembers } from '../../stores/members.ts'
import type { Act } from './MembersSection.tsx'

/**
 * The invitations nobody has accepted yet, read again whenever `version` moves (after
 * each member action that succeeded, an invite or a revocation among them). Revoking goes
 * through the relay; the invitation's link then joins nothing.
 */
export function PendingInvitations({
  workspace,
  version,
  busy,
  act,
}: {
  workspace: Workspace
  version: number
  busy: boolean
  act: Act
}) {
  const members = useWorkspaceMembers(workspace.id)
  const [invitations, setInvitations] = useState<PendingInvitation[]>([])
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => {
    let shown = true
    void call('invitations.list', { workspaceId: workspace.id }).then((result) => {
      if (!shown) return
      setProblem(result.ok ? null : result.error.message)
      if (result.ok) setInvitations(result.value)
    })
    return () => {
      shown = false
    }
  }, [workspace.id, version])

  // An inviter who has left the workspace (or whose account is gone) has no name here any more.
  const inviter = (userId: string | null) =>
    members.find((member) => member.userId === userId)?.displayName ?? 'A former member'
  const revoke = (invitation: PendingInvitation) =>
    void act(
      () => call('invitations.revoke', { workspaceId: workspace.id, invitationId: invitation.id }),
      `Revoked the invitation of ${invitation.email}.`,
    )

  return (
    <>
      <h4 id="admin-invitations-title">Pending invitations</h4>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {invitations.length === 0 ? (
        !problem && <p className="muted small">No invitation is waiting.</p>
      ) : (
        <table
          className="notify-table admin-table invitations-table"
          aria-labelledby="admin-invitations-title"
        >
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Invited by</th>
              <th scope="col">Sent</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invitations.map((invitation) => (
              <tr key={invitation.id} data-testid="pending-invitation">
                <th scope="row" className="invitation-email">
                  {invitation.email}
                </th>
                <td>{roleLabels[invitation.role]}</td>
                <td>{inviter(invitation.invitedBy)}</td>
                <td>
                  <time dateTime={invitation.createdAt} title={fullDateTime(invitation.createdAt)}>
                    {relativeTime(invitation.createdAt)}
                  </time>
                </td>
                <td className="admin-actions">
                  <button
                    type="button"
                    className="button ghost"
                    aria-label={`Revoke the invitation of ${invitation.email}`}
                    disabled={busy}
                    onClick={() => revoke(invitation)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
