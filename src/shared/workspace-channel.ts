import type { WorkspaceChannelKeyRow } from './rows/workspaces.ts'

/**
 * The topic of a workspace's private Realtime channel: its id and its current channel
 * key, the only topic the policies on realtime.messages admit its members to
 * (supabase/migrations/20261201200100_workspace_channel_keys.sql).
 */
export const workspaceChannelTopic = (
  channel: Pick<WorkspaceChannelKeyRow, 'workspace_id' | 'key'>,
): string => `workspace:${channel.workspace_id}:${channel.key}`
