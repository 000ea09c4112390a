import { randomUUID } from 'node:crypto'
import type { PGlite } from '@electric-sql/pglite'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { channelToken, type ChannelAuthorization } from './channel-authorization.ts'
import type { ChannelRegistry } from './channels.ts'
import { push, reply, sendFrame, systemMessage, type Channel, type Connection } from './connection.ts'
import { subscriberIdentity, type ChangeDelivery } from './delivery.ts'
import { joinRefusalReason, type TokenVerifier } from './jwt.ts'
import { encodePostgresChanges, type PhoenixMessage } from './phoenix-messages.ts'
import { presenceState } from './presence.ts'
import {
  postgresChangeParamsSchema,
  resolveSubscription,
  subscriptionId,
  type PostgresChangeParams,
  type ResolvedSubscription,
} from './subscriptions.ts'
import { privatePolicies, type TopicExtension, type TopicPolicies } from './topic-policies.ts'

const joinPayloadSchema = z
  .object({
    config: z
      .object({
        broadcast: z.object({ self: z.boolean().optional(), ack: z.boolean().optional() }).loose().optional(),
        presence: z
          .object({ key: z.string().optional(), enabled: z.boolean().optional() })
          .loose()
          .optional(),
        postgres_changes: z.array(postgresChangeParamsSchema.nullable()).optional(),
        private: z.boolean().optional(),
      })
      .loose()
      .optional(),
  })
  .loose()

export interface JoinContext {
  db: PGlite
  tokens: TokenVerifier
  channels: ChannelRegistry
  authorization: ChannelAuthorization
  delivery: ChangeDelivery
  /** Whether the server is closing: a join that finishes after that is dropped. */
  closing(): boolean
}

/** The token from a join payload, taken even when its config is malformed, as hosted does. */
function joinToken(payload: Record<string, unknown>): string | undefined {
  if (typeof payload.access_token === 'string') return payload.access_token
  if (typeof payload.user_token === 'string') return payload.user_token
  return undefined
}

/** The bindings resolved for the joining role, or the first one's error. */
async function resolveBindings(
  db: PGlite,
  params: PostgresChangeParams[],
  role: string,
): Promise<{ resolved: ResolvedSubscription[]; error: string | undefined }> {
  const resolved: ResolvedSubscription[] = []
  for (const entry of params) {
    const result = await resolveSubscription(db, entry, role)
    if (!result.ok) return { resolved, error: result.message }
    resolved.push(result.subscription)
  }
  return { resolved, error: undefined }
}

/**
 * `phx_join`: checks the topic and the token, authorises the channel, resolves its
 * postgres_changes bindings against the catalog for the token's role, and answers
 * as hosted Realtime does (the reply, then the system message of the bindings).
 * A rejoin of a topic replaces the channel that held it.
 */
export async function joinChannel(
  context: JoinContext,
  connection: Connection,
  message: PhoenixMessage,
): Promise<void> {
  const { channels } = context
  const { topic } = message
  if (!topic.startsWith('realtime:'))
    return reply(connection, message, 'error', { reason: 'unmatched topic' })
  const subTopic = topic.slice('realtime:'.length)
  if (subTopic === '') {
    return reply(connection, message, 'error', { reason: 'TopicNameRequired: You must provide a topic name' })
  }
  const existing = connection.channels.get(topic)
  if (existing) channels.close(existing, true)

  const parsed = joinPayloadSchema.safeParse(message.payload)
  if (!parsed.success) connection.logger.warn('realtime join payload invalid, using defaults', { topic })
  const config = (parsed.success ? parsed.data : {}).config ?? {}
  const token = channelToken(connection, joinToken(message.payload))
  const check = await context.tokens.verify(token)
  if (!check.ok) return reply(connection, message, 'error', { reason: joinRefusalReason(check) })
  const { claims } = check
  const isPrivate = config.private === true
  let policies: TopicPolicies | undefined
  if (isPrivate) {
    const extensions: TopicExtension[] = config.presence?.enabled ? ['broadcast', 'presence'] : ['broadcast']
    const checked = await privatePolicies(context.db, subTopic, claims, extensions)
    if (!checked.ok) return reply(connection, message, 'error', { reason: checked.reason })
    policies = checked.policies
  }

  const params = (config.postgres_changes ?? []).filter(
    (entry): entry is PostgresChangeParams => entry !== null,
  )
  const bindings = await resolveBindings(context.db, params, claims.role)
  if (context.closing() || connection.ws.readyState !== WebSocket.OPEN) return

  const channel: Channel = {
    connection,
    topic,
    subTopic,
    joinRef: message.joinRef ?? message.ref,
    token,
    claims,
    isPrivate,
    policies,
    broadcastSelf: config.broadcast?.self === true,
    broadcastAck: config.broadcast?.ack === true,
    presenceKey: config.presence?.key || randomUUID(),
    presence: undefined,
    subscriber: undefined,
    cancelTokenCheck: () => {},
  }
  channels.add(channel)
  context.authorization.watch(channel)

  if (params.length > 0 && !bindings.error) {
    channel.subscriber = {
      ...subscriberIdentity(claims),
      subscriptions: bindings.resolved,
      send: (ids, dataJson) =>
        sendFrame(connection, encodePostgresChanges(connection.vsn, topic, ids, dataJson)),
    }
    context.delivery.add(channel.subscriber)
  }
  reply(connection, message, 'ok', {
    postgres_changes: params.map((entry) => ({ ...entry, id: subscriptionId(entry) })),
  })
  if (params.length > 0) {
    if (bindings.error) systemMessage(channel, 'postgres_changes', 'error', bindings.error)
    else systemMessage(channel, 'postgres_changes', 'ok', 'Subscribed to PostgreSQL')
  }
  if (config.presence?.enabled && (!policies || policies.presence.read)) {
    push(channel, 'presence_state', presenceState(channels.audience(topic, isPrivate, 'presence')))
  }
  connection.logger.debug('realtime channel joined', { topic, role: claims.role, bindings: params.length })
}
