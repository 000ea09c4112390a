import { useState, type FormEvent } from 'react'
import type { Member, Workspace } from '../../../../shared/domain.ts'
import type { AppError } from '../../../../shared/errors.ts'
import type { Result } from '../../../../shared/errors.ts'
import { invitedRoles, memberRoles } from '../../../../shared/rows/workspaces.ts'
import { call } from '../../api/api.ts'
import { roleLabels } from '../../lib/audit-text.ts'
import { useWorkspaceMembers } from '../../stores/members.ts'
import { MemberAvatar } from '../MemberAvatar.tsx'
import { PendingInvitations } from './PendingInvitations.tsx'

type Outcome = { kind: 'done'; message: string } | { kind: 'failed'; error: AppError }

/**
 * Who belongs to the workspace and as what, live from the synced members, and who is
 * invited; owners and admins change it here.
 */
export function MembersSection({ workspace }: { workspace: Workspace }) {
  const members = useWorkspaceMembers(workspace.id)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [busy, setBusy] = useState(false)
  const [version, setVersion] = useState(0)

  const act = async (run: () => Promise<Result<unknown>>, done: string) => {
    setBusy(true)
    const result = await run()
    setBusy(false)
    setOutcome(result.ok ? { kind: 'done', message: done } : { kind: 'failed', error: result.error })
    if (result.ok) setVersion((shown) => shown + 1)
    return result.ok
  }

  return (
    <section className="settings-section" aria-labelledby="admin-members-title">
      <h3 id="admin-members-title">Members</h3>
      <InviteForm workspace={workspace} busy={busy} act={act} />
      {outcome?.kind === 'failed' && (
        <p className="form-error" role="alert">
          {outcome.error.message}
        </p>
      )}
      <p className="ok small" role="status">
        {outcome?.kind === 'done' ? outcome.message : ''}
      </p>
      <table className="notify-table admin-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <MemberRow key={member.userId} workspace={workspace} member={member} busy={busy} act={act} />
          ))}
        </tbody>
      </table>
      <PendingInvitations workspace={workspace} version={version} busy={busy} act={act} />
    </section>
  )
}

/** Runs a member action, says how it went, and reports whether it succeeded. */
export type Act = (run: () => Promise<Result<unknown>>, done: string) => Promise<boolean>

function MemberRow({
  workspace,
  member,
  busy,
  act,
}: {
  workspace: Workspace
  member: Member
  busy: boolean
  act: Act
}) {
  const [confirming, setConfirming] = useState(false)
  const name = member.displayName
  return (
    <tr data-testid={`member-${member.userId}`}>
      <th scope="row">
        <span className="member-cell">
          <MemberAvatar member={member} />
          {name}
        </span>
      </th>
      <td>
        <select
          aria-label={`Role of ${name}`}
          value={member.role}
          disabled={busy}
          onChange={(event) => {
            const role = memberRoles.find((choice) => choice === event.target.value) ?? member.role
            void act(
              () => call('members.changeRole', { workspaceId: workspace.id, userId: member.userId, role }),
              `${name} is now ${roleLabels[role]}.`,
            )
          }}
        >
          {memberRoles.map((role) => (
            <option key={role} value={role}>
              {roleLabels[role]}
            </option>
          ))}
        </select>
      </td>
      <td className="admin-actions">
        {confirming ? (
          <>
            <button
              type="button"
              className="button danger"
              disabled={busy}
              onClick={() =>
                void act(
                  () => call('members.remove', { workspaceId: workspace.id, userId: member.userId }),
                  `${name} was removed from ${workspace.name}.`,
                ).then(() => setConfirming(false))
              }
            >
              Remove {name}
            </button>
            <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button ghost"
            aria-label={`Remove ${name}…`}
            disabled={busy}
            onClick={() => setConfirming(true)}
          >
            Remove…
          </button>
        )}
      </td>
    </tr>
  )
}

function InviteForm({ workspace, busy, act }: { workspace: Workspace; busy: boolean; act: Act }) {
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<(typeof invitedRoles)[number]>('agent')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const address = email.trim()
    void act(async () => {
      const result = await call('members.invite', { workspaceId: workspace.id, email: address, role })
      if (result.ok) setEmail('')
      return result
    }, `Invited ${address}. They join ${workspace.name} when they first sign in.`)
  }
  return (
    <form className="invite-form" onSubmit={submit} aria-label="Invite a member">
      <label className="field">
        <span>Email</span>
        <input
          type="email"
          required
          value={email}
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => setEmail(event.target.value)}
        />
      </label>
      <label className="field">
        <span>Role</span>
        <select
          value={role}
          onChange={(event) =>
            setRole(invitedRoles.find((choice) => choice === event.target.value) ?? 'agent')
          }
        >
          {invitedRoles.map((choice) => (
            <option key={choice} value={choice}>
              {roleLabels[choice]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="button primary" disabled={busy}>
        Invite
      </button>
    </form>
  )
}
