import { z } from 'zod'
import { timestampColumn, uuidColumn } from './columns.ts'

/** Every kind of change the audit trail records (the table's check constraint lists the same). */
export const auditActionSchema = z.enum([
  'member.invited',
  'member.added',
  'member.role_changed',
  'member.removed',
  'twilio.config_changed',
  'number.added',
  'number.changed',
  'number.removed',
  'conversation.assigned',
  'contact.renamed',
  'number.webhook_configured',
  'twilio.connection_refused',
  'member.invitation_revoked',
])
export type AuditAction = z.infer<typeof auditActionSchema>

/**
 * public.audit_events: who changed what in a workspace, and when. Written by
 * triggers and by the relay, never changed; owners and admins read it. actor_id
 * null is a change no agent made (the relay, a migration); subject_id is the
 * member, number, conversation or contact acted on; details never holds a secret.
 */
export const auditEventRowSchema = z.object({
  id: uuidColumn,
  workspace_id: uuidColumn,
  actor_id: uuidColumn.nullable(),
  action: auditActionSchema,
  subject_id: uuidColumn.nullable(),
  // jsonb NOT NULL: any JSON value but SQL's null (the triggers write objects).
  details: z.json().refine((value) => value !== null, 'details is never null'),
  created_at: timestampColumn,
})
export type AuditEventRow = z.infer<typeof auditEventRowSchema>

/**
 * public.audit_trail, the view the admin screen reads: a trail row with names in place
 * of ids (supabase/migrations/20261201173700_members_admin.sql). A name is null where
 * no one acted (the relay, a migration) or nothing is named.
 */
export const auditTrailRowSchema = auditEventRowSchema
  .pick({ id: true, workspace_id: true, action: true, details: true, created_at: true })
  .extend({
    actor_name: z.string().nullable(),
    subject_name: z.string().nullable(),
    assignee_name: z.string().nullable(),
  })
export type AuditTrailRow = z.infer<typeof auditTrailRowSchema>
