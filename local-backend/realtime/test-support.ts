import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { PGlite } from '@electric-sql/pglite'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import { SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { WebSocket } from 'ws'
import { createMemoryLogger } from '../../logging/logger.ts'
import { workspaceChannelTopic } from '../../src/shared/workspace-channel.ts'
import { openDatabase } from '../db/database.ts'
import { demoIds, type DemoIds } from '../db/demo-callers.ts'
import { generateProjectKeys, jwtKeysOf } from '../keys.ts'
import type { Clock } from './clock.ts'
import type { Vsn } from './phoenix-messages.ts'
import { createRealtimeServer, type RealtimeServer } from './websocket-server.ts'

/** Keys of this test run's own, as every backend generates them. */
export const projectKeys = await generateProjectKeys()
export const { anonKey, serviceRoleKey, jwtSecret } = projectKeys
/** The keys the harness's realtime judges tokens by. */
export const jwtKeys = jwtKeysOf(projectKeys)

export interface RealtimeHarness {
  url: string
  db: PGlite
  /** The seeded demo ids of this harness's database. */
  demo: DemoIds
  realtime: RealtimeServer
  logLines: string[]
  /** A supabase-js client whose session token is `token`, or whatever `token()` returns when it asks again. */
  connect(token: string | (() => string), vsn?: Vsn): Promise<SupabaseClient>
  /** Removes the channels of every client `connect` made so far. */
  disconnectClients(): Promise<void>
  /** Inserts a message as the service role, as the relay writes: RLS is bypassed, delivery must still filter. */
  insertMessage(workspace: string, contact: string, content: string): Promise<string>
  /** A raw WebSocket on the realtime endpoint, once open, with every frame it receives (JSON parsed). */
  openSocket(query: string): Promise<{ ws: WebSocket; frames: unknown[] }>
  /** The realtime endpoint's ws:// URL with `query`. */
  socketUrl(query: string): string
  /** Drops every open WebSocket from the server side, as a network failure would. */
  dropSockets(): void
  stop(): Promise<void>
}

/**
 * A bare HTTP server on an ephemeral port that hands WebSocket upgrades to the
 * realtime server, so realtime is tested without the rest of the API.
 */
export async function startRealtimeHarness(
  options: { idleTimeoutMs?: number; clock?: Clock } = {},
): Promise<RealtimeHarness> {
  const database = await openDatabase({ seed: true })
  const demo = await demoIds(database)
  const { logger, lines } = createMemoryLogger('realtime-test')
  const realtime = await createRealtimeServer({
    db: database,
    jwt: jwtKeys,
    browserOrigins: 'refused',
    logger,
    ...options,
  })
  const sockets = new Set<Duplex>()
  const server: Server = createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    realtime.handleUpgrade(req, socket, head)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const clients: SupabaseClient[] = []
  const disconnectClients = async () => {
    await Promise.all(
      clients.splice(0).map(async (client) => {
        await client.removeAllChannels()
        client.realtime.disconnect()
      }),
    )
  }
  const socketUrl = (query: string) => `ws://127.0.0.1:${port}/realtime/v1/websocket?${query}`
  return {
    url,
    db: database,
    demo,
    realtime,
    logLines: lines,
    async connect(token, vsn = '2.0.0') {
      const current = typeof token === 'string' ? () => token : token
      const client = createClient(url, anonKey, {
        accessToken: async () => current(),
        realtime: { vsn, reconnectAfterMs: () => 100 },
      })
      clients.push(client)
      // The client fetches the token asynchronously; a join sent before that would go out as anon.
      await client.realtime.setAuth(current())
      return client
    },
    disconnectClients,
    insertMessage(workspace, contact, content) {
      return database.transaction(async (tx) => {
        await tx.query(`select set_config('role', 'service_role', true)`)
        const result = await tx.query<{ id: string }>(
          `insert into public.messages (workspace_id, contact_id, content, direction, status)
           values ($1, $2, $3, 'inbound', 'pending') returning id`,
          [workspace, contact, content],
        )
        return result.rows[0]!.id
      })
    },
    openSocket(query) {
      const ws = new WebSocket(socketUrl(query))
      const frames: unknown[] = []
      ws.on('message', (data, isBinary) => frames.push(isBinary ? data : JSON.parse(String(data))))
      return new Promise((resolve, reject) => {
        ws.once('open', () => resolve({ ws, frames }))
        ws.once('error', reject)
      })
    },
    socketUrl,
    dropSockets() {
      for (const socket of sockets) socket.destroy()
    },
    async stop() {
      // A client left connected would reconnect to the stopped server for as long as its process lives.
      await disconnectClients()
      await realtime.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await database.close()
    },
  }
}

/**
 * The harness of one test file: started before its tests, stopped after them, and
 * each test's channels removed after it. Call the returned function inside tests.
 */
export function harnessPerFile(
  options: Parameters<typeof startRealtimeHarness>[0] = {},
): () => RealtimeHarness {
  let started: RealtimeHarness | undefined
  beforeAll(async () => {
    started = await startRealtimeHarness(options)
  })
  afterEach(async () => {
    await started?.disconnectClients()
  })
  afterAll(async () => {
    await started?.stop()
  })
  return () => {
    if (!started) throw new Error('the realtime harness starts before the first test')
    return started
  }
}

/** The status code the server answers a WebSocket handshake with (101 when it upgrades). */
export function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    ws.on('error', () => {})
    ws.once('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0)
      req.destroy()
    })
    ws.once('open', () => {
      resolve(101)
      ws.close()
    })
  })
}

