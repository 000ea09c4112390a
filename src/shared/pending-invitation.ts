import type { z } from 'zod'
import { workspaceInvitationRowSchema } from './rows/workspaces.ts'
import { rowView } from './rows/row-view.ts'

/** A pending invitation as the admin screen lists it: a workspace_invitations row under the app's names. */
export const pendingInvitationView = rowView(workspaceInvitationRowSchema, {
  id: 'id',
  email: 'email',
  role: 'role',
  invitedBy: 'invited_by',
  createdAt: 'created_at',
})
export const pendingInvitationSchema = pendingInvitationView.schema
export type PendingInvitation = z.infer<typeof pendingInvitationSchema>
