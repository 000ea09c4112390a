import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../src/shared/log.ts'
import { startLocalBackend } from './index.ts'

const scratch = mkdtempSync(join(tmpdir(), 'local-backend-packaging-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('a backend started away from the repository (the packaged app)', () => {
  it('reads migrations and seed from supabaseDir and caches its snapshot in snapshotDir', async () => {
    const supabaseDir = join(scratch, 'resources', 'supabase')
    const snapshotDir = join(scratch, 'snapshots')
    cpSync(resolve(import.meta.dirname, '../supabase/migrations'), join(supabaseDir, 'migrations'), { recursive: true })
    cpSync(resolve(import.meta.dirname, '../supabase/seed.sql'), join(supabaseDir, 'seed.sql'))
    // Only this copy has it: finding the table proves the repository's folder was not read.
    writeFileSync(join(supabaseDir, 'migrations', '99991231000000_packaging_probe.sql'), 'create table public.packaging_probe (id int primary key);')

    const backend = await startLocalBackend({ port: 0, seed: true, supabaseDir, snapshotDir, logger: createMemoryLogger('packaging').logger })
    try {
      const probe = await backend.db.query<{ name: string | null }>(`select to_regclass('public.packaging_probe')::text as name`)
      expect(probe.rows).toEqual([{ name: 'packaging_probe' }])
      const workspaces = await backend.db.query<{ count: number }>('select count(*)::int as count from public.workspaces')
      expect(workspaces.rows).toEqual([{ count: 2 }])
      expect(readdirSync(snapshotDir).filter((file) => file.endsWith('.tar'))).toHaveLength(1)
    } finally {
      await backend.stop()
    }
  }, 180_000)

  it('says which folder it looked in when the migrations are not there', async () => {
    const missing = join(scratch, 'nowhere', 'supabase')
    await expect(startLocalBackend({ port: 0, supabaseDir: missing, logger: createMemoryLogger('packaging').logger })).rejects.toThrow(
      `No Supabase migrations folder at ${join(missing, 'migrations')}`,
    )
  })
})
