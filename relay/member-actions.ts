import type { SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import { err, ok, type Result } from '../src/shared/errors.ts'
import type {
  ChangeMemberRoleRequest,
  InviteMemberRequest,
  MemberActionResponse,
  RemoveMemberRequest,
  RevokeInvitationRequest,
} from '../src/shared/member-admin-contract.ts'
import { StoreError } from './store.ts'

/**
 * Inviting, re-roling and removing members, and revoking a pending invitation. The database functions decide under a
 * lock on the workspace (supabase/migrations/20261201173700_members_admin.sql); this
 * turns each of their answers into a typed error a person can act on, and sends the
 * invitation email through Supabase Auth.
 */
const outcomeSchema = z.enum([
  'done',
  'unchanged',
  'not_admin',
  'owners_only',
  'last_owner',
  'no_such_member',
  'already_member',
  'no_such_invitation',
])
type Outcome = z.infer<typeof outcomeSchema>

function answer(outcome: Outcome, subject: string): Result<MemberActionResponse> {
  switch (outcome) {
    case 'done':
    case 'unchanged':
      return ok({ outcome })
    case 'not_admin':
      return err('forbidden', "Only the workspace's owners and admins manage its members.")
    case 'owners_only':
      return err('forbidden', 'Only an owner makes, demotes or removes an owner.')
    case 'last_owner':
      return err('conflict', 'A workspace keeps at least one owner: make another member owner first.')
    case 'no_such_member':
      return err('not_found', `${subject} is not a member of this workspace (any more): reload the list.`)
    case 'already_member':
      return err('conflict', `${subject} is already a member of this workspace.`)
    case 'no_such_invitation':
      return err('not_found', 'This invitation is no longer pending (accepted or revoked): reload the list.')
  }
}

export interface MemberActions {
  invite(
    actor: string,
    request: InviteMemberRequest,
    redirectTo?: string,
  ): Promise<Result<MemberActionResponse>>
  changeRole(actor: string, request: ChangeMemberRoleRequest): Promise<Result<MemberActionResponse>>
  remove(actor: string, request: RemoveMemberRequest): Promise<Result<MemberActionResponse>>
  revokeInvitation(actor: string, request: RevokeInvitationRequest): Promise<Result<MemberActionResponse>>
}

export function createMemberActions(supabase: SupabaseClient): MemberActions {
  const decide = async (fn: string, args: Record<string, unknown>): Promise<Outcome> => {
    const { data, error } = await supabase.rpc(fn, args)
    if (error) throw new StoreError(fn, error)
    return outcomeSchema.parse(data)
  }
  return {
    async invite(actor, request, redirectTo) {
      const email = request.email.trim().toLowerCase()
      const outcome = await decide('relay_invite_member', {
        actor,
        workspace: request.workspace_id,
        email,
        role: request.role,
      })
      const decided = answer(outcome, email)
      if (!decided.ok) return decided
      const { error } = await supabase.auth.admin.inviteUserByEmail(email, redirectTo ? { redirectTo } : {})
      // An address with an account already gets no invite email: it joins at its next sign-in.
      if (error?.code === 'email_exists') return ok({ outcome: 'done', emailed: false })
      if (error)
        return err(
          'upstream',
          `The invitation is saved, but its email could not be sent (${error.message}). Invite again to resend it.`,
        )
      return ok({ outcome: 'done', emailed: true })
    },
    async changeRole(actor, request) {
      const outcome = await decide('relay_change_member_role', {
        actor,
        workspace: request.workspace_id,
        member: request.user_id,
        role: request.role,
      })
      return answer(outcome, 'This person')
    },
    async remove(actor, request) {
      const outcome = await decide('relay_remove_member', {
        actor,
        workspace: request.workspace_id,
        member: request.user_id,
      })
      return answer(outcome, 'This person')
    },
    async revokeInvitation(actor, request) {
      const outcome = await decide('relay_revoke_invitation', {
        actor,
        workspace: request.workspace_id,
        invitation: request.invitation_id,
      })
      return answer(outcome, 'This invitation')
    },
  }
}
