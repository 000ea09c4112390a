import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../src/shared/log.ts'
import { apiKeyGateway } from './api-key-gateway.ts'
import { originRefusedMessage, type BrowserOrigins } from './browser-origins.ts'
import type { JwtKeys } from './keys.ts'
import type { AuthConfig } from './auth/config.ts'
import type { Outbox } from './auth/outbox.ts'
import { createAuthApp } from './auth/routes.ts'
import { jsonResponse, maxBodyBytes } from './http.ts'
import type { RateGuard } from './rate-limits.ts'
import type { ExposedSchemas } from './rest/exposed-schemas.ts'
import type { RoleSettings } from './rest/role-settings.ts'
import { createRestApp } from './rest/routes.ts'

/** `env` is the Node server's bindings (the socket), so a function can tell its callers apart. */
export type FunctionHandler = (request: Request, env: unknown) => Response | Promise<Response>

export interface ApiOptions {
  db: PGlite
  schemas: ExposedSchemas
  /** The API roles' settings, as PostgREST holds them between reloads. */
  roleSettings: RoleSettings
  logger: Logger
  /** The public base URL, e.g. http://127.0.0.1:54321. */
  url: string
  /** supabase/config.toml's [auth], with any overrides the backend was started with. */
  authConfig: AuthConfig
  outbox: Outbox
  functions: Map<string, FunctionHandler>
  rateGuard: RateGuard
  jwt: JwtKeys
  browserOrigins: BrowserOrigins
  /** Realtime's REST API, answered by the realtime server that holds the channels. */
  realtimeApi: Hono
}

const functionsPrefix = '/functions/v1/'

/**
 * Forwards `/functions/v1/<name>/<rest>` to the mounted handler as `/<rest>` on the
 * same origin, the way the Supabase edge runtime presents a request to a function.
 * The stripped prefix travels in `x-forwarded-prefix`, so a handler that must
 * rebuild the public URL (e.g. to check a Twilio signature) can.
 */
async function forwardToFunction(c: Context, functions: Map<string, FunctionHandler>): Promise<Response> {
  const incoming = new URL(c.req.url)
  const tail = incoming.pathname.slice(functionsPrefix.length)
  const slash = tail.indexOf('/')
  const name = decodeURIComponent(slash < 0 ? tail : tail.slice(0, slash))
  const handler = functions.get(name)
  if (!handler) return jsonResponse({ code: 'NOT_FOUND', message: `Function ${name} not found` }, 404)
  const target = new URL(incoming)
  target.pathname = slash < 0 ? '/' : tail.slice(slash)
  const headers = new Headers(c.req.raw.headers)
  headers.set('x-forwarded-prefix', `${functionsPrefix}${name}`)
  const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD'
  const request = new Request(target, {
    method: c.req.method,
    headers,
    body: hasBody ? c.req.raw.body : null,
    signal: c.req.raw.signal,
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit)
  return handler(request, c.env)
}

const maxDiscardBytes = 64 * 1024 * 1024
const maxDiscardMs = 10_000

function tooLarge(path: string): Response {
  // The client may not have finished sending; it must not reuse this connection.
  const headers = { connection: 'close' }
  return path.startsWith('/auth/')
    ? jsonResponse(
        {
          code: 413,
          error_code: 'request_too_large',
          msg: `Request body must be at most ${maxBodyBytes} bytes`,
        },
        413,
        headers,
      )
    : jsonResponse(
        {
          code: 'PGRST413',
          message: 'Payload Too Large',
          details: `The request body is larger than ${maxBodyBytes} bytes`,
          hint: null,
        },
        413,
        headers,
      )
}

/**
 * Refuses bodies over `maxBodyBytes` with 413, whether declared by Content-Length
 * or streamed in chunks. A refused upload is read to its end (bounded in bytes and
 * time) before answering: answering mid-upload makes the client see a reset
 * connection instead of the 413.
 */
const limitBody: MiddlewareHandler = async (c, next) => {
  // Reading `body` makes the Node adapter build a full Request and stream the body through
  // it, which costs a small write a tenth of its time. A GET or HEAD has no body, and one
  // whose declared length is within the limit is bounded by Node's parser to that length
  // and read later straight from the socket; only the rest are counted here.
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
  const declared = c.req.header('content-length')
  if (declared !== undefined && !c.req.header('transfer-encoding') && Number(declared) <= maxBodyBytes)
    return next()
  const body = c.req.raw.body
  if (!body) return next()

  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBodyBytes) {
      const deadline = Date.now() + maxDiscardMs
      while (size <= maxDiscardBytes && Date.now() < deadline) {
        const rest = await reader.read()
        if (rest.done) return tooLarge(c.req.path)
        size += rest.value.length
      }
      await reader.cancel()
      return tooLarge(c.req.path)
    }
    chunks.push(value)
  }
  c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks) })
  return next()
}

