import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { applyPendingMigrations, openDatabase, readMigrations } from './database.ts'

/*
 * Migrations are tracked as the Supabase CLI tracks them, and a persistent data
 * directory is migrated, never wiped, when the app ships a newer schema.
 */

const repositorySupabase = resolve(import.meta.dirname, '../../supabase')
const shippedVersions = readdirSync(join(repositorySupabase, 'migrations'))
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.split('_')[0]!)
  .sort()

let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'schema-migrations-'))
})
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

describe('migration history', () => {
  it('records every shipped migration in supabase_migrations.schema_migrations, with its name and SQL', async () => {
    const db = await openDatabase()
    try {
      const { rows } = await db.query<{ version: string; name: string; statements: string[] }>(
        'select version, name, statements from supabase_migrations.schema_migrations order by version',
      )
      expect(rows.map((row) => row.version)).toEqual(shippedVersions)
      const shipped = readMigrations(repositorySupabase)
      for (const [i, row] of rows.entries()) {
        expect(row.name).toBe(shipped[i]!.name)
        expect(row.statements).toEqual([shipped[i]!.sql])
      }
      expect(await applyPendingMigrations(db, shipped)).toEqual([])
    } finally {
      await db.close()
    }
  })

  it('a failing migration leaves no trace: neither its changes nor a history row', async () => {
    const db = await openDatabase()
    try {
      const broken = {
        version: '29990101000000',
        name: 'broken',
        sql: 'create table public.half_done (id int); select 1 / 0;',
      }
      await expect(applyPendingMigrations(db, [broken])).rejects.toThrow(/division by zero/)
      const { rows } = await db.query<{ history: number; table: string | null }>(
        `select (select count(*)::int from supabase_migrations.schema_migrations where version = $1) as history,
                to_regclass('public.half_done')::text as table`,
        [broken.version],
      )
      expect(rows).toEqual([{ history: 0, table: null }])
    } finally {
      await db.close()
    }
  })
})

describe('a persistent data directory', () => {
  it('is created from the snapshot, then re-opened as it is, applying only new migrations and keeping the data', async () => {
    const supabaseDir = join(scratch, 'supabase')
    const dataDir = join(scratch, 'data')
    cpSync(repositorySupabase, supabaseDir, { recursive: true })

    const first = await openDatabase({ dataDir, supabaseDir, seed: true })
    await first.query(`update contacts set name = 'Kept across upgrades' where phone_number = '+14155550101'`)
    const contactsBefore = (await first.query<{ n: number }>('select count(*)::int as n from contacts'))
      .rows[0]!.n
    await first.close()

    // The next app version ships one more migration.
    const next = '29990101000001'
    writeFileSync(
      join(supabaseDir, 'migrations', `${next}_contact_notes.sql`),
      'alter table public.contacts add column notes text;\n',
    )
    const upgraded = await openDatabase({ dataDir, supabaseDir, seed: true })
    try {
      const { rows: history } = await upgraded.query<{ version: string }>(
        'select version from supabase_migrations.schema_migrations order by version',
      )
      expect(history.map((row) => row.version)).toEqual([...shippedVersions, next])
      const { rows } = await upgraded.query<{ n: number; kept: number; notes: number }>(
        `select count(*)::int as n,
                count(*) filter (where name = 'Kept across upgrades')::int as kept,
                count(notes)::int as notes
           from contacts`,
      )
      expect(rows).toEqual([{ n: contactsBefore, kept: 1, notes: 0 }])
      // The seed ran once, when the directory was created: no duplicate demo users.
      const { rows: users } = await upgraded.query<{ n: number }>('select count(*)::int as n from auth.users')
      expect(users[0]!.n).toBe(3)
      expect(await applyPendingMigrations(upgraded, readMigrations(supabaseDir))).toEqual([])
    } finally {
      await upgraded.close()
    }
  })
})
