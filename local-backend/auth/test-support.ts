import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultSupabaseDir } from '../db/database.ts'

/**
 * For tests: a supabase folder holding the project's migrations and seed beside a
 * config.toml of the test's own, or none at all, as the packaged app's resources hold none.
 */
export function supabaseFolder(configToml: string | undefined): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'supabase-folder-'))
  symlinkSync(join(defaultSupabaseDir, 'migrations'), join(dir, 'migrations'))
  symlinkSync(join(defaultSupabaseDir, 'seed.sql'), join(dir, 'seed.sql'))
  if (configToml !== undefined) writeFileSync(join(dir, 'config.toml'), configToml)
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
