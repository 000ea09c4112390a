import { describe, expect, it } from 'vitest'
import { fidelityBackendPerFile } from './test-support.ts'

/*
 * Prefer and what a mutation answers, as PostgREST does. Each case names what it
 * follows: ApiRequest/Preferences.hs (parsing, Preference-Applied), MainTx.hs
 * (max-affected), Response.hs (statuses, Content-Range, Location) and Error.hs
 * (codes and bodies); docs.postgrest.org references/preferences.html.
 */
const fixture = fidelityBackendPerFile()

const json = (body: unknown, prefer: string, extra: Record<string, string> = {}) => ({
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', prefer, ...extra },
})

async function tallies(): Promise<{ id: number; label: string; n: number }[]> {
  const { rows } = await fixture().backend.db.query<{ id: number; label: string; n: number }>(
    'select id, label, n from public.tallies order by id',
  )
  return rows
}

describe('handling=strict (Preferences.hs, Plan.hs: InvalidPreferences)', () => {
  it('refuses a preference it does not know with PGRST122, naming it', async () => {
    const response = await fixture().rest('/tallies?select=id', {
      headers: { prefer: 'handling=strict, count=exact, bogus=1, return=everything' },
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      code: 'PGRST122',
      message: 'Invalid preferences given with handling=strict',
      details: 'Invalid preferences: bogus=1, return=everything',
      hint: null,
    })
  })

  it('without it, an unknown preference is ignored and the known ones are echoed', async () => {
    const response = await fixture().rest('/tallies?select=id&limit=1', {
      headers: { prefer: 'bogus=1, count=exact, handling=lenient, timezone=UTC' },
    })
    expect(response.status).toBe(206)
    expect(response.headers.get('preference-applied')).toBe('count=exact, handling=lenient, timezone=UTC')
    expect(response.headers.get('content-range')).toBe('0-0/3')
  })
})

describe("count=planned (Statements.hs: the planner's row estimate from EXPLAIN)", () => {
  it("answers the planner's estimate as the total, and 206 when it is more than the page", async () => {
    const response = await fixture().rest('/tallies?select=id', {
      method: 'HEAD',
      headers: { prefer: 'count=planned' },
    })
    const [, page, total] = /^(\d+-\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '') ?? []
    expect(page).toBe('0-2')
    expect(Number.isInteger(Number(total))).toBe(true)
    expect(response.status).toBe(Number(total) > 3 ? 206 : 200)
    const exact = await fixture().rest('/tallies?select=id', {
      method: 'HEAD',
      headers: { prefer: 'count=exact' },
    })
    expect(exact.headers.get('content-range')).toBe('0-2/3')
  })
})

