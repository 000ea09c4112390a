import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { parseConfigToml } from '../config-toml.ts'

/**
 * The `[api]` part of supabase/config.toml that decides what PostgREST exposes, as the
 * Supabase CLI passes it on (PGRST_DB_SCHEMAS, PGRST_DB_EXTRA_SEARCH_PATH), with the
 * CLI's defaults (supabase/cli pkg/config/templates/config.toml). The first schema is
 * the one a request without Accept-Profile / Content-Profile reads and writes.
 */
const api = z
  .looseObject({
    schemas: z.array(z.string().min(1)).min(1).default(['public', 'graphql_public']),
    extra_search_path: z.array(z.string().min(1)).default(['public', 'extensions']),
  })
  .prefault({})

const configFile = z.looseObject({ api })

export interface ApiConfig {
  schemas: string[]
  extraSearchPath: string[]
}

export type ApiConfigResult = { ok: true; config: ApiConfig } | { ok: false; message: string }

export function apiConfigFrom(toml: string, source: string): ApiConfigResult {
  const parsed = parseConfigToml(toml, source, configFile)
  if (!parsed.ok) return parsed
  const { schemas, extra_search_path } = parsed.value.api
  return { ok: true, config: { schemas, extraSearchPath: extra_search_path } }
}

/** Reads `<supabaseDir>/config.toml`; a folder without one exposes what the CLI's template does. */
export function readApiConfig(supabaseDir: string): ApiConfigResult {
  const path = join(supabaseDir, 'config.toml')
  return apiConfigFrom(existsSync(path) ? readFileSync(path, 'utf8') : '', path)
}
