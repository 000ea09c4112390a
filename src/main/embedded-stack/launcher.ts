import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { logChildOutput } from '../../../logging/child-output.ts'
import { appError, type Result } from '../../shared/errors.ts'
import type { LifecycleEvent, Logger } from '../../shared/log.ts'
import type { StartService } from '../platform-interface.ts'
import { hostMessageSchema, type ParentMessage } from './host-messages.ts'
import { glibcMallocTunables } from '../core/glibc-malloc.ts'
import { backendV8Flags, backendWorkingDir, wasmProfileDir } from './wasm-tiering.ts'

/**
 * Runs the embedded backend (PGlite + Auth/REST/Realtime, the relay, the Twilio
 * double) in a service process, so a crash there never takes the window down: a
 * utilityProcess under Electron, a forked child on Node (the Platform's startService).
 */
export interface EmbeddedStack {
  supabaseUrl: string
  publishableKey: string
  relayUrl: string
  /** The port the backend listens on (the one asked for, or the free one found for port 0). */
  port: number
  simulateInbound(input: { workspaceId: string; from: string; body: string }): Promise<Result<null>>
  /** Tells the child its burst of reads is over (host.ts collects its heap then); dropped if it is gone. */
  reclaimMemory(): void
  /** Called once if the child exits without being asked to. */
  onExit(listener: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void): void
  stop(): Promise<void>
}

export interface LaunchOptions {
  /** The host entry: out/main/embedded-stack.js when built, host.ts under Node 24 (tests, the browser shell). */
  hostModule: string
  dataDir: string
  logger: Logger
  /** The port to listen on, never another (0: any free one). Default 54321, as `supabase start`. */
  port?: number
  startTimeoutMs?: number
  startService: StartService
}

/** Why the child did not become ready; `portInUse` names the port that was taken. */
export class EmbeddedStartError extends Error {
  readonly portInUse: number | null
  constructor(message: string, portInUse: number | null = null) {
    super(message)
    this.name = 'EmbeddedStartError'
    this.portInUse = portInUse
  }
}

/**
 * A host run from its TypeScript source (tests, the browser shell) has Node strip
 * its types with a compiler built to WebAssembly that, once loaded, stays resident
 * for the process's life (17 MB). With Node's compile cache, every start after the
 * first reads the stripped code from the cache and never loads that compiler. The
 * directory is Node's own default, the one `npm run web` enables for its process
 * (scripts/compile-cache.mjs); one the person set wins, and NODE_DISABLE_COMPILE_CACHE
 * turns it off.
 */
const sourceHostEnv = (hostModule: string) =>
  hostModule.endsWith('.ts') ? { NODE_COMPILE_CACHE: join(tmpdir(), 'node-compile-cache') } : {}

export function launchEmbeddedStack(options: LaunchOptions): Promise<EmbeddedStack> {
  const { logger } = options
  logger.info('starting the embedded stack', { lifecycle: 'backend.starting' satisfies LifecycleEvent })
  const workingDir = backendWorkingDir()
  if (workingDir === undefined)
    logger.warn('no wasm profile: the embedded backend runs on baseline code alone, about a third slower', {
      dir: wasmProfileDir(),
    })
  const child = options.startService(options.hostModule, {
    env: {
      // The child starts with them whatever its host; one the person set wins.
      GLIBC_TUNABLES: glibcMallocTunables,
      ...sourceHostEnv(options.hostModule),
      ...process.env,
      // Absolute: the child works in another directory (backendWorkingDir).
      EMBEDDED_DATA_DIR: resolve(options.dataDir),
      EMBEDDED_PORT: String(options.port ?? 54321),
    },
    execArgv: [
      ...backendV8Flags,
      // Electron's Node may predate type stripping by default; Node 24 accepts the flag as a no-op.
      ...(options.hostModule.endsWith('.ts')
        ? ['--experimental-strip-types', '--disable-warning=ExperimentalWarning']
        : []),
    ],
    cwd: workingDir,
    name: 'SMS Inbox backend',
  })
  // The child logs JSON lines; they join the app's log, never the terminal directly.
  const childLogger = logger.child({ process: 'embedded-stack' })
  if (child.stdout) void logChildOutput(child.stdout, childLogger)
  if (child.stderr) void logChildOutput(child.stderr, childLogger)

  let nextId = 1
  const pending = new Map<number, (result: Result<null>) => void>()
  const exitListeners: ((exit: { code: number | null; signal: NodeJS.Signals | null }) => void)[] = []
  let ready = false
  let stopping = false
  const send = (message: ParentMessage) => child.send(message)

  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill()
      reject(new EmbeddedStartError('The embedded server did not start in time.'))
    }, options.startTimeoutMs ?? 60_000)

    child.onMessage((raw) => {
      const parsed = hostMessageSchema.safeParse(raw)
      if (!parsed.success) {
        logger.warn('ignoring a malformed message from the embedded stack')
        return
      }
      const message = parsed.data
      if (message.type === 'failed') {
        clearTimeout(timeout)
        // The reason is in; a utility process cannot flush a message and exit in one step, so it is ended here.
        child.kill()
        reject(
          new EmbeddedStartError(
            `The embedded server could not start: ${message.message}`,
            message.portInUse,
          ),
        )
      } else if (message.type === 'result') {
        pending.get(message.id)?.(
          message.error ? { ok: false, error: message.error } : { ok: true, value: null },
        )
        pending.delete(message.id)
      } else {
        clearTimeout(timeout)
        ready = true
        logger.info('embedded stack ready', {
          lifecycle: 'backend.ready' satisfies LifecycleEvent,
          url: message.supabaseUrl,
          pid: child.pid,
        })
        resolve(stack(message.supabaseUrl, message.publishableKey, message.relayUrl))
      }
    })
    child.onExit(({ code, signal }) => {
      clearTimeout(timeout)
      for (const settle of pending.values())
        settle({ ok: false, error: appError('offline', 'The embedded server stopped.') })
      pending.clear()
      // Before `ready` the start promise carries the failure; only a running server can crash.
      if (!ready) {
        reject(
          new EmbeddedStartError(
            `The embedded server exited while starting (${signal ? `signal ${signal}` : `code ${code}`}).`,
          ),
        )
        return
      }
      if (stopping) return
      logger.error('embedded stack exited', {
        lifecycle: 'backend.crashed' satisfies LifecycleEvent,
        code,
        signal,
      })
      for (const listener of exitListeners) listener({ code, signal })
    })
  })

  function stack(supabaseUrl: string, publishableKey: string, relayUrl: string): EmbeddedStack {
    return {
      supabaseUrl,
      publishableKey,
      relayUrl,
      port: Number(new URL(supabaseUrl).port),
      simulateInbound(input) {
        const id = nextId++
        return new Promise((resolve) => {
          pending.set(id, resolve)
          if (!send({ type: 'simulateInbound', id, ...input })) {
            pending.delete(id)
            resolve({ ok: false, error: appError('offline', 'The embedded server is not running.') })
          }
        })
      },
      reclaimMemory() {
        send({ type: 'reclaimMemory' })
      },
      onExit(listener) {
        exitListeners.push(listener)
      },
      stop() {
        stopping = true
        if (child.hasExited()) return Promise.resolve()
        return new Promise((resolve) => {
          const kill = setTimeout(() => child.kill(), 10_000)
          child.onExit(() => {
            clearTimeout(kill)
            resolve()
          })
          if (!send({ type: 'stop' })) child.kill()
        })
      },
    }
  }
}
