import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import {
  backendSettingsSchema,
  defaultCacheRetentionDays,
  settingsSchema,
  type BackendSettings,
  type Settings,
} from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'

/**
 * Settings live in userData/settings.json. The backend comes from, in order: the
 * settings file when it names a custom backend, else SUPABASE_URL / SUPABASE_PUBLISHABLE_KEY /
 * RELAY_URL from the environment, else the embedded default. A project's legacy anon key
 * still works where its publishable key goes, as on hosted Supabase, so SUPABASE_ANON_KEY
 * stands in when SUPABASE_PUBLISHABLE_KEY is not set.
 */
export const defaultSettings: Settings = {
  backend: { mode: 'embedded' },
  notifications: {},
  cacheRetentionDays: defaultCacheRetentionDays,
}

/** A file written before the key was the publishable key named it `anonKey`; it keeps working. */
function withPublishableKey(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('backend' in raw)) return raw
  const { backend } = raw
  if (
    typeof backend !== 'object' ||
    backend === null ||
    !('anonKey' in backend) ||
    'publishableKey' in backend
  )
    return raw
  const { anonKey, ...rest } = backend
  return { ...raw, backend: { ...rest, publishableKey: anonKey } }
}

export function loadSettings(file: string, logger: Logger): Settings {
  if (!existsSync(file)) return defaultSettings
  try {
    const parsed = settingsSchema.safeParse(withPublishableKey(JSON.parse(readFileSync(file, 'utf8'))))
    if (parsed.success) return parsed.data
    logger.warn('settings file does not match the schema; using defaults', { file })
  } catch (error) {
    logger.warn('settings file unreadable; using defaults', { error, file })
  }
  return defaultSettings
}

export function saveSettings(file: string, settings: Settings): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(`${file}.tmp`, JSON.stringify(settings, null, 2))
  renameSync(`${file}.tmp`, file)
}

export type EnvBackend = { ok: true; backend: BackendSettings | null } | { ok: false; message: string }

/** The backend the environment names, if any; a half or malformed configuration is an error, not a silent fallback. */
export function backendFromEnv(env: Record<string, string | undefined>): EnvBackend {
  const supabaseUrl = env.SUPABASE_URL?.trim()
  if (!supabaseUrl) return { ok: true, backend: null }
  const candidate = {
    mode: 'custom' as const,
    supabaseUrl: supabaseUrl.replace(/\/+$/, ''),
    publishableKey: (env.SUPABASE_PUBLISHABLE_KEY ?? env.SUPABASE_ANON_KEY)?.trim() ?? '',
    relayUrl: (env.RELAY_URL?.trim() || `${supabaseUrl.replace(/\/+$/, '')}/functions/v1/sms-relay`).replace(
      /\/+$/,
      '',
    ),
  }
  const parsed = backendSettingsSchema.safeParse(candidate)
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'settings')
    const name =
      { supabaseUrl: 'SUPABASE_URL', publishableKey: 'SUPABASE_PUBLISHABLE_KEY', relayUrl: 'RELAY_URL' }[
        field
      ] ?? field
    return { ok: false, message: `${name} is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}` }
  }
  return { ok: true, backend: parsed.data }
}

export function resolveBackend(settings: Settings, env: Record<string, string | undefined>): EnvBackend {
  if (settings.backend.mode === 'custom') return { ok: true, backend: settings.backend }
  const fromEnv = backendFromEnv(env)
  if (!fromEnv.ok) return fromEnv
  return { ok: true, backend: fromEnv.backend ?? { mode: 'embedded' } }
}
