import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

/** A #rrggbb colour, lower case, as the database's check allows it. */
export const avatarColorSchema = z.string().regex(/^#[0-9a-f]{6}$/, 'must be a colour as #rrggbb')

/**
 * public.member_profiles: how a member of a workspace is shown to the team. One per
 * membership, created and removed with it; the role stays in workspace_members.
 */
export const memberProfileRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  user_id: uuidColumn,
  display_name: z.string().trim().min(1).max(80),
  avatar_color: avatarColorSchema,
  created_at: timestampColumn,
  updated_at: timestampColumn,
})
export type MemberProfileRow = z.infer<typeof memberProfileRowSchema>

/** What a member may change of their own profile (the columns granted to them). */
export const memberProfileEditSchema = memberProfileRowSchema
  .pick({ display_name: true, avatar_color: true })
  .partial()
export type MemberProfileEdit = z.infer<typeof memberProfileEditSchema>
