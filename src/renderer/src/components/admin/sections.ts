import type { ComponentType } from 'react'
import type { Workspace } from '../../../../shared/domain.ts'
import { AuditTrailSection } from './AuditTrailSection.tsx'
import { MembersSection } from './MembersSection.tsx'
import { TwilioSection } from './TwilioSection.tsx'

/**
 * The admin screen's sections, in order: one file each, so a new one is one entry here.
 * A panel is shown for the active workspace only, and only to its owners and admins.
 */
export interface AdminSection {
  id: string
  label: string
  Panel: ComponentType<{ workspace: Workspace }>
}

export const adminSections: AdminSection[] = [
  { id: 'members', label: 'Members', Panel: MembersSection },
  { id: 'twilio', label: 'Twilio', Panel: TwilioSection },
  { id: 'audit-trail', label: 'Audit trail', Panel: AuditTrailSection },
]
