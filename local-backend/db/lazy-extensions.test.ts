import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { PGlite } from '@electric-sql/pglite'
import { openDatabase } from './database.ts'
import { lazyExtension } from './lazy-extensions.ts'

const cacheDir = resolve(import.meta.dirname, '../../node_modules/.cache/local-backend')

/*
 * The embedded database installs vector, uuid-ossp and pgcrypto without
 * compiling them at start-up: each must still work on first use, and a bundle
 * that cannot be read must fail the start with the reason.
 */

describe('lazily loaded extensions', () => {
  it('serve uuid-ossp, pgcrypto and pgvector on first use', async () => {
    const db = await openDatabase()
    try {
      const { rows } = await db.query<{ id: string; distance: number }>(`
        select extensions.uuid_generate_v4()::text as id,
               '[3,4]'::extensions.vector operator(extensions.<->) '[0,0]'::extensions.vector as distance`)
      expect(rows[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(rows[0]!.distance).toBe(5)
      const hash = (
        await db.query<{ hash: string }>(
          `select extensions.crypt('inbox', extensions.gen_salt('bf', 4)) as hash`,
        )
      ).rows[0]!.hash
      const check = await db.query<{ ok: boolean; wrong: boolean }>(
        `select extensions.crypt('inbox', $1) = $1 as ok, extensions.crypt('other', $1) = $1 as wrong`,
        [hash],
      )
      expect(check.rows[0]).toEqual({ ok: true, wrong: false })
    } finally {
      await db.close()
    }
  })

  it('fails the start, naming the file, when a bundle is missing', async () => {
    const missing = lazyExtension(
      {
        name: 'missing',
        setup: async () => ({ bundlePath: new URL('file:///nonexistent/missing.tar.gz') }),
      },
      tmpdir(),
    )
    await expect(PGlite.create({ extensions: { missing } })).rejects.toThrow(/missing\.tar\.gz/)
  })

  it('keeps each bundle inflated in the cache folder, byte for byte, for later starts to read', async () => {
    await (await openDatabase()).close()
    const bundle = new URL('pgcrypto.tar.gz', import.meta.resolve('@electric-sql/pglite'))
    const [cached] = readdirSync(cacheDir).filter((name) => /^extension-pgcrypto-\d+-\d+\.tar$/.test(name))
    expect(cached).toBeDefined()
    expect(readFileSync(join(cacheDir, cached!)).equals(gunzipSync(readFileSync(bundle)))).toBe(true)
  })
})
