import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, resolve, sep } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  clientFrameSchema,
  sessionRequestSchema,
  shellPaths,
  shellProtocol,
  tabSecretProtocolPrefix,
  type HostFrame,
} from '../../shared/browser-shell-protocol.ts'
import { isRequestChannel, requests, type EventChannel, type RequestChannel } from '../../shared/contract.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import { describeIssues } from '../core/dispatch.ts'
import type { ShellSessions } from './shell-sessions.ts'

/** What the host needs from the main-process services: the same surface Electron's IPC layer uses. */
export interface ShellCore {
  dispatch(channel: RequestChannel, payload: unknown): Promise<Result<unknown>>
  subscribe(listener: (event: EventChannel, payload: unknown) => void): () => void
}

export interface ShellServerOptions<C extends ShellCore> {
  /** Called once the port is bound: a taken port fails before any service starts. */
  startCore(): C | Promise<C>
  /** The built renderer (electron-vite's out/renderer). */
  rendererDir: string
  /** The tabs let in so far, kept across restarts of the host. */
  sessions: ShellSessions
  port?: number
  logger: Logger
}

export interface ShellServer<C extends ShellCore = ShellCore> {
  /** The services startCore gave. */
  core: C
  /** The URL to open, with a launch token that works once. Print it for the user; never log it. */
  url: string
  /** Another launch link, for another tab; it too works once. */
  newLaunchUrl(): string
  origin: string
  port: number
  close(): Promise<void>
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'"

const maxFrameBytes = 1024 * 1024

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The tab secret among the socket's offered subprotocols, if any. */
function offeredSecret(request: IncomingMessage): string | null {
  for (const protocol of (request.headers['sec-websocket-protocol'] ?? '').split(',')) {
    const trimmed = protocol.trim()
    if (trimmed.startsWith(tabSecretProtocolPrefix)) return trimmed.slice(tabSecretProtocolPrefix.length)
  }
  return null
}

const maxSessionBodyBytes = 1024

async function readSmallBody(request: IncomingMessage): Promise<string | null> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxSessionBodyBytes) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The browser shell's host: serves the built renderer and carries the app contract
 * over a WebSocket on 127.0.0.1. Only the person who launched it gets in, and no
 * page on another port: cookies ignore ports, so nothing here is a cookie. The page
 * opened by the launch link POSTs its token (once; a second use is refused) from
 * its own origin for a per-tab secret, keeps it in sessionStorage (which only its
 * own origin, port included, can read) and offers it as a socket subprotocol; the
 * socket also requires the page's own Origin and Host.
 */
