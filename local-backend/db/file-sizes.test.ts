import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { rememberFileSizes } from './file-sizes.ts'

/*
 * Each file's size is kept between a seek to its end and its next write or truncation
 * (file-sizes.ts). Postgres' own view of a table's size is relpages, which ANALYZE takes
 * from a seek to the end of its file; pg_relation_size takes it from the file on disk.
 * A size kept past a change would part the two, or fail the statement that relied on it.
 */
let dir: string
let db: PGlite
let kept: boolean

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'file-sizes-'))
  db = await PGlite.create({ dataDir: dir })
  kept = rememberFileSizes(db)
})
afterAll(async () => {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
})

async function pagesAfter(...statements: string[]): Promise<{ seen: number; onDisk: number; rows: number }> {
  for (const statement of statements) await db.exec(statement)
  await db.exec('analyze sized')
  const { rows } = await db.query<{ seen: number; onDisk: number; rows: number }>(
    `select relpages as seen,
            (pg_relation_size('sized') / current_setting('block_size')::int)::int as "onDisk",
            (select count(*)::int from sized) as rows
       from pg_class where oid = 'sized'::regclass`,
  )
  return rows[0]!
}

it('Postgres sees each file at its size on disk as it grows, is truncated, and is replaced', async () => {
  expect(kept).toBe(true)
  await db.exec('create table sized (id int primary key, pad text)')
  const grown = await pagesAfter(
    `insert into sized select i, repeat('x', 200) from generate_series(1, 5000) i`,
  )
  // VACUUM cuts the emptied tail off the file (a truncation); the inserts after it extend it again.
  const cut = await pagesAfter('delete from sized where id > 100', 'vacuum sized')
  const regrown = await pagesAfter(
    `insert into sized select i, repeat('y', 200) from generate_series(101, 3000) i`,
  )
  // TRUNCATE and VACUUM FULL each move the table to a new file.
  const replaced = await pagesAfter(
    `truncate sized; insert into sized select i, 'z' from generate_series(1, 50) i`,
  )
  const rewritten = await pagesAfter('delete from sized where id > 10', 'vacuum full sized')

  for (const step of [grown, cut, regrown, replaced, rewritten]) expect(step.seen).toBe(step.onDisk)
  expect([grown, cut, regrown, replaced, rewritten].map((step) => step.rows)).toEqual([
    5000, 100, 3000, 50, 10,
  ])
  expect(cut.seen).toBeLessThan(grown.seen)
  expect(regrown.seen).toBeGreaterThan(cut.seen)
  expect(replaced.seen).toBeLessThan(regrown.seen)
  expect(rewritten.seen).toBe(1)
})
