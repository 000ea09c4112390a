import type { IncomingMessage } from 'node:http'
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import type { Hono } from 'hono'
import type { PGlite } from '@electric-sql/pglite'
import { createStdoutLogger } from '../logging/logger.ts'
import type { Logger } from '../src/shared/log.ts'
import { readAuthConfig, type AuthConfig } from './auth/config.ts'
import { createOutbox, type Outbox } from './auth/outbox.ts'
import { installAuthSchema } from './auth/schema.ts'
import { startAutovacuum } from './db/autovacuum.ts'
import { defaultSupabaseDir, openDatabase } from './db/database.ts'
import type { BrowserOrigins } from './browser-origins.ts'
import { generateProjectKeys, liveJwtKeys, signApiKey, type ProjectKeys, withAsymmetricKeys } from './keys.ts'
import { createRateGuard, defaultRateLimits, type RateLimits } from './rate-limits.ts'
import { createRealtimeServer } from './realtime/websocket-server.ts'
import { installBounds } from './rest/bounds.ts'
import { readApiConfig } from './rest/api-config.ts'
import { loadExposedSchemas } from './rest/exposed-schemas.ts'
import { watchRoleSettings } from './rest/role-settings.ts'
import { createApiApp, type FunctionHandler } from './server.ts'

export interface LocalBackendOptions {
  /** Default 54321, as `supabase start`; 0 picks a free port. */
  port?: number
  /** Persistent data directory; omitted means in-memory. */
  dataDir?: string
  seed?: boolean
  logger?: Logger
  /** The folder holding migrations/ and seed.sql; defaults to the repository's. A packaged app passes its resources copy. */
  supabaseDir?: string
  /** Where initialized database snapshots are cached; defaults to node_modules/.cache in the repository. */
  snapshotDir?: string
  /** Lifetime of access tokens (GoTrue's JWT_EXP); tests shorten it. Default: config.toml's jwt_expiry. */
  accessTokenTtlSeconds?: number
  /** Settings laid over config.toml's [auth] (e.g. a test turning sign-ups on). */
  auth?: Partial<AuthConfig>
  /** Per-user and per-address request limits; each omitted one keeps its default. */
  rateLimits?: Partial<RateLimits>
  /** The project's keys; omitted means keys generated for this run alone, never well-known ones. */
  keys?: ProjectKeys
  /** Default `refused`: see BrowserOrigins. */
  browserOrigins?: BrowserOrigins
}

export interface LocalBackend {
  url: string
  port: number
  /** For apps: the anon role, within RLS. */
  publishableKey: string
  /** For servers only (the relay): the service role, past RLS. */
  secretKey: string
  /** Where the public signing keys are, as GoTrue serves them. */
  jwksUrl: string
  /** Legacy HS256 keys, still accepted for older clients. */
  anonKey: string
  serviceRoleKey: string
  jwtSecret: string
  /**
   * Rotated keys (keys-file.ts `rotatedKeys`), used from the next request on, with no
   * restart: the new signing key signs, and what the keys still publish keeps verifying.
   */
  useKeys(keys: ProjectKeys): void
  /** The keys in use now, for a rotation to start from. */
  readonly keys: ProjectKeys
  db: PGlite
  /** The emails auth would have sent (confirmations, magic links, invites...), as Inbucket shows them. */
  outbox: Outbox
  mountFunction(name: string, handler: FunctionHandler): void
  stop(): Promise<void>
}

