import type { PGlite } from '@electric-sql/pglite'
import type { ChannelRegistry } from './channels.ts'
import { push, reply, type Channel } from './connection.ts'
import type { PhoenixMessage } from './phoenix-messages.ts'
import { mayOnTopic } from './topic-policies.ts'

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

/**
 * Whether the channel may track itself: always on a public channel; on a private
 * one, when the INSERT policies on realtime.messages allow its presence row. A
 * policy that fails to run refuses, as hosted answers both with a bare error.
 */
async function mayTrack(db: PGlite, channel: Channel): Promise<boolean> {
  if (!channel.policies) return true
  try {
    return await mayOnTopic(db, channel.subTopic, channel.claims, channel.policies, 'presence', 'write')
  } catch (error) {
    channel.connection.logger.warn('realtime presence policy failed', { topic: channel.topic, error })
    return false
  }
}

/** Answers `presence` pushes (track, untrack); refs count up per server, as Phoenix's do per node. */
export function createPresence(
  channels: ChannelRegistry,
  db: PGlite,
): {
  handle(channel: Channel, message: PhoenixMessage): Promise<void>
} {
  let lastRef = 0
  const audience = (channel: Channel) => channels.audience(channel.topic, channel.isPrivate, 'presence')
  return {
    async handle(channel, message) {
      const { event, payload } = message.payload
      if (event === 'track') {
        if (!(await mayTrack(db, channel))) return reply(channel.connection, message, 'error', {})
        if (!channels.isOpen(channel)) return
        const meta: PresenceMeta = {
          ...(payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {}),
          phx_ref: String(++lastRef),
        }
        const previous = channel.presence
        if (previous) meta.phx_ref_prev = previous.phx_ref
        channel.presence = meta
        announcePresence(audience(channel), channel, [meta], previous ? [previous] : [])
        return reply(channel.connection, message, 'ok', {})
      }
      if (event === 'untrack') {
        const previous = channel.presence
        channel.presence = undefined
        if (previous) announcePresence(audience(channel), channel, [], [previous])
        return reply(channel.connection, message, 'ok', {})
      }
      reply(channel.connection, message, 'error', { reason: 'Presence event must be track or untrack' })
    },
  }
}
