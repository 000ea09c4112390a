import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { PGlite } from '@electric-sql/pglite'
import type { Hono } from 'hono'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import type { Logger } from '../../src/shared/log.ts'
import { fromBrowser } from '../api-key-gateway.ts'
import { originRefusedMessage, type BrowserOrigins } from '../browser-origins.ts'
import type { JwtKeys } from '../keys.ts'
import { installCapture, followChanges } from './capture.ts'
import { createChannelAuthorization } from './channel-authorization.ts'
import { joinChannel, type JoinContext } from './channel-join.ts'
import { ChannelRegistry } from './channels.ts'
import { systemClock, type Clock } from './clock.ts'
import { reply, type Connection } from './connection.ts'
import { ChangeDelivery } from './delivery.ts'
import { handleClientBroadcast } from './broadcast.ts'
import { createBroadcastApi } from './broadcast-api.ts'
import { followDatabaseBroadcasts } from './database-broadcast.ts'
import { createTokenVerifier, handshakeRefusal } from './jwt.ts'
import { decodeFrame, supportedVsns, type Decoded, type Vsn } from './phoenix-messages.ts'
import { createPresence } from './presence.ts'
import { installRlsVisibility } from './rls-visibility.ts'

export interface RealtimeServerOptions {
  db: PGlite
  /** The project's keys: tokens and API keys are judged by them. */
  jwt: Pick<JwtKeys, 'verification' | 'apiKeyRole' | 'roleToken'>
  logger: Logger
  /** A browser always sends Origin with a WebSocket; `refused` turns every such upgrade away. */
  browserOrigins: BrowserOrigins
  /**
   * A socket that sends nothing (not even the client's 25 s heartbeat) for this
   * long is closed, as Phoenix's 60 s transport timeout does, so a vanished client
   * does not keep its channels. Default 60 000.
   */
  idleTimeoutMs?: number
  /** The clock tokens are judged by; the system clock unless a test moves time itself. */
  clock?: Clock
}

export interface RealtimeServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Realtime's REST API, mounted at `/realtime/v1/api`. */
  api: Hono
  close(): Promise<void>
}

/** Frames above this are refused by ws with close code 1009; a realtime message is small. */
const maxFrameBytes = 1024 * 1024
const closeGraceMs = 1_000

function rejectUpgrade(socket: Duplex, status: number, statusText: string, error: string): void {
  const body = JSON.stringify({ error })
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers()
  for (const name of ['origin', 'user-agent']) {
    const value = req.headers[name]
    if (typeof value === 'string') headers.set(name, value)
  }
  return headers
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/**
 * Supabase Realtime's Phoenix channel protocol over `ws`, for postgres_changes
 * (with per-subscriber RLS), broadcast and presence on public channels and on
 * private ones that RLS on realtime.messages allows. This
 * module is the transport: the handshake, each socket's frame queue, the idle
 * timeout and shutdown; the channel modules do the rest.
 */
export async function createRealtimeServer(options: RealtimeServerOptions): Promise<RealtimeServer> {
  const { db, logger } = options
  const clock = options.clock ?? systemClock
  const tokens = createTokenVerifier(options.jwt, clock)
  const delivery = new ChangeDelivery(db, logger)
  const channels = new ChannelRegistry(delivery)
  const authorization = createChannelAuthorization(db, tokens, channels, clock)
  const presence = createPresence(channels, db)
  const connections = new Set<Connection>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false })
  let closed = false
  const joins: JoinContext = { db, tokens, channels, authorization, delivery, closing: () => closed }

  await installCapture(db)
  await installRlsVisibility(db)

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

  const changes = await followChanges(db, delivery, logger)
  const databaseBroadcasts = await followDatabaseBroadcasts(db, channels, logger)

  const handleFrame = async (connection: Connection, decoded: Decoded) => {
    if (!decoded.ok) {
      connection.logger.warn('realtime frame refused', { reason: decoded.reason })
      if (decoded.topic) {
        const to = { topic: decoded.topic, ref: decoded.ref ?? null, joinRef: decoded.joinRef ?? null }
        reply(connection, to, 'error', { reason: `malformed message: ${decoded.reason}` })
      }
      return
    }
    const { message } = decoded
    if (message.topic === 'phoenix') {
      if (message.event === 'heartbeat') return reply(connection, message, 'ok', {})
      return reply(connection, message, 'error', { reason: 'unmatched topic' })
    }
    if (message.event === 'phx_join') return joinChannel(joins, connection, message)
    const channel = connection.channels.get(message.topic)
    if (!channel) return reply(connection, message, 'error', { reason: 'unmatched topic' })
    switch (message.event) {
      case 'phx_leave':
        reply(connection, message, 'ok', {})
        return channels.close(channel, true)
      case 'access_token':
        return authorization.update(channel, message.payload)
      case 'broadcast':
        return handleClientBroadcast(db, channels, channel, message, decoded.binary)
      case 'presence':
        return presence.handle(channel, message)
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
      for (const channel of [...connection.channels.values()]) channels.close(channel, false)
      connection.logger.debug('realtime socket closed')
    })
    connection.logger.debug('realtime socket connected', { vsn })
  }

  return {
    handleUpgrade(req, socket, head) {
      if (closed) return rejectUpgrade(socket, 503, 'Service Unavailable', 'Realtime is shutting down')
      if (options.browserOrigins === 'refused' && req.headers.origin !== undefined) {
        logger.warn('realtime connection from a web page refused', { origin: req.headers.origin })
        return rejectUpgrade(socket, 403, 'Forbidden', originRefusedMessage)
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const vsn = url.searchParams.get('vsn') ?? '1.0.0'
      if (!(supportedVsns as readonly string[]).includes(vsn)) {
        return rejectUpgrade(socket, 400, 'Bad Request', `Unsupported serializer version: ${vsn}`)
      }
      const header = req.headers['x-api-key']
      const apikey = (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('apikey')
      if (!apikey) return rejectUpgrade(socket, 401, 'Unauthorized', 'API key is missing')
      if (options.jwt.apiKeyRole(apikey) === 'service_role' && fromBrowser(toHeaders(req)))
        return rejectUpgrade(socket, 401, 'Unauthorized', 'Forbidden use of secret API key in browser')
      // The socket may drop while the token is checked; without a listener that would throw.
      const onSocketError = (error: Error) => logger.debug('realtime upgrade socket error', { error })
      socket.on('error', onSocketError)
      void tokens.verify(apikey).then((check) => {
        socket.off('error', onSocketError)
        if (socket.destroyed) return
        if (closed) return rejectUpgrade(socket, 503, 'Service Unavailable', 'Realtime is shutting down')
        if (!check.ok) {
          logger.warn('realtime connection refused', { reason: check.message })
          return rejectUpgrade(socket, 401, 'Unauthorized', handshakeRefusal(check))
        }
        wss.handleUpgrade(req, socket, head, (ws) => accept(ws, vsn as Vsn, apikey))
      })
    },

    api: createBroadcastApi({ db, tokens, channels, logger }),

    async close() {
      if (closed) return
      closed = true
      clearInterval(idleSweep)
      await changes.stop()
      await databaseBroadcasts.stop()
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
      await changes.drained()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      logger.info('realtime stopped')
    },
  }
}