export type Change = {
  schema: string
  table: string
  eventType: string
  commit_timestamp: string
  new: Record<string, unknown>
  old: Record<string, unknown>
  errors: string[] | null
}

/** A joined channel with everything it has received so far. */
export interface Subscription {
  channel: RealtimeChannel
  changes: Change[]
  system: Record<string, unknown>[]
  statuses: string[]
  errors: string[]
}

/** Joins `topic` with one postgres_changes binding; resolves once the server has answered the join. */
export function subscribe(
  client: SupabaseClient,
  topic: string,
  binding: { event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'; schema: string; table?: string; filter?: string },
): Promise<Subscription> {
  const subscription: Subscription = {
    channel: client.channel(topic),
    changes: [],
    system: [],
    statuses: [],
    errors: [],
  }
  subscription.channel
    .on('postgres_changes', binding as { event: '*'; schema: string }, (payload) =>
      subscription.changes.push(payload as Change),
    )
    .on('system', {}, (payload: Record<string, unknown>) => subscription.system.push(payload))
  return new Promise((resolve, reject) => {
    subscription.channel.subscribe((status, error) => {
      subscription.statuses.push(status)
      if (error) subscription.errors.push(error.message)
      if (status === 'SUBSCRIBED') resolve(subscription)
      if (status === 'TIMED_OUT') reject(new Error(`subscribe ${topic} timed out`))
    })
  })
}

export const contentsOf = (subscription: Subscription): unknown[] =>
  subscription.changes.map((change) => change.new.content)

/** A heartbeat round trip: the server handles a socket's frames in order, so everything sent before it is done. */
export async function heartbeat(client: SupabaseClient): Promise<void> {
  let answered = false
  client.realtime.onHeartbeat((status) => {
    if (status === 'ok') answered = true
  })
  await client.realtime.sendHeartbeat()
  await waitFor(() => answered, 'the heartbeat reply')
}

/**
 * A user access token as GoTrue issues it, signed with the local secret, issued at `now` (ms);
 * `expiresInSeconds: null` leaves out exp, and `role` forges one that claims another database role.
 */
export function userToken(
  userId: string,
  options: { expiresInSeconds?: number | null; secret?: string; now?: number; role?: string } = {},
): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  const token = new SignJWT({
    sub: userId,
    aud: 'authenticated',
    role: options.role ?? 'authenticated',
    session_id: '00000000-0000-4000-8000-000000000000',
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
  if (options.expiresInSeconds !== null) token.setExpirationTime(now + (options.expiresInSeconds ?? 3600))
  return token.sign(new TextEncoder().encode(options.secret ?? jwtSecret))
}

export interface ManualClock extends Clock {
  /** Moves time forward and runs, in time order, every task that has come due. */
  advance(ms: number): void
}

/** A clock that stands still until the test moves it, so an expiry happens when the test says. */
export function manualClock(start = Date.now()): ManualClock {
  let now = start
  const tasks = new Set<{ at: number; task: () => void }>()
  return {
    now: () => now,
    after(ms, task) {
      const entry = { at: now + ms, task }
      tasks.add(entry)
      return () => tasks.delete(entry)
    },
    advance(ms) {
      now += ms
      const due = [...tasks].filter((entry) => entry.at <= now).sort((a, b) => a.at - b.at)
      for (const entry of due) {
        tasks.delete(entry)
        entry.task()
      }
    },
  }
}

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs` (a bound, not a speed check). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The topic of a workspace's private channel under its current key, read with the database's full rights. */
export async function currentWorkspaceTopic(db: Pick<PGlite, 'query'>, workspaceId: string): Promise<string> {
  const { rows } = await db.query<{ workspace_id: string; key: string }>(
    'select workspace_id, key from public.workspace_channel_keys where workspace_id = $1',
    [workspaceId],
  )
  if (!rows[0]) throw new Error(`workspace ${workspaceId} has no channel key`)
  return workspaceChannelTopic(rows[0])
}

/** Joins and resolves with the join error, or null once joined. */
export function joinResult(channel: RealtimeChannel): Promise<string | null> {
  return new Promise((resolve) => {
    channel.subscribe((status, error) => {
      if (error) resolve(error.message)
      else if (status === 'SUBSCRIBED') resolve(null)
      else if (status === 'TIMED_OUT') resolve('timed out')
    })
  })
}
