import type { Conversation } from '../../../shared/domain.ts'
import { formatPhone, homeRegionOf, type HomeRegion } from '../../../shared/phone.ts'
import { useWorkspaces } from '../stores/workspaces.ts'

/**
 * Every number the renderer shows goes through here, in its workspace's format
 * (src/shared/phone.ts). The home region is read when a row renders rather than
 * subscribed to: a workspace's number changes about never, and the next render shows it.
 */

const regions = new Map<string, HomeRegion | null>()

export function homeRegionFor(workspaceId: string): HomeRegion | null {
  const number =
    useWorkspaces.getState().list.find((workspace) => workspace.id === workspaceId)?.sendingNumber ?? null
  const key = `${workspaceId}:${number ?? ''}`
  if (!regions.has(key)) regions.set(key, homeRegionOf(number))
  return regions.get(key) ?? null
}

export function shownPhone(conversation: Pick<Conversation, 'workspaceId' | 'phoneNumber'>): string {
  return formatPhone(conversation.phoneNumber, homeRegionFor(conversation.workspaceId))
}
