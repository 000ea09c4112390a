import { join } from 'node:path'
import type { BackendSettings } from '../../shared/domain.ts'
import { createStdoutLogger } from '../../../logging/logger.ts'
import type { Logger } from '../../shared/log.ts'
import type { RetentionPolicy } from '../cache/cache.ts'
import type { Platform } from '../platform-interface.ts'
import { createAccess, type Access } from './access.ts'
import { createAlerts, type Alerts } from './alerts-capability.ts'
import { startBackendRuntime } from './backend-runtime.ts'
import { createEmbeddedLauncher, type EmbeddedLauncher } from './embedded-capability.ts'
import { createEventHub, type EventHub } from './event-hub.ts'
import { createRuntimeSlot, type RuntimeSlot } from './runtime-slot.ts'
import { createSettingsStore, type SettingsStore } from './settings-capability.ts'

export interface AppCoreConfig {
  logger?: Logger
  /** Overrides the settings file and the environment (tests, the browser shell's E2E stack). */
  backend?: BackendSettings | null
  env?: Record<string, string | undefined>
  /** The embedded stack's child entry; defaults to host.ts beside the launcher (Node 24 runs it directly). */
  embeddedHostModule?: string
  /** The embedded backend's port, never another (a flag; else SMS_INBOX_BACKEND_PORT, else 54321). */
  embeddedPort?: number
  retention?: RetentionPolicy
  /** How far behind the cursor a backfill re-reads (commit order is not timestamp order). */
  overlapMs?: number
  /** When the full cache integrity check runs after start. */
  integrityCheckDelayMs?: number
}

/** The pieces every capability shares, built once, in dependency order, before any capability. */
export interface CoreServices {
  platform: Platform
  logger: Logger
  events: EventHub
  settings: SettingsStore
  alerts: Alerts
  embedded: EmbeddedLauncher
  /** Starts the first runtime as it is created. */
  runtime: RuntimeSlot
  access: Access
}

export function createCoreServices(platform: Platform, config: AppCoreConfig = {}): CoreServices {
  const logger = config.logger ?? createStdoutLogger('main')
  const events = createEventHub(logger)
  const settings = createSettingsStore({
    file: join(platform.userDataDir, 'settings.json'),
    logger,
    env: config.env ?? process.env,
    backendOverride: config.backend ?? null,
    retentionOverride: config.retention,
  })
  const alerts = createAlerts({ platform, events, settings })
  const embedded = createEmbeddedLauncher({
    userDataDir: platform.userDataDir,
    logger,
    hostModule: config.embeddedHostModule,
    port: config.embeddedPort,
    env: config.env ?? process.env,
    startService: platform.startService,
  })
  const runtime = createRuntimeSlot({
    settings,
    logger,
    start: (backend, hooks) =>
      startBackendRuntime(backend, {
        platform,
        logger,
        events,
        settings,
        alerts,
        embedded,
        overlapMs: config.overlapMs,
        integrityCheckDelayMs: config.integrityCheckDelayMs,
        ...hooks,
      }),
  })
  return { platform, logger, events, settings, alerts, embedded, runtime, access: createAccess(runtime) }
}
