import { z } from 'zod'
import { invitedRoles, memberRoles } from './rows/workspaces.ts'

/**
 * The relay's member endpoints (POST /members/invite, /members/role, /members/remove,
 * /members/revoke-invitation):
 * an owner or admin of the workspace acts with their own access token; the relay
 * checks their role and writes the change and its audit row as the service role.
 */
export const inviteMemberRequestSchema = z
  .object({
    workspace_id: z.uuid(),
    email: z.email().max(320),
    role: z.enum(invitedRoles),
  })
  .strict()
export type InviteMemberRequest = z.infer<typeof inviteMemberRequestSchema>

export const changeMemberRoleRequestSchema = z
  .object({ workspace_id: z.uuid(), user_id: z.uuid(), role: z.enum(memberRoles) })
  .strict()
export type ChangeMemberRoleRequest = z.infer<typeof changeMemberRoleRequestSchema>

export const removeMemberRequestSchema = z.object({ workspace_id: z.uuid(), user_id: z.uuid() }).strict()
export type RemoveMemberRequest = z.infer<typeof removeMemberRequestSchema>

/** POST /members/revoke-invitation: the pending invitation of the workspace to take back. */
export const revokeInvitationRequestSchema = z
  .object({ workspace_id: z.uuid(), invitation_id: z.uuid() })
  .strict()
export type RevokeInvitationRequest = z.infer<typeof revokeInvitationRequestSchema>

/**
 * `unchanged`: the member already had that role. `emailed` (an invitation): false when
 * the address already has an account, which joins at its next sign-in without an email.
 */
export const memberActionResponseSchema = z.object({
  outcome: z.enum(['done', 'unchanged']),
  emailed: z.boolean().optional(),
})
export type MemberActionResponse = z.infer<typeof memberActionResponseSchema>
