import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { PGlite } from '@electric-sql/pglite'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { z } from 'zod'
import type { Logger } from '../../src/shared/log.ts'
import { secondsLeft, verifyToken, type Claims, type TokenCheck } from './auth.ts'
import { captureChannel, drainChanges, installCapture } from './capture.ts'
import { ChangeDelivery, visibilityKey, type ChangeSubscriber } from './delivery.ts'
import {
  decodeFrame,
  encodeBinaryBroadcast,
  encodeMessage,
  supportedVsns,
  type BinaryBroadcast,
  type Decoded,
  type PhoenixMessage,
  type Vsn,
} from './protocol.ts'
import {
  postgresChangeParamsSchema,
  resolveSubscription,
  subscriptionId,
  type PostgresChangeParams,
} from './subscriptions.ts'

export interface RealtimeServerOptions {
  db: PGlite
  jwtSecret: string
  logger: Logger
  /**
   * A socket that sends nothing (not even the client's 25 s heartbeat) for this
   * long is closed, as Phoenix's 60 s transport timeout does, so a vanished client
   * does not keep its channels. Default 60 000.
   */
  idleTimeoutMs?: number
}

export interface RealtimeServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  close(): Promise<void>
}

/** Frames above this are refused by ws with close code 1009; a realtime message is small. */
const maxFrameBytes = 1024 * 1024
const drainBatch = 2000
/** Hosted Realtime re-checks a channel's token at least this often, and exactly at its expiry. */
const confirmTokenMs = 5 * 60_000
const closeGraceMs = 1_000
const maxBufferedBytes = 16 * 1024 * 1024

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

interface Connection {
  id: string
  ws: WebSocket
  vsn: Vsn
  /** The apikey the socket connected with: a channel's token when its join carries none. */
  token: string
  channels: Map<string, Channel>
  /** Frames are handled one after another, so a join finishes before the leave that follows it. */
  queue: Promise<void>
  lastSeen: number
  logger: Logger
}

interface PresenceMeta {
  phx_ref: string
  [field: string]: unknown
}

interface Channel {
  connection: Connection
  topic: string
  subTopic: string
  joinRef: string | null
  token: string
  claims: Claims
  isPrivate: boolean
  broadcastSelf: boolean
  broadcastAck: boolean
  presenceKey: string
  presence: PresenceMeta | undefined
  subscriber: ChangeSubscriber | undefined
  expiryTimer: NodeJS.Timeout | undefined
}

/** Hosted Realtime's join error reasons: `<Code>: <message>`. */
function tokenErrorReason(check: Exclude<TokenCheck, { ok: true }>): string {
  switch (check.kind) {
    case 'expired':
    case 'missing_claims':
      return `InvalidJWTToken: ${check.message}`
    case 'signature':
      return `JwtSignatureError: ${check.message}`
    case 'malformed':
      return `MalformedJWT: ${check.message}`
  }
}

/** The WebSocket handshake's refusal, as hosted Realtime answers it. */
function connectErrorMessage(check: Exclude<TokenCheck, { ok: true }>): string {
  return check.kind === 'expired' ? 'Token has expired' : check.message
}

