import { join, resolve } from 'node:path'
import type { EmbeddedServerState } from '../../shared/domain.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import { choosePort } from '../../shared/ports.ts'
import {
  describeStartFailure,
  superviseEmbeddedStack,
  type SupervisedStack,
} from '../embedded-stack/supervisor.ts'
import type { StartService } from '../platform-interface.ts'
import type { HandlersFor } from './dispatch.ts'
import type { RuntimeSlot } from './runtime-slot.ts'

/** Offered on the sign-in screen of the embedded default: the seeded demo users. */
export const demoAccounts = [
  { email: 'ava@acme.test', password: 'inbox-demo-1', label: 'Ava — owner, Acme Support' },
  { email: 'ben@acme.test', password: 'inbox-demo-1', label: 'Ben — agent, Acme Support' },
  { email: 'cleo@globex.test', password: 'inbox-demo-1', label: 'Cleo — agent, Globex Care' },
]

/** Starts the embedded backend in its child process, under a supervisor that restarts it on the same port. */
export interface EmbeddedLauncher {
  launch(): Promise<Result<SupervisedStack>>
}

export interface EmbeddedLauncherOptions {
  userDataDir: string
  logger: Logger
  /** The child's entry; defaults to host.ts beside the launcher (Node 24 runs it directly). */
  hostModule?: string | undefined
  /** The port to listen on (a flag); else SMS_INBOX_BACKEND_PORT, else 54321 as `supabase start`. */
  port?: number | undefined
  env: Record<string, string | undefined>
  /** The Platform's: fork on Node, utilityProcess under Electron. */
  startService: StartService
}

export function createEmbeddedLauncher(options: EmbeddedLauncherOptions): EmbeddedLauncher {
  const { logger } = options
  return {
    async launch() {
      const port =
        options.port === undefined ? choosePort('backend', undefined, options.env) : ok(options.port)
      if (!port.ok) return port
      try {
        return ok(
          await superviseEmbeddedStack({
            hostModule: options.hostModule ?? resolve(import.meta.dirname, '../embedded-stack/host.ts'),
            dataDir: join(options.userDataDir, 'embedded-backend'),
            logger,
            port: port.value,
            startService: options.startService,
          }),
        )
      } catch (error) {
        logger.warn('the embedded server could not start', { error })
        return err('offline', describeStartFailure(error))
      }
    },
  }
}

/** The embedded server as the agent sees it: its state, "Restart backend", and the dev menu's simulated SMS. */
export function embeddedCapability({
  runtime,
}: {
  runtime: RuntimeSlot
}): HandlersFor<'dev.simulateInbound' | 'embedded.get' | 'embedded.restart'> {
  async function state(): Promise<EmbeddedServerState> {
    if (runtime.backend().mode !== 'embedded') return { status: 'none' }
    const current = await runtime.current()
    if (current?.embedded) return current.embedded.state()
    return { status: 'stopped', problem: runtime.problem() ?? 'The embedded server is not running.' }
  }

  return {
    'dev.simulateInbound': async ({ workspaceId, from, body }) => {
      const current = await runtime.current()
      if (!current?.embedded)
        return err('not_configured', 'Simulating an SMS is only available with the embedded server.')
      return current.embedded.simulateInbound({ workspaceId, from, body })
    },
    'embedded.get': async () => ok(await state()),
    'embedded.restart': async () => {
      if (runtime.backend().mode !== 'embedded')
        return err('not_configured', 'The app runs against another backend; there is no embedded server.')
      const current = await runtime.current()
      // A server that never started has no supervisor yet: the whole runtime starts again.
      if (current?.embedded) await current.embedded.restart()
      else await runtime.replace()
      return ok(await state())
    },
  }
}
