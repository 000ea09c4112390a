import type { PGlite } from '@electric-sql/pglite'
import { WebSocket } from 'ws'
import type { ChannelRegistry } from './channels.ts'
import { reply, send, sendFrame, type Channel } from './connection.ts'
import { encodeBinaryBroadcast, type BinaryBroadcast, type PhoenixMessage } from './phoenix-messages.ts'
import { mayOnTopic } from './topic-policies.ts'

/**
 * Relays a user broadcast to the topic's members (and to its sender only if it
 * joined with `self`), in each member's serializer: a vsn 2.0.0 socket gets the
 * binary frame, a vsn 1.0.0 one the JSON message; a binary payload cannot be sent
 * as JSON, so a 1.0.0 member does not get it.
 */
export function relayBroadcast(
  members: Iterable<Channel>,
  channel: Channel,
  message: PhoenixMessage,
  binary: BinaryBroadcast | undefined,
): void {
  const userEvent = message.payload.event
  for (const member of members) {
    if (member === channel && !channel.broadcastSelf) continue
    const target = member.connection
    if (target.ws.readyState !== WebSocket.OPEN) continue
    if (target.vsn === '2.0.0' && typeof userEvent === 'string') {
      const frame = binary
        ? { ...binary, topic: member.topic }
        : {
            topic: member.topic,
            userEvent,
            meta: undefined,
            encoding: 1 as const,
            payload: Buffer.from(JSON.stringify(message.payload.payload ?? {}), 'utf8'),
          }
      sendFrame(target, encodeBinaryBroadcast(frame))
    } else if (!binary || binary.encoding === 1) {
      send(target, {
        joinRef: null,
        ref: null,
        topic: member.topic,
        event: 'broadcast',
        payload: message.payload,
      })
    }
  }
  if (channel.broadcastAck) reply(channel.connection, message, 'ok', {})
}

/**
 * A client's broadcast. On a private channel the INSERT policies on realtime.messages
 * must allow it; hosted drops a refused one without a word (and without an ack), so
 * the sender learns nothing about the policies.
 */
export async function handleClientBroadcast(
  db: PGlite,
  channels: ChannelRegistry,
  channel: Channel,
  message: PhoenixMessage,
  binary: BinaryBroadcast | undefined,
): Promise<void> {
  if (channel.policies) {
    let allowed = false
    try {
      allowed = await mayOnTopic(db, channel.subTopic, channel.claims, channel.policies, 'broadcast', 'write')
    } catch (error) {
      channel.connection.logger.warn('realtime broadcast policy failed', { topic: channel.topic, error })
    }
    if (!allowed || !channels.isOpen(channel)) return
  }
  relayBroadcast(channels.audience(channel.topic, channel.isPrivate, 'broadcast'), channel, message, binary)
}

/** A broadcast the server itself sends: from the REST API, or from the database (realtime.send). */
export interface ServerBroadcast {
  event: string
  /** A JSON value, or raw bytes (which only a vsn 2.0.0 client can receive, as a binary frame). */
  payload: { json: unknown } | { binary: Uint8Array }
  meta: Record<string, unknown> | undefined
  /**
   * Hosted sends the database's and the single-message API's broadcasts as user
   * broadcasts (a binary frame to a vsn 2.0.0 client), and the batch API's as an
   * ordinary Phoenix broadcast to everyone.
   */
  asUserBroadcast: boolean
}

export function deliverServerBroadcast(members: Iterable<Channel>, broadcast: ServerBroadcast): void {
  const { event, payload, meta, asUserBroadcast } = broadcast
  const bytes = 'binary' in payload ? payload.binary : Buffer.from(JSON.stringify(payload.json ?? {}), 'utf8')
  for (const member of members) {
    const target = member.connection
    if (target.ws.readyState !== WebSocket.OPEN) continue
    if (target.vsn === '2.0.0' && (asUserBroadcast || 'binary' in payload)) {
      const encoding = 'binary' in payload ? 0 : 1
      sendFrame(
        target,
        encodeBinaryBroadcast({ topic: member.topic, userEvent: event, meta, encoding, payload: bytes }),
      )
    } else if ('json' in payload) {
      const json = { type: 'broadcast', event, payload: payload.json, ...(meta ? { meta } : {}) }
      send(target, { joinRef: null, ref: null, topic: member.topic, event: 'broadcast', payload: json })
    }
  }
}
