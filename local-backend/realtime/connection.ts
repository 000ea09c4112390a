import { WebSocket } from 'ws'
import type { Logger } from '../../src/shared/log.ts'
import type { ChangeSubscriber } from './delivery.ts'
import type { Claims } from './jwt.ts'
import { encodeMessage, type PhoenixMessage, type Vsn } from './phoenix-messages.ts'
import type { PresenceMeta } from './presence.ts'
import type { TopicPolicies } from './topic-policies.ts'

/** One client socket and the channels it has joined, one per topic. */
export interface Connection {
  id: string
  ws: WebSocket
  vsn: Vsn
  /** The apikey the socket connected with: a channel's token when its join carries none. */
  token: string
  channels: Map<string, Channel>
  /** Frames are handled one after another, so a join finishes before the leave that follows it. */
  queue: Promise<void>
  /** Real time of the last frame, for the idle timeout. */
  lastSeen: number
  logger: Logger
}

/** A joined channel: who joined it (token, claims) and what it asked for. */
export interface Channel {
  connection: Connection
  topic: string
  subTopic: string
  joinRef: string | null
  token: string
  claims: Claims
  isPrivate: boolean
  /** A private channel's rights, as RLS on realtime.messages grants them; undefined on a public one. */
  policies: TopicPolicies | undefined
  broadcastSelf: boolean
  broadcastAck: boolean
  presenceKey: string
  presence: PresenceMeta | undefined
  subscriber: ChangeSubscriber | undefined
  /** Stops the timer that checks the token again; a no-op when none runs. */
  cancelTokenCheck: () => void
}

const maxBufferedBytes = 16 * 1024 * 1024

/**
 * Every frame leaves through here. A client that stops reading would otherwise make
 * the server buffer its events without bound; past the limit it is disconnected
 * and, like any dropped client, reconnects and rejoins.
 */
export function sendFrame(connection: Connection, frame: string | Buffer): void {
  if (connection.ws.readyState !== WebSocket.OPEN) return
  if (connection.ws.bufferedAmount > maxBufferedBytes) {
    connection.logger.warn('realtime client too slow, closing', { buffered: connection.ws.bufferedAmount })
    connection.ws.close(1013, 'client too slow')
    return
  }
  connection.ws.send(frame)
}

export function send(connection: Connection, message: PhoenixMessage): void {
  sendFrame(connection, encodeMessage(connection.vsn, message))
}

/** Answers the push addressed by `to` (its topic and refs). */
export function reply(
  connection: Connection,
  to: { topic: string; ref: string | null; joinRef: string | null },
  status: 'ok' | 'error',
  response: Record<string, unknown>,
): void {
  send(connection, {
    joinRef: to.joinRef,
    ref: to.ref,
    topic: to.topic,
    event: 'phx_reply',
    payload: { status, response },
  })
}

/** A server-initiated message on a channel. */
export function push(channel: Channel, event: string, payload: Record<string, unknown>): void {
  send(channel.connection, { joinRef: channel.joinRef, ref: null, topic: channel.topic, event, payload })
}

/** Hosted Realtime's `system` message, which the client surfaces as a status or an error. */
export function systemMessage(
  channel: Channel,
  extension: string,
  status: 'ok' | 'error',
  message: string,
): void {
  push(channel, 'system', { extension, status, message, channel: channel.subTopic })
}