export async function startShellServer<C extends ShellCore>(
  options: ShellServerOptions<C>,
): Promise<ShellServer<C>> {
  const { logger, sessions } = options
  let core: ShellCore | null = null
  const rendererDir = resolve(options.rendererDir)
  /** Each launch token of this run, and whether a tab has used it. */
  const launchTokens = new Map<string, { used: boolean }>()
  const findToken = (given: string) => {
    for (const [token, state] of launchTokens) if (sameSecret(given, token)) return state
    return null
  }
  const sockets = new Set<WebSocket>()
  let port = 0
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = () => allowedHosts().map((host) => `http://${host}`)
  const fromOwnOrigin = (request: IncomingMessage) =>
    allowedHosts().includes(request.headers.host ?? '') &&
    allowedOrigins().includes(request.headers.origin ?? '')

  const send = (
    response: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, {
      'content-type': type,
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      ...headers,
    })
    response.end(body)
  }

  const refusedPage = (message: string) =>
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>SMS Inbox</title><body style="font:15px system-ui;margin:15vh auto;max-width:34em;padding:0 1em"><h1>SMS Inbox</h1><p>${message}</p></body></html>`

  const serveFile = async (response: ServerResponse, relative: string) => {
    const path = resolve(rendererDir, `.${relative}`)
    if (path !== rendererDir && !path.startsWith(rendererDir + sep))
      return send(response, 404, 'text/plain', 'Not found')
    try {
      const info = await stat(path)
      if (!info.isFile()) return send(response, 404, 'text/plain', 'Not found')
      const type = contentTypes[extname(path)] ?? 'application/octet-stream'
      const cache = relative.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store'
      send(response, 200, type, await readFile(path), { 'cache-control': cache })
    } catch {
      send(response, 404, 'text/plain', 'Not found')
    }
  }

  const sendJson = (response: ServerResponse, status: number, body: unknown) =>
    send(response, status, 'application/json', JSON.stringify(body), { 'cache-control': 'no-store' })

  /** The launch token for a tab secret: once, from this host's own page, as JSON (so never a plain form post). */
  const exchange = async (request: IncomingMessage, response: ServerResponse) => {
    if (!fromOwnOrigin(request) || request.headers['content-type'] !== 'application/json') {
      logger.warn('browser shell refused a session request', { origin: request.headers.origin })
      return sendJson(response, 403, err('unauthorized', 'Only the app’s own page can ask for a session.'))
    }
    const text = await readSmallBody(request)
    let json: unknown = null
    try {
      json = text === null ? null : JSON.parse(text)
    } catch {
      // Not JSON: refused below like any other malformed body.
    }
    const body = sessionRequestSchema.safeParse(json)
    if (!body.success) return sendJson(response, 400, err('invalid_input', 'Malformed session request.'))
    const token = findToken(body.data.token)
    if (!token || token.used) {
      logger.warn('browser shell refused a launch token', { reason: token ? 'used' : 'unknown' })
      return sendJson(
        response,
        403,
        err(
          'unauthorized',
          token
            ? 'This link has been used already. Each link works once: open the tab that used it, or restart SMS Inbox for a new one.'
            : 'This link is not valid for the running app. Use the link printed where you started SMS Inbox.',
        ),
      )
    }
    token.used = true
    return sendJson(response, 200, ok({ secret: sessions.issue() }))
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://host.invalid')
      if (!allowedHosts().includes(request.headers.host ?? '')) {
        return send(response, 421, 'text/plain', 'Unknown host')
      }
      if (url.pathname === shellPaths.session && request.method === 'POST') return exchange(request, response)
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return send(response, 405, 'text/plain', 'Method not allowed')
      if (url.pathname === '/' || url.pathname === '/index.html') {
        // The page holds no secret of its own (its tab secret lives in sessionStorage), so a
        // link without a token still gets it; its socket is what gets in, or is refused.
        const given = url.searchParams.get('token')
        const token = given === null ? null : findToken(given)
        if (given !== null && (!token || token.used)) {
          logger.warn('browser shell refused a launch link', { reason: token ? 'used' : 'unknown' })
          return send(
            response,
            403,
            'text/html; charset=utf-8',
            refusedPage(
              token
                ? 'This link has been used already: each link works once. Go back to the tab that opened it, or restart SMS Inbox for a new link.'
                : 'This link is not valid for the running app. Use the link printed where you started SMS Inbox.',
            ),
            { 'cache-control': 'no-store' },
          )
        }
        return serveFile(response, '/index.html')
      }
      return serveFile(response, url.pathname)
    })().catch((error: unknown) => {
      logger.error('browser shell request failed', { error })
      if (!response.headersSent) send(response, 500, 'text/plain', 'Internal error')
    })
  })

  const sockServer = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    // The answer names the app's protocol, never the secret offered beside it.
    handleProtocols: (offered) => (offered.has(shellProtocol) ? shellProtocol : false),
  })

  const reply = (socket: WebSocket, frame: HostFrame) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame))
  }

  const handle = async (socket: WebSocket, raw: string) => {
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      return
    }
    const frame = clientFrameSchema.safeParse(json)
    if (!frame.success) {
      const id = (json as { id?: unknown } | null)?.id
      if (typeof id === 'number')
        reply(socket, { type: 'reply', id, reply: err('invalid_input', 'Malformed request frame.') })
      return
    }
    const { id, channel, payload } = frame.data
    if (!isRequestChannel(channel)) {
      return reply(socket, {
        type: 'reply',
        id,
        reply: err('invalid_input', `Unknown request channel "${channel}".`),
      })
    }
    const parsed = requests[channel].request.safeParse(payload)
    // Worded as the core's gate words it, so an agent reads the same refusal in either shell.
    if (!parsed.success)
      return reply(socket, { type: 'reply', id, reply: err('invalid_input', describeIssues(parsed.error)) })
    let result: Result<unknown>
    try {
      if (!core) throw new Error('a request before the services started')
      result = await core.dispatch(channel, parsed.data)
    } catch (error) {
      logger.error('core dispatch threw', { channel, error })
      result = err('internal', 'Something went wrong in the app. Try again.')
    }
    reply(socket, { type: 'reply', id, reply: result })
  }

  sockServer.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('message', (data, isBinary) => {
      if (isBinary) return
      void handle(socket, data.toString())
    })
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => sockets.delete(socket))
  })

  const refuseUpgrade = (socket: Duplex, reason: string) => {
    logger.warn('browser shell refused a socket', { reason })
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    socket.destroy()
  }

  server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://host.invalid').pathname
    if (path !== shellPaths.socket) return refuseUpgrade(socket, 'path')
    if (!allowedHosts().includes(request.headers.host ?? '')) return refuseUpgrade(socket, 'host')
    if (!allowedOrigins().includes(request.headers.origin ?? '')) return refuseUpgrade(socket, 'origin')
    const secret = offeredSecret(request)
    if (secret === null || !sessions.has(secret)) return refuseUpgrade(socket, 'secret')
    sockServer.handleUpgrade(request, socket, head, (ws) => sockServer.emit('connection', ws, request))
  })

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  let unsubscribe: () => void
  let started: C
  try {
    started = await options.startCore()
    unsubscribe = started.subscribe((event, payload) => {
      const frame = JSON.stringify({ type: 'event', event, payload } satisfies HostFrame)
      for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(frame)
    })
    core = started
  } catch (error) {
    await new Promise<void>((done) => server.close(() => done()))
    throw error
  }
  logger.info('browser shell listening', { origin })
  const newLaunchUrl = () => {
    const token = randomBytes(32).toString('base64url')
    launchTokens.set(token, { used: false })
    return `${origin}/?token=${token}`
  }

  return {
    core: started,
    url: newLaunchUrl(),
    newLaunchUrl,
    origin,
    port,
    async close() {
      unsubscribe()
      for (const socket of sockets) socket.terminate()
      sockServer.close()
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    },
  }
}
