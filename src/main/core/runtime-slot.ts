import type { BackendSettings, ConnectionState, SessionState } from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'
import type { BackendRuntime, RuntimeHooks } from './backend-runtime.ts'
import type { SettingsStore } from './settings-capability.ts'

/**
 * Holds the one runtime the core runs against. It starts one at once, replaces it
 * as a whole (another backend, a damaged cache, an embedded server that never started), and
 * remembers why there is none when starting failed.
 */
export interface RuntimeSlot {
  /** The running runtime, once started; null when no backend could start (see `problem`). */
  current(): Promise<BackendRuntime | null>
  /** Why the app has no working backend, in words for the sign-in screen. */
  problem(): string | null
  /** The backend last started (the embedded default until one is). */
  backend(): BackendSettings
  sessionState(): Promise<SessionState>
  connectionState(): Promise<ConnectionState>
  /** Disposes the running runtime, runs `between` once it has let go of its files, then starts anew. */
  replace(between?: () => void): Promise<BackendRuntime | null>
  /** True once the core is shutting down: nothing restarts any more. */
  closing(): boolean
  dispose(): Promise<void>
}

export interface RuntimeSlotDeps {
  settings: SettingsStore
  logger: Logger
  start(backend: BackendSettings, hooks: RuntimeHooks): Promise<BackendRuntime | null>
}

export function createRuntimeSlot(deps: RuntimeSlotDeps): RuntimeSlot {
  const { settings, logger } = deps
  let problem: string | null = null
  let active: BackendSettings = { mode: 'embedded' }
  let closing = false
  const hooks: RuntimeHooks = {
    replace: (between) => void replace(between),
    closing: () => closing,
    report: (message) => {
      problem = message
    },
  }

  function boot(): Promise<BackendRuntime | null> {
    const chosen = settings.chooseBackend()
    if (!chosen.ok) {
      problem = chosen.error.message
      return Promise.resolve(null)
    }
    active = chosen.value
    problem = null
    return deps.start(chosen.value, hooks).catch((error: unknown) => {
      problem = 'The app could not start its services.'
      logger.error('runtime failed to start', { error })
      return null
    })
  }

  let runtime = boot()

  function replace(between?: () => void): Promise<BackendRuntime | null> {
    const previous = runtime
    runtime = (async () => {
      await (await previous)?.dispose()
      between?.()
      return boot()
    })()
    return runtime
  }

  return {
    current: () => runtime,
    problem: () => problem,
    backend: () => active,
    async sessionState() {
      const current = await runtime
      return current ? current.session.state() : { status: 'signed-out', reason: problem }
    },
    async connectionState() {
      const current = await runtime
      if (!current || !current.session.userId())
        return { status: 'offline', lastSyncAt: current?.cache.lastSyncAt() ?? null }
      return current.sync.state()
    },
    replace,
    closing: () => closing,
    async dispose() {
      closing = true
      await (await runtime)?.dispose()
    },
  }
}
