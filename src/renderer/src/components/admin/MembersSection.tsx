import type { Workspace } from '../../../../shared/domain.ts'
import { useWorkspaceMembers } from '../../stores/members.ts'
import { MemberAvatar } from '../MemberAvatar.tsx'

const roleLabels = { owner: 'Owner', admin: 'Admin', agent: 'Agent' } as const

/** Who belongs to the workspace and as what, live from the synced member list. */
export function MembersSection({ workspace }: { workspace: Workspace }) {
  const members = useWorkspaceMembers(workspace.id)
  return (
    <section className="settings-section" aria-labelledby="admin-members-title">
      <h3 id="admin-members-title">Members</h3>
      <table className="notify-table admin-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <tr key={member.userId} data-testid={`member-${member.userId}`}>
              <th scope="row">
                <span className="member-cell">
                  <MemberAvatar member={member} />
                  {member.displayName}
                </span>
              </th>
              <td>{roleLabels[member.role]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
