import type { SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import { memberView, type Member } from '../../shared/domain.ts'
import { selectList } from '../../shared/rows/columns.ts'
import { workspaceMemberRowSchema } from '../../shared/rows/workspaces.ts'
import { normalizeTimestamp } from '../cache/time.ts'

/**
 * A workspace's members, read whole: a team is tens of people, so every backfill
 * reads them all again rather than keeping a cursor, and a member who left simply
 * is not in the next list. The role lives on the membership, embedded beside the profile.
 */

const membershipRoleSchema = workspaceMemberRowSchema.pick({ role: true })
const memberRowSchema = memberView.row.extend({
  // PostgREST may embed a to-one relation as a list of one.
  workspace_members: z.union([membershipRoleSchema, z.array(membershipRoleSchema)]).nullable(),
})
const memberSelect = `${selectList(memberView.row)}, workspace_members(${selectList(membershipRoleSchema)})`

/** Far more than any team; a workspace past it shows its first members by name. */
const MEMBERS_MAX = 1000

export async function fetchMembers(client: SupabaseClient, workspaceId: string): Promise<Member[]> {
  const { data, error } = await client
    .from('member_profiles')
    .select(memberSelect)
    .eq('workspace_id', workspaceId)
    .order('display_name')
    .limit(MEMBERS_MAX)
  if (error) throw new Error(`reading the members of a workspace failed: ${error.message}`)
  const rows = z.array(memberRowSchema).parse(data ?? [])
  return rows.flatMap((row) => {
    const membership = Array.isArray(row.workspace_members) ? row.workspace_members[0] : row.workspace_members
    if (!membership) return []
    const member = memberView.fromRow(row)
    return [{ ...member, updatedAt: normalizeTimestamp(member.updatedAt), role: membership.role }]
  })
}
