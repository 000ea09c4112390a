import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startLocalBackend, type LocalBackend } from '../../local-backend/index.ts'
import { DEMO_PASSWORD } from '../../relay/demo-accounts.ts'
import { demoIds, type DemoIds } from '../../local-backend/db/demo-callers.ts'
import { serviceClient } from '../../relay/embedded.ts'
import { createBrowserPlatform } from '../../src/main/browser-shell/node-host-platform.ts'
import { startShellServer } from '../../src/main/browser-shell/server.ts'
import { openShellSessions } from '../../src/main/browser-shell/shell-sessions.ts'
import { createAppCore, type AppCore } from '../../src/main/core/app-core.ts'
import { shellPaths } from '../../src/shared/browser-shell-protocol.ts'
import { createMemoryLogger } from '../../logging/logger.ts'
import { exchangeLaunchToken } from './shell-client.ts'

/**
 * What the renderer meets in the browser shell, for tests of its stores in Node:
 * the real core on the browser shell's Platform, talking to the seeded local
 * backend, behind the browser shell's real server on 127.0.0.1.
 */
export interface ShellCoreStack {
  backend: LocalBackend
  service: SupabaseClient
  core: AppCore
  /** A browser shell server over the core, and a page's way in. */
  openPage(): Promise<ShellPage>
  stop(): Promise<void>
}

export interface ShellPage {
  /** Where the page's client connects (websocket-api.ts). */
  socketUrl: string
  /** The tab secret the page's launch link was exchanged for. */
  secret: string
  /**
   * WebSocket as the page's browser opens it: a browser adds the page's Origin by
   * itself; Node's WebSocket is told to.
   */
  BrowserWebSocket: typeof WebSocket
  /** Every request the server handed the core, in order. */
  requests: { channel: string; payload: unknown }[]
  /** The server goes away, as when the app quits: its sockets are cut. */
  close(): Promise<void>
}

const NodeWebSocket = globalThis.WebSocket

/** The seeded agent these tests sign in as: Ben, an agent of Acme. */
export const shellAgent = { email: 'ben@acme.test', password: DEMO_PASSWORD } as const

/** The seeded local backend (changed first by `prepare`), and the core set to use it, not signed in. */
export async function startShellCore(
  prepare: (service: SupabaseClient, demo: DemoIds) => Promise<void>,
): Promise<ShellCoreStack> {
  const { logger } = createMemoryLogger('shell-host')
  const dir = mkdtempSync(join(tmpdir(), 'shell-host-'))
  const backend = await startLocalBackend({ port: 0, seed: true, logger })
  const service = serviceClient(backend)
  await prepare(service, await demoIds(backend.db))
  const { platform } = createBrowserPlatform({ userDataDir: join(dir, 'user-data'), appVersion: '0.0.0' })
  const core = createAppCore(platform, {
    backend: {
      mode: 'custom',
      supabaseUrl: backend.url,
      publishableKey: backend.publishableKey,
      // No send goes out in these tests, so nothing is mounted there.
      relayUrl: `${backend.url}/functions/v1/sms-relay`,
    },
    logger,
  })
  const pages: ShellPage[] = []

  async function openPage(): Promise<ShellPage> {
    const requests: ShellPage['requests'] = []
    const server = await startShellServer({
      startCore: () => ({
        dispatch(channel, payload) {
          requests.push({ channel, payload })
          return core.dispatch(channel, payload)
        },
        subscribe: (listener) => core.subscribe(listener),
      }),
      rendererDir: dir,
      sessions: openShellSessions(join(dir, 'browser-shell-sessions.json'), logger),
      logger,
    })
    const secret = await exchangeLaunchToken(server.url)
    let open = true
    const page: ShellPage = {
      socketUrl: `ws://127.0.0.1:${server.port}${shellPaths.socket}`,
      secret,
      BrowserWebSocket: class extends NodeWebSocket {
        constructor(url: string | URL, protocols?: string | string[]) {
          // Node's WebSocket takes an init object with protocols and headers where a browser takes protocols.
          super(url, { protocols, headers: { origin: server.origin } } as unknown as string[])
        }
      },
      requests,
      async close() {
        if (!open) return
        open = false
        await server.close()
      },
    }
    pages.push(page)
    return page
  }

  return {
    backend,
    service,
    core,
    openPage,
    async stop() {
      for (const page of pages) await page.close()
      await core.dispose()
      await backend.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
