import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite } from '@electric-sql/pglite'
import { openDatabase } from '../db/database.ts'
import { hashPassword, passwordMatches } from './passwords.ts'

/*
 * Hashes made here and hashes a seed makes with pgcrypto must be interchangeable,
 * since a seed written for a hosted project stores crypt(…, gen_salt('bf')).
 */

let db: PGlite
beforeAll(async () => {
  db = await openDatabase()
})
afterAll(async () => {
  await db.close()
})

describe('password hashing', () => {
  it('hashes with bcrypt cost 10 and checks the password', async () => {
    const hash = await hashPassword('inbox-demo-1')
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/)
    expect(await passwordMatches('inbox-demo-1', hash)).toBe(true)
    expect(await passwordMatches('inbox-demo-2', hash)).toBe(false)
  })

  it('accepts pgcrypto hashes, and pgcrypto accepts ours', async () => {
    const fromPgcrypto = (
      await db.query<{ hash: string }>(
        `select extensions.crypt('s3cret!', extensions.gen_salt('bf', 10)) as hash`,
      )
    ).rows[0]!.hash
    expect(await passwordMatches('s3cret!', fromPgcrypto)).toBe(true)
    expect(await passwordMatches('s3cret?', fromPgcrypto)).toBe(false)
    const ours = await hashPassword('s3cret!')
    const checked = await db.query<{ ok: boolean }>(`select extensions.crypt('s3cret!', $1) = $1 as ok`, [
      ours,
    ])
    expect(checked.rows[0]!.ok).toBe(true)
  })

  it('says no, after the same bcrypt work, when there is no account or no password', async () => {
    expect(await passwordMatches('anything', undefined)).toBe(false)
    expect(await passwordMatches('anything', null)).toBe(false)
    expect(await passwordMatches('', '')).toBe(false)
  })
})
