import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite/vector'
import { createWithArrayTypes, readArrayTypes } from './array-types.ts'
import { openDatabase } from './database.ts'

/*
 * Databases opened from the snapshot are told their array types instead of
 * asking Postgres at start-up. They must parse and serialize arrays exactly as
 * a PGlite that asked, and the types must really come from the snapshot.
 */

let db: PGlite
let dataDir: Blob

beforeAll(async () => {
  db = await openDatabase({ seed: true })
  dataDir = await db.dumpDataDir('none')
})
afterAll(() => db.close())

describe('array types known from the snapshot', () => {
  it('registers a parser and a serializer for every array type Postgres has', async () => {
    const live = await readArrayTypes(db)
    expect(live.length).toBeGreaterThan(100)
    for (const { typarray } of live) {
      expect(db.parsers[String(typarray)]).toBeTypeOf('function')
      expect(db.serializers[String(typarray)]).toBeTypeOf('function')
    }
  })

  it('parses and serializes arrays of built-in, extension and schema types as PGlite does', async () => {
    const stock = await PGlite.create({ loadDataDir: dataDir, extensions: { vector } })
    try {
      const sql = `
        select array[1, 2]::int4[] as ints,
               array['a,b', 'c"d', null]::text[] as texts,
               array['2026-11-25T10:00:00Z']::timestamptz[] as times,
               array['[1,2,3]']::extensions.vector[] as vectors,
               array['+15551234567']::public.e164[] as phones,
               (select array_agg(w order by w.id) from public.workspaces w) as workspaces,
               $1::int8[] as echoed`
      const params = [[7, 8]]
      const ours = (await db.query(sql, params)).rows[0]
      expect(ours).toEqual((await stock.query(sql, params)).rows[0])
      expect(ours).toMatchObject({ ints: [1, 2], texts: ['a,b', 'c"d', null], echoed: [7, 8] })
      expect((ours as { times: unknown[] }).times[0]).toBeInstanceOf(Date)
    } finally {
      await stock.close()
    }
  })

  it('uses the list it is given and does not ask Postgres', async () => {
    const told = await createWithArrayTypes({ loadDataDir: dataDir }, [{ oid: 25, typarray: 999_999 }])
    try {
      expect(told.parsers['999999']).toBeTypeOf('function')
      // int4[] is not in the list, so it stays text: nothing filled the gap behind our back.
      expect((await told.query('select array[1, 2]::int4[] as ints')).rows[0]).toEqual({ ints: '{1,2}' })
    } finally {
      await told.close()
    }
  })

  it('asks Postgres again on refreshArrayTypes, for types created after start-up', async () => {
    const told = await createWithArrayTypes({ loadDataDir: dataDir }, [])
    try {
      await told.exec(`create type mood as enum ('calm', 'busy')`)
      await told.refreshArrayTypes()
      expect((await told.query(`select array['calm', 'busy']::mood[] as moods`)).rows[0]).toEqual({
        moods: ['calm', 'busy'],
      })
    } finally {
      await told.close()
    }
  })
})
