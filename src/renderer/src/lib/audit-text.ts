import type { AuditEntry } from '../../../shared/audit-entry.ts'

export const roleLabels: Record<string, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent' }

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
const role = (value: unknown): string => roleLabels[text(value) ?? ''] ?? 'a member'

/** One audit entry as a sentence, by name: who did what to whom. */
export function describeAuditEntry(entry: AuditEntry): string {
  const actor = entry.actorName ?? 'The system'
  const subject = entry.subjectName ?? 'someone'
  const details = (entry.details ?? {}) as Record<string, unknown>
  switch (entry.action) {
    case 'member.invited':
      return `${actor} invited ${text(details.email) ?? 'someone'} as ${role(details.role)}`
    case 'member.invitation_revoked':
      return `${actor} revoked the invitation of ${text(details.email) ?? 'someone'} as ${role(details.role)}`
    case 'member.added':
      return entry.actorName === entry.subjectName
        ? `${subject} joined as ${role(details.role)}`
        : `${actor} added ${subject} as ${role(details.role)}`
    case 'member.role_changed':
      return `${actor} changed ${subject} from ${role(details.from)} to ${role(details.to)}`
    case 'member.removed':
      return `${actor} removed ${subject} (${role(details.role)})`
    case 'twilio.config_changed':
      return `${actor} changed the Twilio connection`
    case 'number.added':
      return `${actor} added the number ${text(details.phone_number) ?? ''}`.trimEnd()
    case 'number.changed':
      return `${actor} changed the number ${text(details.phone_number) ?? ''}`.trimEnd()
    case 'number.removed':
      return `${actor} removed the number ${text(details.phone_number) ?? ''}`.trimEnd()
    case 'conversation.assigned':
      return entry.assigneeName
        ? `${actor} assigned ${subject} to ${entry.assigneeName}`
        : `${actor} unassigned ${subject}`
    case 'number.webhook_configured':
      return `${actor} pointed the number ${text(details.phone_number) ?? ''} at the relay`
    case 'twilio.connection_refused':
      return `Twilio refused the credentials ${actor} entered`
    case 'contact.renamed':
      return `${actor} renamed ${text(details.from) ?? 'a contact'} to ${text(details.to) ?? 'no name'}`
  }
}