function listen(
  app: { fetch: (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response> },
  port: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }) as Server
    server.once('error', reject)
    server.once('listening', () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

/** The CLI's keys for a config.toml that names its jwt_secret: the legacy anon and service_role keys it signs, beside asymmetric keys. */
async function keysOfSecret(jwtSecret: string): Promise<ProjectKeys> {
  const claims = { iss: 'supabase-demo', exp: 1983812996 }
  return withAsymmetricKeys({
    kind: 'hs256',
    jwtSecret,
    anonKey: await signApiKey(jwtSecret, 'anon', claims),
    serviceRoleKey: await signApiKey(jwtSecret, 'service_role', claims),
  })
}

function authConfigOf(options: LocalBackendOptions): AuthConfig {
  const read = readAuthConfig(options.supabaseDir ?? defaultSupabaseDir)
  if (!read.ok) throw new Error(read.message)
  return {
    ...read.config,
    ...options.auth,
    ...(options.accessTokenTtlSeconds === undefined
      ? {}
      : { jwtExpirySeconds: options.accessTokenTtlSeconds }),
  }
}

/**
 * How often tables due a vacuum or analyze are looked for. Autovacuum wakes every minute; a
 * check here is a catalog read of a few tables, a first sync may start seconds after a bulk
 * change, and a busy conversation's row gathers dead versions with every message.
 */
const autovacuumEveryMs = 5_000

export async function startLocalBackend(options: LocalBackendOptions = {}): Promise<LocalBackend> {
  const logger = options.logger ?? createStdoutLogger('local-backend')
  const authConfig = authConfigOf(options)
  const apiConfig = readApiConfig(options.supabaseDir ?? defaultSupabaseDir)
  if (!apiConfig.ok) throw new Error(apiConfig.message)
  // Keys given win; then a jwt_secret config.toml names, as the CLI takes it; else keys of this run alone.
  const keys =
    options.keys ??
    (authConfig.jwtSecret ? await keysOfSecret(authConfig.jwtSecret) : await generateProjectKeys())
  const outbox = createOutbox()
  // One verifier, so REST, auth and the rate guard share its cache of verified tokens.
  const jwt = liveJwtKeys(keys)
  const browserOrigins = options.browserOrigins ?? 'refused'
  // The port is bound before the database opens: a taken port fails at once, and the
  // API answers 503 "starting" until it is ready rather than refusing connections.
  const ready: { api?: Hono } = {}
  const app = {
    fetch: (request: Request, env: HttpBindings | Http2Bindings) =>
      ready.api?.fetch(request, env) ?? new Response('starting', { status: 503 }),
  }
  const server = await listen(app, options.port ?? 54321)
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 54321)
  const url = `http://127.0.0.1:${port}`
  let db: PGlite
  try {
    db = await openDatabase({
      dataDir: options.dataDir,
      seed: options.seed ?? false,
      supabaseDir: options.supabaseDir,
      snapshotDir: options.snapshotDir,
    })
  } catch (error) {
    await closeServer()
    throw error
  }
  let realtime: Awaited<ReturnType<typeof createRealtimeServer>> | undefined
  try {
    await installBounds(db)
    await installAuthSchema(db)
    const schemas = await loadExposedSchemas(db, apiConfig.config)
    const roleSettings = await watchRoleSettings(db, logger.child({ api: 'rest' }))
    // Realtime installs its change capture in the database before any request can write.
    realtime = await createRealtimeServer({
      db,
      jwt,
      browserOrigins,
      logger: logger.child({ api: 'realtime' }),
    })
    const websockets = realtime
    const functions = new Map<string, FunctionHandler>()
    ready.api = createApiApp({
      db,
      schemas,
      roleSettings,
      logger,
      url,
      authConfig,
      outbox,
      functions,
      rateGuard: createRateGuard({ ...defaultRateLimits, ...options.rateLimits }, jwt),
      jwt,
      browserOrigins,
      realtimeApi: websockets.api,
    })
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (request.url ?? '').split('?')[0]
      if (path === '/realtime/v1/websocket') {
        websockets.handleUpgrade(request, socket, head)
        return
      }
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    })
    logger.info('local backend listening', { url })
    const autovacuum = startAutovacuum(db, {
      everyMs: autovacuumEveryMs,
      logger: logger.child({ db: 'autovacuum' }),
    })

    let stopping: Promise<void> | undefined
    return {
      url,
      port,
      get publishableKey() {
        return jwt.keys.publishableKeys[0]!
      },
      get secretKey() {
        return jwt.keys.secretKeys[0]!
      },
      jwksUrl: `${url}/auth/v1/.well-known/jwks.json`,
      get anonKey() {
        return jwt.keys.anonKey
      },
      get serviceRoleKey() {
        return jwt.keys.serviceRoleKey
      },
      get jwtSecret() {
        return jwt.keys.jwtSecret
      },
      get keys() {
        return jwt.keys
      },
      useKeys(next) {
        jwt.use(next)
        logger.info('keys replaced', { signingKid: next.signingKeys[0]!.kid })
      },
      db,
      outbox,
      mountFunction(name, handler) {
        functions.set(name, handler)
      },
      stop() {
        stopping ??= (async () => {
          await websockets.close()
          await closeServer()
          await autovacuum.stop()
          await roleSettings.stop()
          await db.close()
          logger.info('local backend stopped', { url })
        })()
        return stopping
      },
    }
  } catch (error) {
    await realtime?.close()
    await closeServer()
    await db.close()
    throw error
  }
}