function rejectUpgrade(socket: Duplex, status: number, statusText: string, error: string): void {
  const body = JSON.stringify({ error })
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/**
 * Supabase Realtime's Phoenix channel protocol over `ws`, for postgres_changes
 * (with per-subscriber RLS), broadcast and presence on public channels.
 */
export async function createRealtimeServer(options: RealtimeServerOptions): Promise<RealtimeServer> {
  const { db, logger } = options
  const key = new TextEncoder().encode(options.jwtSecret)
  const delivery = new ChangeDelivery(db, logger)
  const connections = new Set<Connection>()
  const topics = new Map<string, Set<Channel>>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false })
  let closed = false
  let presenceRef = 0

  await installCapture(db)

  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000
  const idleSweep = setInterval(
    () => {
      const cutoff = Date.now() - idleTimeoutMs
      for (const connection of connections) {
        if (connection.lastSeen >= cutoff) continue
        connection.logger.info('realtime socket idle, closing', { idleTimeoutMs })
        connection.ws.close(1000, 'heartbeat timeout')
      }
    },
    Math.max(50, Math.min(idleTimeoutMs / 2, 15_000)),
  )
  idleSweep.unref()

  let draining: Promise<void> | undefined
  let drainAgain = false
  const drainAll = async () => {
    do {
      drainAgain = false
      for (;;) {
        const { drained, changes } = await drainChanges(db, drainBatch, delivery.subscribedTables())
        await delivery.deliver(changes)
        if (drained < drainBatch) break
      }
    } while (drainAgain && !closed)
  }
  const scheduleDrain = () => {
    if (closed) return
    if (draining) {
      drainAgain = true
      return
    }
    draining = drainAll()
      .catch((error: unknown) => logger.error('realtime change delivery failed', { error }))
      .finally(() => {
        draining = undefined
      })
  }
  const unlisten = await db.listen(captureChannel, scheduleDrain)

  /**
   * Every frame leaves through here. A client that stops reading would otherwise make
   * the server buffer its events without bound; past the limit it is disconnected
   * and, like any dropped client, reconnects and rejoins.
   */
  const sendFrame = (connection: Connection, frame: string | Buffer) => {
    if (connection.ws.readyState !== WebSocket.OPEN) return
    if (connection.ws.bufferedAmount > maxBufferedBytes) {
      connection.logger.warn('realtime client too slow, closing', { buffered: connection.ws.bufferedAmount })
      connection.ws.close(1013, 'client too slow')
      return
    }
    connection.ws.send(frame)
  }
  const send = (connection: Connection, message: PhoenixMessage) =>
    sendFrame(connection, encodeMessage(connection.vsn, message))
  const reply = (
    connection: Connection,
    to: { topic: string; ref: string | null; joinRef: string | null },
    status: 'ok' | 'error',
    response: Record<string, unknown>,
  ) =>
    send(connection, {
      joinRef: to.joinRef,
      ref: to.ref,
      topic: to.topic,
      event: 'phx_reply',
      payload: { status, response },
    })
  const push = (channel: Channel, event: string, payload: Record<string, unknown>) =>
    send(channel.connection, { joinRef: channel.joinRef, ref: null, topic: channel.topic, event, payload })
  const systemMessage = (channel: Channel, extension: string, status: 'ok' | 'error', message: string) =>
    push(channel, 'system', { extension, status, message, channel: channel.subTopic })

  const presenceState = (topic: string) => {
    const state: Record<string, { metas: PresenceMeta[] }> = {}
    for (const channel of topics.get(topic) ?? []) {
      if (!channel.presence) continue
      ;(state[channel.presenceKey] ??= { metas: [] }).metas.push(channel.presence)
    }
    return state
  }
  const presenceDiff = (channel: Channel, joins: PresenceMeta[], leaves: PresenceMeta[]) => {
    const group = (metas: PresenceMeta[]) => (metas.length > 0 ? { [channel.presenceKey]: { metas } } : {})
    for (const member of topics.get(channel.topic) ?? []) {
      push(member, 'presence_diff', { joins: group(joins), leaves: group(leaves) })
    }
  }

  /** Drops a channel; `notify` tells the client with phx_close, as Phoenix does when a channel stops. */
  const closeChannel = (channel: Channel, notify: boolean) => {
    const { connection, topic } = channel
    if (connection.channels.get(topic) !== channel) return
    connection.channels.delete(topic)
    clearTimeout(channel.expiryTimer)
    if (channel.subscriber) delivery.remove(channel.subscriber)
    const members = topics.get(topic)
    members?.delete(channel)
    if (members?.size === 0) topics.delete(topic)
    if (channel.presence) presenceDiff(channel, [], [channel.presence])
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
  const shutdownChannel = (channel: Channel, message: string) => {
    systemMessage(channel, 'system', 'error', message)
    channel.connection.logger.warn('realtime channel shut down', { topic: channel.topic, reason: message })
    closeChannel(channel, true)
  }

  const scheduleTokenCheck = (channel: Channel) => {
    clearTimeout(channel.expiryTimer)
    const delay = Math.max(0, Math.min(confirmTokenMs, secondsLeft(channel.claims) * 1000))
    channel.expiryTimer = setTimeout(() => {
      void verifyToken(channel.token, key).then((check) => {
        if (channel.connection.channels.get(channel.topic) !== channel) return
        if (check.ok) {
          channel.claims = check.claims
          scheduleTokenCheck(channel)
        } else {
          shutdownChannel(channel, check.message)
        }
      })
    }, delay)
    channel.expiryTimer.unref()
  }

  const channelToken = (connection: Connection, token: string | undefined) =>
    token === undefined || token.startsWith('sb_') ? connection.token : token

  const join = async (connection: Connection, message: PhoenixMessage) => {
    const { topic } = message
    if (!topic.startsWith('realtime:'))
      return reply(connection, message, 'error', { reason: 'unmatched topic' })
    const subTopic = topic.slice('realtime:'.length)
    if (subTopic === '') {
      return reply(connection, message, 'error', {
        reason: 'TopicNameRequired: You must provide a topic name',
      })
    }
    const existing = connection.channels.get(topic)
    if (existing) closeChannel(existing, true)

    const parsed = joinPayloadSchema.safeParse(message.payload)
    if (!parsed.success) connection.logger.warn('realtime join payload invalid, using defaults', { topic })
    const payload = parsed.success ? parsed.data : {}
    const config = payload.config ?? {}
    // As hosted: the token is taken from the payload even when its config is malformed.
    const raw = message.payload
    const token = channelToken(
      connection,
      typeof raw.access_token === 'string'
        ? raw.access_token
        : typeof raw.user_token === 'string'
          ? raw.user_token
          : undefined,
    )
    const check = await verifyToken(token, key)
    if (!check.ok) return reply(connection, message, 'error', { reason: tokenErrorReason(check) })
    const claims = check.claims
    const isPrivate = config.private === true
    // Private channels are authorised by RLS on realtime.messages, which this backend does
    // not have; only the service role (which bypasses RLS) may join one.
    if (isPrivate && claims.role !== 'service_role') {
      return reply(connection, message, 'error', {
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
      })
    }

    const params = (config.postgres_changes ?? []).filter(
      (entry): entry is PostgresChangeParams => entry !== null,
    )
    const resolved = []
    let subscribeError: string | undefined
    for (const entry of params) {
      const result = await resolveSubscription(db, entry, claims.role)
      if (!result.ok) {
        subscribeError = result.message
        break
      }
      resolved.push(result.subscription)
    }
    if (closed || connection.ws.readyState !== WebSocket.OPEN) return

    const channel: Channel = {
      connection,
      topic,
      subTopic,
      joinRef: message.joinRef ?? message.ref,
      token,
      claims,
      isPrivate,
      broadcastSelf: config.broadcast?.self === true,
      broadcastAck: config.broadcast?.ack === true,
      presenceKey: config.presence?.key || randomUUID(),
      presence: undefined,
      subscriber: undefined,
      expiryTimer: undefined,
    }
    connection.channels.set(topic, channel)
    let members = topics.get(topic)
    if (!members) topics.set(topic, (members = new Set()))
    members.add(channel)
    scheduleTokenCheck(channel)

    if (params.length > 0 && !subscribeError) {
      channel.subscriber = {
        role: claims.role,
        claimsJson: JSON.stringify(claims),
        visibilityKey: visibilityKey(claims),
        subscriptions: resolved,
        send: (ids, dataJson) => {
          // The data is spliced in as JSON so a change is serialised once for all its subscribers.
          const payload = `{"ids":${JSON.stringify(ids)},"data":${dataJson}}`
          const frame =
            connection.vsn === '1.0.0'
              ? `{"join_ref":null,"ref":null,"topic":${JSON.stringify(topic)},"event":"postgres_changes","payload":${payload}}`
              : `[null,null,${JSON.stringify(topic)},"postgres_changes",${payload}]`
          sendFrame(connection, frame)
        },
      }
      delivery.add(channel.subscriber)
    }
    reply(connection, message, 'ok', {
      postgres_changes: params.map((entry) => ({ ...entry, id: subscriptionId(entry) })),
    })
    if (params.length > 0) {
      if (subscribeError) systemMessage(channel, 'postgres_changes', 'error', subscribeError)
      else systemMessage(channel, 'postgres_changes', 'ok', 'Subscribed to PostgreSQL')
    }
    if (config.presence?.enabled) push(channel, 'presence_state', presenceState(topic))
    connection.logger.debug('realtime channel joined', { topic, role: claims.role, bindings: params.length })
  }

  const updateToken = async (channel: Channel, payload: Record<string, unknown>) => {
    const token = payload.access_token
    if (typeof token !== 'string' || token.startsWith('sb_') || token === channel.token) return
    const check = await verifyToken(token, key)
    if (channel.connection.channels.get(channel.topic) !== channel) return
    if (!check.ok) return shutdownChannel(channel, check.message)
    if (channel.isPrivate && check.claims.role !== 'service_role') {
      return shutdownChannel(
        channel,
        `You no longer have permission to read from this Channel topic: ${channel.subTopic}`,
      )
    }
    channel.token = token
    channel.claims = check.claims
    if (channel.subscriber) {
      channel.subscriber.role = check.claims.role
      channel.subscriber.claimsJson = JSON.stringify(check.claims)
      channel.subscriber.visibilityKey = visibilityKey(check.claims)
    }
    scheduleTokenCheck(channel)
  }

  const broadcast = (channel: Channel, message: PhoenixMessage, binary: BinaryBroadcast | undefined) => {
    const userEvent = message.payload.event
    for (const member of topics.get(channel.topic) ?? []) {
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

  const presence = (channel: Channel, message: PhoenixMessage) => {
    const { event, payload } = message.payload
    if (event === 'track') {
      const meta: PresenceMeta = {
        ...(payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {}),
        phx_ref: String(++presenceRef),
      }
      const previous = channel.presence
      if (previous) meta.phx_ref_prev = previous.phx_ref
      channel.presence = meta
      presenceDiff(channel, [meta], previous ? [previous] : [])
      return reply(channel.connection, message, 'ok', {})
    }
    if (event === 'untrack') {
      const previous = channel.presence
      channel.presence = undefined
      if (previous) presenceDiff(channel, [], [previous])
      return reply(channel.connection, message, 'ok', {})
    }
    reply(channel.connection, message, 'error', { reason: 'Presence event must be track or untrack' })
  }

  const handleFrame = async (connection: Connection, decoded: Decoded) => {
    if (!decoded.ok) {
      connection.logger.warn('realtime frame refused', { reason: decoded.reason })
      if (decoded.topic) {
        reply(
          connection,
          { topic: decoded.topic, ref: decoded.ref ?? null, joinRef: decoded.joinRef ?? null },
          'error',
          {
            reason: `malformed message: ${decoded.reason}`,
          },
        )
      }
      return
    }
    const { message } = decoded
    if (message.topic === 'phoenix') {
      if (message.event === 'heartbeat') return reply(connection, message, 'ok', {})
      return reply(connection, message, 'error', { reason: 'unmatched topic' })
    }
    if (message.event === 'phx_join') return join(connection, message)
    const channel = connection.channels.get(message.topic)
    if (!channel) return reply(connection, message, 'error', { reason: 'unmatched topic' })
    switch (message.event) {
      case 'phx_leave':
        reply(connection, message, 'ok', {})
        return closeChannel(channel, true)
      case 'access_token':
        return updateToken(channel, message.payload)
      case 'broadcast':
        return broadcast(channel, message, decoded.binary)
      case 'presence':
        return presence(channel, message)
      default:
        connection.logger.info('realtime unexpected message from client', {
          topic: message.topic,
          event: message.event,
        })
    }
  }

  const accept = (ws: WebSocket, vsn: Vsn, token: string) => {
    const id = randomUUID()
    const connection: Connection = {
      id,
      ws,
      vsn,
      token,
      channels: new Map(),
      queue: Promise.resolve(),
      lastSeen: Date.now(),
      logger: logger.child({ connection: id }),
    }
    connections.add(connection)
    ws.on('message', (data, isBinary) => {
      connection.lastSeen = Date.now()
      const decoded = decodeFrame(vsn, toBuffer(data), isBinary)
      connection.queue = connection.queue
        .then(() => handleFrame(connection, decoded))
        .catch((error: unknown) => connection.logger.error('realtime frame handling failed', { error }))
    })
    ws.on('error', (error) => connection.logger.warn('realtime socket error', { error }))
    ws.on('close', () => {
      connections.delete(connection)
      for (const channel of [...connection.channels.values()]) closeChannel(channel, false)
      connection.logger.debug('realtime socket closed')
    })
    connection.logger.debug('realtime socket connected', { vsn })
  }

  return {
    handleUpgrade(req, socket, head) {
      if (closed) return rejectUpgrade(socket, 503, 'Service Unavailable', 'Realtime is shutting down')
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const vsn = url.searchParams.get('vsn') ?? '1.0.0'
      if (!(supportedVsns as readonly string[]).includes(vsn)) {
        return rejectUpgrade(socket, 400, 'Bad Request', `Unsupported serializer version: ${vsn}`)
      }
      const header = req.headers['x-api-key']
      const apikey = (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('apikey')
      if (!apikey) return rejectUpgrade(socket, 401, 'Unauthorized', 'API key is missing')
      // The socket may drop while the token is checked; without a listener that would throw.
      const onSocketError = (error: Error) => logger.debug('realtime upgrade socket error', { error })
      socket.on('error', onSocketError)
      void verifyToken(apikey, key).then((check) => {
        socket.off('error', onSocketError)
        if (socket.destroyed) return
        if (closed) return rejectUpgrade(socket, 503, 'Service Unavailable', 'Realtime is shutting down')
        if (!check.ok) {
          logger.warn('realtime connection refused', { reason: check.message })
          return rejectUpgrade(socket, 401, 'Unauthorized', connectErrorMessage(check))
        }
        wss.handleUpgrade(req, socket, head, (ws) => accept(ws, vsn as Vsn, apikey))
      })
    },

    async close() {
      if (closed) return
      closed = true
      clearInterval(idleSweep)
      await unlisten()
      const sockets = [...connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            if (connection.ws.readyState === WebSocket.CLOSED) return resolve()
            const timer = setTimeout(() => {
              connection.ws.terminate()
              resolve()
            }, closeGraceMs)
            connection.ws.once('close', () => {
              clearTimeout(timer)
              resolve()
            })
            connection.ws.close(1001, 'server shutting down')
          }),
      )
      await Promise.all(sockets)
      await draining
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      logger.info('realtime stopped')
    },
  }
}
