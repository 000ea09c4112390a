import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { EventChannel, RequestChannel } from '../../shared/contract.ts'
import type { Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import type { Platform } from '../platform-interface.ts'
import { createBrowserPlatform } from './node-host-platform.ts'
import { startShellServer, type ShellServer } from './server.ts'
import { openShellSessions } from './shell-sessions.ts'

/** The main-process services as the host sees them (what `createAppCore` returns). */
export interface AppCore {
  dispatch(channel: RequestChannel, payload: unknown): Promise<Result<unknown>>
  subscribe(listener: (event: EventChannel, payload: unknown) => void): () => void
  dispose(): Promise<void> | void
}

export interface LaunchOptions {
  createCore(platform: Platform): AppCore | Promise<AppCore>
  userDataDir: string
  appVersion: string
  rendererDir: string
  port?: number
  logger: Logger
}

export type BrowserShell = ShellServer<AppCore>

/**
 * Runs the main-process services in this Node process with the browser Platform,
 * and serves the renderer to a browser over the shell's WebSocket.
 */
export async function launchBrowserShell(options: LaunchOptions): Promise<BrowserShell> {
  const { platform, subscribe } = createBrowserPlatform({
    userDataDir: options.userDataDir,
    appVersion: options.appVersion,
  })
  const server = await startShellServer({
    async startCore(): Promise<AppCore> {
      const core = await options.createCore(platform)
      return {
        dispatch: (channel, payload) => core.dispatch(channel, payload),
        // The page hears the platform's events (notifications) beside the core's.
        subscribe(listener) {
          const offCore = core.subscribe(listener)
          const offPlatform = subscribe((event, payload) => listener(event, payload))
          return () => {
            offCore()
            offPlatform()
          }
        },
        dispose: () => core.dispose(),
      }
    },
    rendererDir: options.rendererDir,
    sessions: openShellSessions(join(options.userDataDir, 'browser-shell-sessions.json'), options.logger),
    logger: options.logger,
    ...(options.port === undefined ? {} : { port: options.port }),
  })
  return {
    ...server,
    async close() {
      await server.close()
      await server.core.dispose()
    },
  }
}

function newestMtime(path: string): number {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue
    newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

/** True when out/renderer is missing or older than the renderer's or shared sources. */
export function rendererNeedsBuild(root: string): boolean {
  const built = resolve(root, 'out/renderer/index.html')
  if (!existsSync(built)) return true
  const builtAt = statSync(built).mtimeMs
  return ['src/renderer', 'src/shared'].some((dir) => newestMtime(resolve(root, dir)) > builtAt)
}
