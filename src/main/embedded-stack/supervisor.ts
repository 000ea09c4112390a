import type { EmbeddedServerState } from '../../shared/domain.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import { portInUseMessage } from '../../shared/ports.ts'
import {
  EmbeddedStartError,
  launchEmbeddedStack,
  type EmbeddedStack,
  type LaunchOptions,
} from './launcher.ts'

/**
 * Keeps the embedded server running for the app's whole life: a crashed child is
 * started again on the same data and the same port, so its URL, and every token the
 * app holds for it, stay valid, and the services using it simply reconnect. A crash
 * loop ends at the crash limit; then only the agent's "Restart backend" starts it.
 */
export interface SupervisedStack {
  /** Fixed for the supervisor's life: every restart listens on the same port. */
  readonly supabaseUrl: string
  readonly publishableKey: string
  readonly relayUrl: string
  state(): EmbeddedServerState
  onState(listener: (state: EmbeddedServerState) => void): () => void
  simulateInbound(input: { workspaceId: string; from: string; body: string }): Promise<Result<null>>
  /** See EmbeddedStack.reclaimMemory; nothing while the server is down. */
  reclaimMemory(): void
  /** Starts a stopped server again (same port and data) with a fresh crash budget. */
  restart(): Promise<Result<null>>
  stop(): Promise<void>
}

export interface SupervisorOptions extends LaunchOptions {
  /** Crashes restarted within `crashWindowMs`; the next one within it stops the server. */
  maxRestarts?: number
  crashWindowMs?: number
}

/** One sentence a person can act on, for the terminal and the app alike. */
export function describeStartFailure(error: unknown): string {
  if (error instanceof EmbeddedStartError && error.portInUse !== null) {
    return portInUseMessage('backend', error.portInUse, 'the embedded server cannot start')
  }
  return error instanceof Error ? error.message : 'The embedded server could not start.'
}

/** Starts the server; rejects with an EmbeddedStartError when the first start fails. */
export async function superviseEmbeddedStack(options: SupervisorOptions): Promise<SupervisedStack> {
  const { logger } = options
  const maxRestarts = options.maxRestarts ?? 3
  const crashWindowMs = options.crashWindowMs ?? 5 * 60_000
  const first = await launchEmbeddedStack(options)
  // Port 0 found a free port once; from then on the server is found there.
  const launch = () => launchEmbeddedStack({ ...options, port: first.port })
  const listeners = new Set<(state: EmbeddedServerState) => void>()
  let current: EmbeddedStack | null = first
  let state: EmbeddedServerState = { status: 'running' }
  let crashes: number[] = []
  let stopping = false
  let starting: Promise<Result<null>> | null = null

  const setState = (next: EmbeddedServerState) => {
    state = next
    for (const listener of listeners) listener(next)
  }

  /** Counts a crash against the budget; false once it is spent, and the server is left stopped. */
  function withinBudget(): boolean {
    const now = Date.now()
    crashes = crashes.filter((at) => now - at < crashWindowMs)
    if (crashes.length < maxRestarts) {
      crashes.push(now)
      logger.warn('the embedded server stopped; restarting it on the same port', { crashes: crashes.length })
      return true
    }
    logger.error('the embedded server keeps stopping; not restarting it again', {
      crashes: crashes.length + 1,
    })
    setState({
      status: 'stopped',
      problem: `The embedded server stopped ${crashes.length + 1} times within ${Math.round(crashWindowMs / 60_000)} minutes, so it was not restarted again. Your cached conversations are still here.`,
    })
    return false
  }

  function crashed(): void {
    current = null
    if (!stopping && withinBudget()) void start()
  }

  function start(): Promise<Result<null>> {
    starting ??= relaunch().finally(() => {
      starting = null
    })
    return starting
  }

  /** Launches until a child is ready; a child that dies while starting is one more crash. */
  async function relaunch(): Promise<Result<null>> {
    for (;;) {
      setState({ status: 'restarting' })
      try {
        const stack = await launch()
        if (stopping) {
          await stack.stop()
          return err('offline', 'The app is shutting down.')
        }
        current = stack
        stack.onExit(crashed)
        setState({ status: 'running' })
        return ok(null)
      } catch (error) {
        logger.warn('the embedded server could not start again', { error })
        // A taken port stays taken until the person settles it: no point in trying again.
        const portTaken = error instanceof EmbeddedStartError && error.portInUse !== null
        if (portTaken) setState({ status: 'stopped', problem: describeStartFailure(error) })
        if (portTaken || stopping || !withinBudget()) return err('offline', describeStartFailure(error))
      }
    }
  }

  first.onExit(crashed)
  return {
    supabaseUrl: first.supabaseUrl,
    publishableKey: first.publishableKey,
    relayUrl: first.relayUrl,
    state: () => state,
    onState(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    simulateInbound(input) {
      return current
        ? current.simulateInbound(input)
        : Promise.resolve(err('offline', 'The embedded server is not running.'))
    },
    reclaimMemory() {
      current?.reclaimMemory()
    },
    restart() {
      if (state.status !== 'stopped') return starting ?? Promise.resolve(ok(null))
      crashes = []
      return start()
    },
    async stop() {
      stopping = true
      await starting
      await current?.stop()
    },
  }
}
