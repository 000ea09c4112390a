import type { WorkspaceMemberRow } from './rows/workspaces.ts'

export type MemberRole = WorkspaceMemberRow['role']

/** Owners and admins run a workspace: its admin screen, members and audit trail. Agents answer. */
export const administers = (role: MemberRole): boolean => role === 'owner' || role === 'admin'
