import { WebSocket } from 'ws'
import { reply, send, sendFrame, type Channel } from './connection.ts'
import { encodeBinaryBroadcast, type BinaryBroadcast, type PhoenixMessage } from './phoenix-messages.ts'

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
