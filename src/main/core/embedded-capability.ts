import { join, resolve } from 'node:path'
import { err, ok, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import { launchEmbeddedStack, type EmbeddedStack } from '../embedded-stack/launcher.ts'
import type { RuntimeHooks } from './backend-runtime.ts'
import type { HandlersFor } from './dispatch.ts'
import type { RuntimeSlot } from './runtime-slot.ts'

/** Offered on the sign-in screen of the embedded default: the seeded demo users. */
export const demoAccounts = [
  { email: 'ava@acme.test', password: 'inbox-demo-1', label: 'Ava — owner, Acme Support' },
  { email: 'ben@acme.test', password: 'inbox-demo-1', label: 'Ben — agent, Acme Support' },
  { email: 'cleo@globex.test', password: 'inbox-demo-1', label: 'Cleo — agent, Globex Care' },
]

/** A crashed embedded server is restarted, at most this often, so a crash loop ends. */
const maxEmbeddedRestarts = 3
const embeddedRestartWindowMs = 5 * 60_000

export type EmbeddedExitDecision = 'restart' | 'give-up'

/** Starts the embedded backend in its child process and decides what a crash of it leads to. */
export interface EmbeddedSupervisor {
  launch(): Promise<Result<EmbeddedStack>>
  /** On an unexpected exit: `offline`, then a runtime restart while the crash budget lasts. */
  watch(stack: EmbeddedStack, runtime: { offline(): void; hooks: RuntimeHooks }): void
  /** Each unexpected exit's decision, once taken. */
  onExitDecided(listener: (decision: EmbeddedExitDecision) => void): () => void
}

export interface EmbeddedSupervisorOptions {
  userDataDir: string
  logger: Logger
  /** The child's entry; defaults to host.ts beside the launcher (Node 24 runs it directly). */
  hostModule?: string
  /** The port tried first (54321 as `supabase start`). */
  port?: number
}

export function createEmbeddedSupervisor(options: EmbeddedSupervisorOptions): EmbeddedSupervisor {
  const { logger } = options
  const listeners = new Set<(decision: EmbeddedExitDecision) => void>()
  let restarts: number[] = []

  function decide(): EmbeddedExitDecision {
    const now = Date.now()
    restarts = restarts.filter((at) => now - at < embeddedRestartWindowMs)
    if (restarts.length >= maxEmbeddedRestarts) return 'give-up'
    restarts.push(now)
    return 'restart'
  }

  return {
    async launch() {
      try {
        return ok(
          await launchEmbeddedStack({
            hostModule: options.hostModule ?? resolve(import.meta.dirname, '../embedded-stack/host.ts'),
            dataDir: join(options.userDataDir, 'embedded-backend'),
            logger,
            port: options.port,
          }),
        )
      } catch (error) {
        logger.error('embedded stack failed', { error })
        return err('offline', error instanceof Error ? error.message : 'The embedded server could not start.')
      }
    },
    watch(stack, { offline, hooks }) {
      stack.onExit(() => {
        offline()
        if (hooks.closing()) return
        const decision = decide()
        if (decision === 'give-up') {
          // A server that keeps dying would restart forever; the cache stays readable, offline.
          hooks.report('The embedded server keeps stopping. Restart the app to bring it back.')
          logger.error('the embedded server keeps stopping; not restarting it again', {
            restarts: restarts.length,
          })
        } else {
          logger.warn('the embedded server stopped; restarting it', { restarts: restarts.length })
          // The same data directory and stored session: sync backfills from its cursor, so nothing is missed.
          hooks.replace()
        }
        for (const listener of listeners) listener(decision)
      })
    },
    onExitDecided(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}

export function embeddedCapability({
  runtime,
}: {
  runtime: RuntimeSlot
}): HandlersFor<'dev.simulateInbound'> {
  return {
    'dev.simulateInbound': async ({ workspaceId, from, body }) => {
      const current = await runtime.current()
      if (!current?.embedded)
        return err('not_configured', 'Simulating an SMS is only available with the embedded server.')
      return current.embedded.simulateInbound({ workspaceId, from, body })
    },
  }
}
