import { afterAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { openDatabase, seededSnapshotMaxAgeMs } from './database.ts'
import { readWholeFile } from './read-whole-file.ts'
import { SnapshotMemoryFS } from './snapshot-fs.ts'

/*
 * Test databases start from the cached snapshot through SnapshotMemoryFS, which
 * hands the tarball's bytes to Postgres without copying them: each database must
 * still be its own, and a bad snapshot must fail loudly instead of initdb-ing.
 */

const scratch = mkdtempSync(join(tmpdir(), 'snapshot-fs-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The seeded snapshot, built once into its own folder (the shared cache holds others too). */
async function snapshotBytes(): Promise<Buffer> {
  const snapshotDir = join(scratch, 'snapshots')
  await (await openDatabase({ seed: true, snapshotDir })).close()
  const [file] = readdirSync(snapshotDir).filter((name) => name.endsWith('.tar'))
  return readFileSync(join(snapshotDir, file!))
}

describe('SnapshotMemoryFS', () => {
  it('opens the seeded snapshot, and two databases from it never see each other’s writes', async () => {
    const first = await openDatabase({ seed: true })
    const second = await openDatabase({ seed: true })
    try {
      const count = 'select count(*)::int as n from public.workspaces'
      const seeded = (await first.query<{ n: number }>(count)).rows[0]!.n
      expect(seeded).toBe(2)
      await first.query(`insert into public.workspaces (name) values ('Only in the first')`)
      expect((await first.query<{ n: number }>(count)).rows[0]!.n).toBe(3)
      expect((await second.query<{ n: number }>(count)).rows[0]!.n).toBe(2)
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('adopts a tarball that is a view into a larger buffer', async () => {
    const bytes = await snapshotBytes()
    const padded = new Uint8Array(bytes.byteLength + 1024)
    padded.set(bytes, 512)
    const db = await PGlite.create({
      fs: new SnapshotMemoryFS(Promise.resolve(padded.subarray(512, 512 + bytes.byteLength))),
    })
    try {
      expect((await db.query<{ n: number }>('select count(*)::int as n from auth.users')).rows[0]!.n).toBe(3)
    } finally {
      await db.close()
    }
  })

  it('refuses a tarball that is not a data directory instead of creating an empty database', async () => {
    const garbage = new TextEncoder().encode('not a tarball at all'.repeat(100))
    await expect(PGlite.create({ fs: new SnapshotMemoryFS(Promise.resolve(garbage)) })).rejects.toThrow(
      /not a Postgres data directory/,
    )
  })

  it('passes on a failed read of the tarball', async () => {
    const missing = join(scratch, 'missing.tar')
    const read = readWholeFile(missing)
    await expect(PGlite.create({ fs: new SnapshotMemoryFS(read) })).rejects.toThrow(/ENOENT/)
  })

  it('rebuilds a snapshot that was deleted', async () => {
    const snapshotDir = join(scratch, 'snapshots')
    rmSync(snapshotDir, { recursive: true, force: true })
    const db = await openDatabase({ seed: true, snapshotDir })
    try {
      expect(
        (await db.query<{ n: number }>('select count(*)::int as n from public.workspaces')).rows[0]!.n,
      ).toBe(2)
      expect(readdirSync(snapshotDir).some((name) => name.endsWith('.tar'))).toBe(true)
    } finally {
      await db.close()
    }
  })

  it('seeds a stale demo snapshot again, so a new demo inbox is recent, and keeps an unseeded one', async () => {
    const staleAt = (Date.now() - 2 * seededSnapshotMaxAgeMs) / 1000
    const tarballIn = (dir: string) =>
      join(
        dir,
        readdirSync(dir).find((name) => name.endsWith('.tar'))!,
      )
    const seededDir = join(scratch, 'stale-seeded')
    const plainDir = join(scratch, 'stale-plain')
    await (await openDatabase({ seed: true, snapshotDir: seededDir })).close()
    await (await openDatabase({ seed: false, snapshotDir: plainDir })).close()
    utimesSync(tarballIn(seededDir), staleAt, staleAt)
    utimesSync(tarballIn(plainDir), staleAt, staleAt)

    const seeded = await openDatabase({ seed: true, snapshotDir: seededDir })
    try {
      const { rows } = await seeded.query<{ newest_minutes: number }>(
        `select (extract(epoch from now() - max(created_at)) / 60)::int as newest_minutes from public.messages`,
      )
      expect(rows[0]!.newest_minutes).toBeLessThan(seededSnapshotMaxAgeMs / 60_000)
      expect(statSync(tarballIn(seededDir)).mtimeMs / 1000).toBeGreaterThan(staleAt + 60)
    } finally {
      await seeded.close()
    }
    await (await openDatabase({ seed: false, snapshotDir: plainDir })).close()
    expect(Math.round(statSync(tarballIn(plainDir)).mtimeMs / 1000)).toBe(Math.round(staleAt))
  })

  it('rebuilds a snapshot left without its array types, rather than trusting it', async () => {
    const snapshotDir = join(scratch, 'snapshots')
    await (await openDatabase({ seed: true, snapshotDir })).close()
    const [typesFile] = readdirSync(snapshotDir).filter((name) => name.endsWith('.array-types.json'))
    const [tarball] = readdirSync(snapshotDir).filter((name) => name.endsWith('.tar'))
    rmSync(join(snapshotDir, typesFile!))
    const before = statSync(join(snapshotDir, tarball!)).mtimeMs
    const db = await openDatabase({ seed: true, snapshotDir })
    try {
      expect(existsSync(join(snapshotDir, typesFile!))).toBe(true)
      expect(statSync(join(snapshotDir, tarball!)).mtimeMs).toBeGreaterThan(before)
      expect((await db.query('select array[1, 2]::int4[] as ints')).rows[0]).toEqual({ ints: [1, 2] })
    } finally {
      await db.close()
    }
  })
})