export function createApiApp(options: ApiOptions): Hono {
  const { logger } = options
  const app = new Hono()

  // Functions answer CORS for themselves, as on hosted Supabase: the relay keeps it closed.
  const apiCors = cors({
    origin: '*',
    allowHeaders: [
      'authorization',
      'apikey',
      'x-client-info',
      'content-type',
      'prefer',
      'range',
      'range-unit',
      'accept',
      'accept-profile',
      'content-profile',
      'x-supabase-api-version',
    ],
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['content-range', 'x-supabase-api-version', 'content-location'],
    maxAge: 86400,
  })
  // Only a browser's cross-origin request carries Origin, and only it reads CORS headers:
  // skipping the rest spares every other request hono's copying of preset headers.
  app.use('*', (c, next) => {
    if (!c.req.raw.headers.has('origin')) return next()
    if (options.browserOrigins === 'refused') {
      logger.warn('refused a request from a web page', { origin: c.req.header('origin'), path: c.req.path })
      return Promise.resolve(jsonResponse({ code: 'origin_refused', message: originRefusedMessage }, 403))
    }
    return c.req.path.startsWith(functionsPrefix) ? next() : apiCors(c, next)
  })
  app.use('*', async (c, next) => {
    const started = performance.now()
    await next()
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    }
    if (c.res.status >= 500) logger.error('request failed', fields)
    else logger.debug('request', fields)
  })
  // GoTrue's JWKS is public: a verifier needs no key to fetch it.
  app.get('/auth/v1/.well-known/jwks.json', (c) =>
    c.json(options.jwt.jwks, 200, { 'cache-control': 'public, max-age=600' }),
  )
  const gateway = apiKeyGateway(options.jwt)
  app.use('/rest/v1/*', gateway)
  app.use('/auth/v1/*', gateway)
  app.use('/realtime/v1/api/*', gateway)
  // Counted before a body is read, so a refused flood costs no more than its headers.
  app.use('/rest/v1/*', options.rateGuard.middleware)
  app.use('/auth/v1/*', options.rateGuard.middleware)
  app.use('/realtime/v1/api/*', options.rateGuard.middleware)
  app.use('/rest/v1/*', limitBody)
  app.use('/auth/v1/*', limitBody)
  app.use('/realtime/v1/api/*', limitBody)

  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.route(
    '/auth/v1',
    createAuthApp({
      db: options.db,
      logger: logger.child({ api: 'auth' }),
      issuer: `${options.url}/auth/v1`,
      config: options.authConfig,
      outbox: options.outbox,
      signInAllowed: options.rateGuard.signIn,
      jwt: options.jwt,
    }),
  )
  app.route(
    '/rest/v1',
    createRestApp({
      db: options.db,
      schemas: options.schemas,
      logger: logger.child({ api: 'rest' }),
      jwt: options.jwt,
      roleSettings: options.roleSettings,
    }),
  )
  app.route('/realtime/v1/api', options.realtimeApi)
  app.all(`${functionsPrefix}*`, (c) => forwardToFunction(c, options.functions))

  app.notFound((c) =>
    jsonResponse({ code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` }, 404),
  )
  app.onError((error, c) => {
    logger.error('unhandled error', { method: c.req.method, path: c.req.path, error })
    return jsonResponse({ code: 'internal', message: 'Internal server error' }, 500)
  })
  return app
}
