import type { ChannelRegistry } from './channels.ts'
import { push, reply, type Channel } from './connection.ts'
import type { PhoenixMessage } from './phoenix-messages.ts'

/** What a channel tracks, with the ref Phoenix Presence gives each version of it. */
export interface PresenceMeta {
  phx_ref: string
  [field: string]: unknown
}

/** The full presence of a topic, sent to a channel that joins with presence enabled. */
export function presenceState(members: Iterable<Channel>): Record<string, { metas: PresenceMeta[] }> {
  const state: Record<string, { metas: PresenceMeta[] }> = {}
  for (const channel of members) {
    if (!channel.presence) continue
    ;(state[channel.presenceKey] ??= { metas: [] }).metas.push(channel.presence)
  }
  return state
}

/** Tells every member of the topic what `channel` started and stopped tracking. */
export function announcePresence(
  members: Iterable<Channel>,
  channel: Channel,
  joins: PresenceMeta[],
  leaves: PresenceMeta[],
): void {
  const group = (metas: PresenceMeta[]) => (metas.length > 0 ? { [channel.presenceKey]: { metas } } : {})
  for (const member of members) {
    push(member, 'presence_diff', { joins: group(joins), leaves: group(leaves) })
  }
}

/** Answers `presence` pushes (track, untrack); refs count up per server, as Phoenix's do per node. */
export function createPresence(channels: ChannelRegistry): {
  handle(channel: Channel, message: PhoenixMessage): void
} {
  let lastRef = 0
  return {
    handle(channel, message) {
      const { event, payload } = message.payload
      if (event === 'track') {
        const meta: PresenceMeta = {
          ...(payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {}),
          phx_ref: String(++lastRef),
        }
        const previous = channel.presence
        if (previous) meta.phx_ref_prev = previous.phx_ref
        channel.presence = meta
        announcePresence(channels.members(channel.topic), channel, [meta], previous ? [previous] : [])
        return reply(channel.connection, message, 'ok', {})
      }
      if (event === 'untrack') {
        const previous = channel.presence
        channel.presence = undefined
        if (previous) announcePresence(channels.members(channel.topic), channel, [], [previous])
        return reply(channel.connection, message, 'ok', {})
      }
      reply(channel.connection, message, 'error', { reason: 'Presence event must be track or untrack' })
    },
  }
}
