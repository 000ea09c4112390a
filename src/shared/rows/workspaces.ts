import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

/** public.workspaces (supabase/migrations/20261124000100_core_schema.sql). */
export const workspaceRowSchema = z.object({
  id: uuidColumn,
  name: z.string(),
  /** Segments a reply may cost before the composer warns (20261201154100_workspace_sms_segment_limit.sql). */
  sms_segment_limit: z.number().int().min(1).max(10),
  created_at: timestampColumn,
  updated_at: timestampColumn,
})
export type WorkspaceRow = z.infer<typeof workspaceRowSchema>

export const memberRoles = ['owner', 'admin', 'agent'] as const

/** public.workspace_members: who belongs to which workspace, and as what. */
export const workspaceMemberRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  user_id: uuidColumn,
  role: z.enum(memberRoles),
  created_at: timestampColumn,
  updated_at: timestampColumn,
})
export type WorkspaceMemberRow = z.infer<typeof workspaceMemberRowSchema>

/** Who may be invited: ownership goes only to someone already in the workspace. */
export const invitedRoles = ['admin', 'agent'] as const

/**
 * public.workspace_invitations: an invitation waiting for its invitee's first sign-in,
 * by lower-case email. Written by the relay; owners and admins read their workspace's.
 */
export const workspaceInvitationRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  email: z.string(),
  role: z.enum(invitedRoles),
  invited_by: uuidColumn.nullable(),
  created_at: timestampColumn,
})
export type WorkspaceInvitationRow = z.infer<typeof workspaceInvitationRowSchema>

/**
 * A row of public.workspace_sending_status(), which tells an agent whether a
 * workspace can send without showing the Twilio credentials. A function's result
 * columns carry no NOT NULL: is_configured is never null because the function
 * coalesces it, and sending_number is null without a number.
 */
export const workspaceSendingStatusSchema = z.object({
  workspace_id: uuidColumn,
  is_configured: z.boolean(),
  sending_number: z.string().nullable(),
})
export type WorkspaceSendingStatus = z.infer<typeof workspaceSendingStatusSchema>

/**
 * public.workspace_channel_keys: the key in the topic of a workspace's private Realtime
 * channel, rotated when a member leaves (20261201200100_workspace_channel_keys.sql).
 * Members read their workspace's; only the database writes it.
 */
export const workspaceChannelKeyRowSchema = z.object({
  workspace_id: uuidColumn,
  key: uuidColumn,
  rotated_at: timestampColumn,
})
export type WorkspaceChannelKeyRow = z.infer<typeof workspaceChannelKeyRowSchema>
