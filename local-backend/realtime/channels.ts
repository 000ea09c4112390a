import type { Channel } from './connection.ts'
import { send, systemMessage } from './connection.ts'
import type { ChangeDelivery } from './delivery.ts'
import { announcePresence } from './presence.ts'
import type { TopicExtension } from './topic-policies.ts'

/** Hosted keeps a topic's private and public channels apart: a message on one never reaches the other. */
const roomOf = (topic: string, isPrivate: boolean) => `${isPrivate ? 'private' : 'public'}|${topic}`

/** The joined channels of every socket, by room, so broadcast and presence reach a topic's members. */
export class ChannelRegistry {
  private readonly rooms = new Map<string, Set<Channel>>()
  private readonly delivery: ChangeDelivery

  constructor(delivery: ChangeDelivery) {
    this.delivery = delivery
  }

  /**
   * The members of a topic's public or private room that may receive `extension`
   * there: on a private one, those whose read policy allowed it when they joined.
   */
  *audience(topic: string, isPrivate: boolean, extension: TopicExtension): Iterable<Channel> {
    for (const member of this.rooms.get(roomOf(topic, isPrivate)) ?? []) {
      if (!member.policies || member.policies[extension].read === true) yield member
    }
  }

  /** Whether the channel is still joined: not left, replaced by a rejoin, or closed with its socket. */
  isOpen(channel: Channel): boolean {
    return channel.connection.channels.get(channel.topic) === channel
  }

  add(channel: Channel): void {
    channel.connection.channels.set(channel.topic, channel)
    const room = roomOf(channel.topic, channel.isPrivate)
    let members = this.rooms.get(room)
    if (!members) this.rooms.set(room, (members = new Set()))
    members.add(channel)
  }

  /** Drops a channel; `notify` tells the client with phx_close, as Phoenix does when a channel stops. */
  close(channel: Channel, notify: boolean): void {
    const { connection, topic } = channel
    if (!this.isOpen(channel)) return
    connection.channels.delete(topic)
    channel.cancelTokenCheck()
    if (channel.subscriber) this.delivery.remove(channel.subscriber)
    const room = roomOf(topic, channel.isPrivate)
    const members = this.rooms.get(room)
    members?.delete(channel)
    if (members?.size === 0) this.rooms.delete(room)
    if (channel.presence) {
      announcePresence(this.audience(topic, channel.isPrivate, 'presence'), channel, [], [channel.presence])
    }
    if (notify)
      send(connection, {
        joinRef: channel.joinRef,
        ref: channel.joinRef,
        topic,
        event: 'phx_close',
        payload: {},
      })
    connection.logger.debug('realtime channel closed', { topic })
  }

  /** Hosted Realtime's channel shutdown: a system error the client can show, then phx_close. */
  shutdown(channel: Channel, message: string): void {
    systemMessage(channel, 'system', 'error', message)
    channel.connection.logger.warn('realtime channel shut down', { topic: channel.topic, reason: message })
    this.close(channel, true)
  }
}
