import type { PGlite } from '@electric-sql/pglite'
import type { ChannelRegistry } from './channels.ts'
import type { Clock } from './clock.ts'
import type { Channel, Connection } from './connection.ts'
import { subscriberIdentity } from './delivery.ts'
import type { TokenVerifier } from './jwt.ts'
import { privatePolicies, type TopicExtension } from './topic-policies.ts'

/** Hosted Realtime re-checks a channel's token at least this often, and exactly at its expiry. */
const confirmTokenMs = 5 * 60_000

/** The token a join carries; an API key (`sb_…`) or none means the socket's own. */
export const channelToken = (connection: Connection, token: string | undefined): string =>
  token === undefined || token.startsWith('sb_') ? connection.token : token

export interface ChannelAuthorization {
  /** Checks the channel's token again when it expires (and every few minutes), closing the channel once it fails. */
  watch(channel: Channel): void
  /** An `access_token` push: the channel carries on under the new token's claims, or closes if they fail. */
  update(channel: Channel, payload: Record<string, unknown>): Promise<void>
}

/** Keeps each joined channel authorised for as long as it stays open. */
export function createChannelAuthorization(
  db: PGlite,
  tokens: TokenVerifier,
  channels: ChannelRegistry,
  clock: Clock,
): ChannelAuthorization {
  const watch = (channel: Channel) => {
    channel.cancelTokenCheck()
    const delay = Math.max(0, Math.min(confirmTokenMs, tokens.msLeft(channel.claims)))
    channel.cancelTokenCheck = clock.after(delay, () => {
      void tokens.verify(channel.token).then((check) => {
        if (!channels.isOpen(channel)) return
        if (check.ok) {
          channel.claims = check.claims
          watch(channel)
        } else {
          channels.shutdown(channel, check.message)
        }
      })
    })
  }

  return {
    watch,
    async update(channel, payload) {
      const token = payload.access_token
      if (typeof token !== 'string' || token.startsWith('sb_') || token === channel.token) return
      const check = await tokens.verify(token)
      if (!channels.isOpen(channel)) return
      if (!check.ok) return channels.shutdown(channel, check.message)
      if (channel.policies) {
        // The new token's rights are asked afresh, as hosted does on every token change.
        const extensions: TopicExtension[] =
          channel.policies.presence.read === undefined ? ['broadcast'] : ['broadcast', 'presence']
        const checked = await privatePolicies(db, channel.subTopic, check.claims, extensions)
        if (!channels.isOpen(channel)) return
        if (!checked.ok) {
          return channels.shutdown(
            channel,
            `You no longer have permission to read from this Channel topic: ${channel.subTopic}`,
          )
        }
        channel.policies = checked.policies
      }
      channel.token = token
      channel.claims = check.claims
      if (channel.subscriber) Object.assign(channel.subscriber, subscriberIdentity(check.claims))
      watch(channel)
    },
  }
}