describe('max-affected (MainTx.hs failExceedsMaxAffectedPref)', () => {
  it('an update touching more rows than allowed is undone and answers PGRST124', async () => {
    const before = await tallies()
    const response = await fixture().rest('/tallies?id=lte.3', {
      method: 'PATCH',
      ...json({ n: 0 }, 'handling=strict, max-affected=2'),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      code: 'PGRST124',
      message: 'Query result exceeds max-affected preference constraint',
      details: 'The query affects 3 rows',
      hint: null,
    })
    expect(await tallies()).toEqual(before)
  })

  it('a delete over the limit is undone too, through supabase-js .maxAffected()', async () => {
    const { error, status } = await fixture().client.from('tallies').delete().gte('id', 1).maxAffected(1)
    expect(status).toBe(400)
    expect(error).toMatchObject({ code: 'PGRST124', details: 'The query affects 3 rows' })
    expect(await tallies()).toHaveLength(3)
  })

  it('within the limit the change commits, and Preference-Applied names the limit', async () => {
    const response = await fixture().rest('/tallies?id=eq.1', {
      method: 'PATCH',
      ...json({ n: 11 }, 'handling=strict,max-affected=1,return=representation'),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('preference-applied')).toBe(
      'return=representation, handling=strict, max-affected=1',
    )
    expect(await response.json()).toEqual([{ id: 1, label: 'one', n: 11 }])
    await fixture().client.from('tallies').update({ n: 1 }).eq('id', 1)
  })

  it('an RPC returning more rows than the limit is undone too (postgrest-js max-affected.test.ts)', async () => {
    const before = await tallies()
    const { error, status } = await fixture().client.rpc('bump_tallies', { below: 4 }).maxAffected(1).select()
    expect(status).toBe(400)
    expect(error).toMatchObject({ code: 'PGRST124', details: 'The query affects 3 rows' })
    expect(await tallies()).toEqual(before)
    const within = await fixture().client.rpc('bump_tallies', { below: 2 }).maxAffected(1).select()
    expect(within.data).toEqual([{ id: 1, label: 'one', n: 101 }])
    await fixture().client.from('tallies').update({ n: 1 }).eq('id', 1)
  })

  it('without handling=strict, max-affected is not enforced (nor echoed)', async () => {
    const response = await fixture().rest('/tallies?id=lte.3', {
      method: 'PATCH',
      ...json({ n: 5 }, 'max-affected=1,tx=rollback,count=exact'),
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('content-range')).toBe('0-2/3')
    expect(response.headers.get('preference-applied')).toBe('count=exact, tx=rollback')
  })
})

describe('upsert status (Response.hs: 201 if any row was inserted, else 200)', () => {
  it('merge-duplicates that only updates existing rows is 200', async () => {
    const { status, data, error } = await fixture()
      .client.from('tallies')
      .upsert([{ id: 2, label: 'two', n: 22 }])
      .select('id, n')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([{ id: 2, n: 22 }])
  })

  it('merge-duplicates that inserts any row is 201', async () => {
    const response = await fixture().rest('/tallies?on_conflict=label', {
      method: 'POST',
      ...json(
        [
          { label: 'two', n: 2 },
          { label: 'four', n: 4 },
        ],
        'resolution=merge-duplicates,return=minimal,tx=rollback',
      ),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('preference-applied')).toBe(
      'resolution=merge-duplicates, return=minimal, tx=rollback',
    )
  })

  // QueryBuilder.hs: the merge sets every column the rows carry, the key too.
  it('merge-duplicates of a row that carries only its key returns the existing row, 200', async () => {
    const { status, data } = await fixture()
      .client.from('tallies')
      .upsert({ label: 'three' }, { onConflict: 'label' })
      .select('id, label, n')
    expect(status).toBe(200)
    expect(data).toEqual([{ id: 3, label: 'three', n: 3 }])
  })

  it('ignore-duplicates is 201 even when nothing new was inserted', async () => {
    const { status, data } = await fixture()
      .client.from('tallies')
      .upsert([{ id: 3, label: 'three', n: 99 }], { ignoreDuplicates: true })
      .select('id')
    expect(status).toBe(201)
    expect(data).toEqual([])
    expect((await tallies())[2]).toEqual({ id: 3, label: 'three', n: 3 })
  })

  it('a table without a key inserts plainly, neither applying nor echoing a resolution', async () => {
    const response = await fixture().rest('/keyless', {
      method: 'POST',
      ...json({ label: 'a', n: 1 }, 'resolution=ignore-duplicates,tx=rollback'),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('preference-applied')).toBe('tx=rollback')
  })
})

describe('Content-Range and Location of mutations (Response.hs)', () => {
  it('an insert gives only the count (*/n), a delete too; an update gives its rows (0-1/2)', async () => {
    const inserted = await fixture().rest('/tallies', {
      method: 'POST',
      ...json([{ label: 'five' }, { label: 'six' }], 'count=exact,return=representation'),
    })
    expect(inserted.status).toBe(201)
    expect(inserted.headers.get('content-range')).toBe('*/2')
    const rows = (await inserted.json()) as { id: number; n: number }[]
    expect(rows.map((row) => row.n)).toEqual([7, 7])

    const updated = await fixture().rest('/tallies?label=in.(five,six)', {
      method: 'PATCH',
      ...json({ n: 8 }, 'count=exact'),
    })
    expect(updated.status).toBe(204)
    expect(updated.headers.get('content-range')).toBe('0-1/2')

    const deleted = await fixture().rest('/tallies?label=in.(five,six)', {
      method: 'DELETE',
      headers: { prefer: 'count=exact' },
    })
    expect(deleted.status).toBe(204)
    expect(deleted.headers.get('content-range')).toBe('*/2')
    expect(await tallies()).toHaveLength(3)
  })

  it('return=headers-only answers 201 with the Location of the new row and no body', async () => {
    const response = await fixture().rest('/tallies', {
      method: 'POST',
      ...json({ id: 40, label: 'forty' }, 'return=headers-only,tx=rollback'),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('location')).toBe('/tallies?id=eq.40')
    expect(await response.text()).toBe('')
    expect(await tallies()).toHaveLength(3)
  })

  it('missing=default gives a key a row leaves out its column default', async () => {
    const response = await fixture().rest('/tallies?columns=label,n&select=label,n', {
      method: 'POST',
      ...json(
        [{ label: 'seven', n: 1 }, { label: 'eight' }],
        'missing=default,return=representation,tx=rollback',
      ),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('preference-applied')).toBe(
      'missing=default, return=representation, tx=rollback',
    )
    expect(await response.json()).toEqual([
      { label: 'seven', n: 1 },
      { label: 'eight', n: 7 },
    ])
  })
})

describe('missing=default and quoted names (SqlFragment.hs fromJsonBodyF; QueryParams.hs pFieldName)', () => {
  const stickerSequence = async () =>
    (
      await fixture().backend.db.query<{ n: number }>(
        'select last_value::int as n from public.stickers_id_seq',
      )
    ).rows[0]!.n

  it('each row evaluates every default, given or not: the sequence advances once per row', async () => {
    const before = await stickerSequence()
    const { data, error, status } = await fixture()
      .client.from('stickers')
      .insert([{ id: 50 }, { 'sticker label': 'second' }], { defaultToNull: false })
      .select()
      .rollback()
    expect(error).toBeNull()
    expect(status).toBe(201)
    expect(data).toEqual([
      { id: 50, 'sticker label': null, colour: 'grey' },
      { id: before + 2, 'sticker label': 'second', colour: 'grey' },
    ])
  })

  it('an upsert merges every listed column: one a row leaves out without a default becomes null', async () => {
    const { data, error } = await fixture()
      .client.from('stickers')
      .upsert([{ id: 1 }, { id: 70, 'sticker label': 'new' }], { defaultToNull: false })
      .select('id, "sticker label"')
      .rollback()
    expect(error).toBeNull()
    expect(data).toEqual([
      { id: 1, 'sticker label': null },
      { id: 70, 'sticker label': 'new' },
    ])
  })

  it('a double-quoted name in columns= and select= is the column of that name', async () => {
    const response = await fixture().rest(
      '/stickers?columns="sticker label","id"&select="sticker label",id',
      {
        method: 'POST',
        ...json([{ 'sticker label': 'quoted', id: 60 }], 'return=representation,tx=rollback'),
      },
    )
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual([{ 'sticker label': 'quoted', id: 60 }])
  })
})

describe('error bodies (Error.hs)', () => {
  it('a unique violation is 409 with Postgres code, message and details', async () => {
    const { error, status } = await fixture().client.from('tallies').insert({ label: 'one' })
    expect(status).toBe(409)
    expect(error).toEqual({
      code: '23505',
      message: 'duplicate key value violates unique constraint "tallies_label_key"',
      details: 'Key (label)=(one) already exists.',
      hint: null,
    })
  })

  it('a singular request that finds many rows is PGRST116 in PostgREST words', async () => {
    const { error, status } = await fixture().client.from('tallies').select('id').single()
    expect(status).toBe(406)
    expect(error).toEqual({
      code: 'PGRST116',
      message: 'Cannot coerce the result to a single JSON object',
      details: 'The result contains 3 rows',
      hint: null,
    })
  })
})
