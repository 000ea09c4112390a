import type { Channel } from './connection.ts'
import { send, systemMessage } from './connection.ts'
import type { ChangeDelivery } from './delivery.ts'
import { announcePresence } from './presence.ts'

/** The joined channels of every socket, by topic, so broadcast and presence reach a topic's members. */
export class ChannelRegistry {
  private readonly topics = new Map<string, Set<Channel>>()
  private readonly delivery: ChangeDelivery

  constructor(delivery: ChangeDelivery) {
    this.delivery = delivery
  }

  members(topic: string): Iterable<Channel> {
    return this.topics.get(topic) ?? []
  }

  /** Whether the channel is still joined: not left, replaced by a rejoin, or closed with its socket. */
  isOpen(channel: Channel): boolean {
    return channel.connection.channels.get(channel.topic) === channel
  }

  add(channel: Channel): void {
    channel.connection.channels.set(channel.topic, channel)
    let members = this.topics.get(channel.topic)
    if (!members) this.topics.set(channel.topic, (members = new Set()))
    members.add(channel)
  }

  /** Drops a channel; `notify` tells the client with phx_close, as Phoenix does when a channel stops. */
  close(channel: Channel, notify: boolean): void {
    const { connection, topic } = channel
    if (!this.isOpen(channel)) return
    connection.channels.delete(topic)
    channel.cancelTokenCheck()
    if (channel.subscriber) this.delivery.remove(channel.subscriber)
    const members = this.topics.get(topic)
    members?.delete(channel)
    if (members?.size === 0) this.topics.delete(topic)
    if (channel.presence) announcePresence(this.members(topic), channel, [], [channel.presence])
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
