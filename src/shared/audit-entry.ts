import type { z } from 'zod'
import { auditTrailRowSchema } from './rows/audit-events.ts'
import { rowView } from './rows/row-view.ts'

/** An entry of a workspace's audit trail as the admin screen shows it: the audit_trail view's row under the app's names. */
export const auditEntryView = rowView(auditTrailRowSchema, {
  id: 'id',
  workspaceId: 'workspace_id',
  action: 'action',
  createdAt: 'created_at',
  actorName: 'actor_name',
  subjectName: 'subject_name',
  assigneeName: 'assignee_name',
  details: 'details',
})
export const auditEntrySchema = auditEntryView.schema
export type AuditEntry = z.infer<typeof auditEntrySchema>
