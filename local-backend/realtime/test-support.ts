import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { PGlite } from '@electric-sql/pglite'
import { SignJWT } from 'jose'
import { createMemoryLogger } from '../../src/shared/log.ts'
import { openDatabase } from '../db/database.ts'
import { anonKey, jwtSecret, serviceRoleKey } from '../keys.ts'
import { createRealtimeServer, type RealtimeServer } from './server.ts'

export { anonKey, serviceRoleKey, jwtSecret }

export interface RealtimeHarness {
  url: string
  db: PGlite
  realtime: RealtimeServer
  logLines: string[]
  /** Drops every open WebSocket from the server side, as a network failure would. */
  dropSockets(): void
  stop(): Promise<void>
}

/**
 * A bare HTTP server on an ephemeral port that hands WebSocket upgrades to the
 * realtime server, so realtime is tested without the rest of the API.
 */
export async function startRealtimeHarness(
  options: { idleTimeoutMs?: number } = {},
): Promise<RealtimeHarness> {
  const database = await openDatabase({ seed: true })
  const { logger, lines } = createMemoryLogger('realtime-test')
  const realtime = await createRealtimeServer({ db: database, jwtSecret, logger, ...options })
  const sockets = new Set<Duplex>()
  const server: Server = createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    realtime.handleUpgrade(req, socket, head)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    db: database,
    realtime,
    logLines: lines,
    dropSockets() {
      for (const socket of sockets) socket.destroy()
    },
    async stop() {
      await realtime.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await database.close()
    },
  }
}

/** A user access token as GoTrue issues it, signed with the local secret. */
export function userToken(
  userId: string,
  options: { expiresInSeconds?: number; secret?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    sub: userId,
    aud: 'authenticated',
    role: 'authenticated',
    session_id: '00000000-0000-4000-8000-000000000000',
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? jwtSecret))
}

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs` (a bound, not a speed check). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
