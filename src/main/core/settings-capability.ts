import type { BackendSettings, Settings } from '../../shared/domain.ts'
import { err, ok, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import type { Cache, RetentionPolicy } from '../cache/cache.ts'
import type { Alerts } from './alerts-capability.ts'
import type { HandlersFor } from './dispatch.ts'
import type { EventHub } from './event-hub.ts'
import type { RuntimeSlot } from './runtime-slot.ts'
import { loadSettings, resolveBackend, saveSettings } from './settings.ts'

/** The agent's settings as the running core sees them: read once from the file, saved on every change. */
export interface SettingsStore {
  get(): Settings
  /** True when the embedding code fixed the backend (tests, the browser shell's E2E stack). */
  readonly backendIsFixed: boolean
  /** The fixed backend, else the settings file's, else the environment's, else the embedded default. */
  chooseBackend(): Result<BackendSettings>
  /** Trims the cache to the retention the agent chose; a failure is logged, never fatal. */
  applyRetention(cache: Cache): void
  /** Saves `next`; says what changed so the caller can act on it. */
  replace(next: Settings): { backendChanged: boolean; retentionChanged: boolean }
}

export interface SettingsStoreOptions {
  file: string
  logger: Logger
  env: Record<string, string | undefined>
  backendOverride: BackendSettings | null
  /** Replaces the agent's retention choice (tests). */
  retentionOverride?: RetentionPolicy
}

export function createSettingsStore(options: SettingsStoreOptions): SettingsStore {
  const { file, logger, backendOverride } = options
  let settings = loadSettings(file, logger)
  return {
    get: () => settings,
    backendIsFixed: backendOverride !== null,
    chooseBackend() {
      if (backendOverride) return ok(backendOverride)
      const resolved = resolveBackend(settings, options.env)
      return resolved.ok
        ? ok(resolved.backend ?? { mode: 'embedded' })
        : err('not_configured', resolved.message)
    },
    applyRetention(cache) {
      try {
        cache.applyRetention(options.retentionOverride ?? { keepDays: settings.cacheRetentionDays })
      } catch (error) {
        logger.warn('retention failed', { error })
      }
    },
    replace(next) {
      const change = {
        backendChanged: JSON.stringify(next.backend) !== JSON.stringify(settings.backend),
        retentionChanged: next.cacheRetentionDays !== settings.cacheRetentionDays,
      }
      settings = next
      saveSettings(file, settings)
      return change
    },
  }
}

export interface SettingsCapabilityDeps {
  settings: SettingsStore
  runtime: RuntimeSlot
  events: EventHub
  alerts: Alerts
}

export function settingsCapability(
  deps: SettingsCapabilityDeps,
): HandlersFor<'settings.get' | 'settings.update'> {
  const { settings, runtime, events, alerts } = deps
  return {
    'settings.get': async () => ok(settings.get()),
    'settings.update': async (next) => {
      const { backendChanged, retentionChanged } = settings.replace(next)
      if (retentionChanged && !backendChanged) {
        const current = await runtime.current()
        if (current) settings.applyRetention(current.cache)
      }
      if (backendChanged && !settings.backendIsFixed) {
        // The new backend takes effect now: services restart against it, each with its own cache and session.
        await runtime.replace(() => alerts.resetBadge())
        events.emit('session.changed', await runtime.sessionState())
        events.emit('connection.changed', await runtime.connectionState())
      }
      return ok(settings.get())
    },
  }
}
