import { describe, expect, it } from 'vitest'
import { fidelityBackendPerFile } from './test-support.ts'

/*
 * What a request answers in each media type PostgREST has a handler for: CSV, the
 * query's EXPLAIN (vnd.pgrst.plan) and GeoJSON, negotiated from Accept. Each case
 * names what it follows: MediaType.hs (parsing, Content-Type), Plan/Negotiate.hs,
 * Query/SqlFragment.hs (asCsvF, asGeoJsonF, explainF) and MainTx.hs (planRow);
 * docs.postgrest.org references/api/media_type_handlers.html and observability.html.
 */
const fixture = fidelityBackendPerFile()

describe('text/csv (SqlFragment.hs asCsvF)', () => {
  it("answers a header of the columns over each row's record text, quoted as Postgres quotes it", async () => {
    const { data, error, status } = await fixture()
      .client.from('people')
      .select('id, name, ages, tags, active')
      .order('id')
      .csv()
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toBe(
      [
        'id,name,ages,tags,active',
        '1,Ada,"[1,10)","{red,blue}",t',
        '2,Brian,"[10,20)",{blue},f',
        `3,"Chloé O'Hara","[20,30)",{},`,
      ].join('\n'),
    )
  })

  it('is text/csv, and an empty result is an empty header line', async () => {
    const response = await fixture().rest('/people?select=id&id=eq.0', { headers: { accept: 'text/csv' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(await response.text()).toBe('\n')
  })

  it('a mutation asked for its representation answers it as CSV too', async () => {
    const response = await fixture().rest('/notes?select=id,person_id', {
      method: 'POST',
      body: JSON.stringify({ id: 40, person_id: 2 }),
      headers: {
        'content-type': 'application/json',
        accept: 'text/csv',
        prefer: 'return=representation,tx=rollback',
      },
    })
    expect(response.status).toBe(201)
    expect(await response.text()).toBe('id,person_id\n40,2')
  })
})

describe('application/vnd.pgrst.plan (SqlFragment.hs explainF, MainTx.hs planRow)', () => {
  it('+text answers the EXPLAIN of the read, one line per row, with the media type it is for', async () => {
    const response = await fixture().rest('/people?select=name', {
      headers: { accept: 'application/vnd.pgrst.plan' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8',
    )
    const text = await response.text()
    expect(text).toMatch(/^Aggregate {2}\(cost=[\d.]+ rows=1 width=\d+\)\n/)
    expect(text).toMatch(/Seq Scan on people/)
    expect(text.endsWith('\n')).toBe(true)
  })

  it('+json with options passes them to EXPLAIN: verbose gives Output, analyze actual rows', async () => {
    const { data, error } = await fixture()
      .client.from('people')
      .select('name')
      .explain({ format: 'json', verbose: true, analyze: true })
    expect(error).toBeNull()
    const [explained] = data as unknown as { Plan: { Output: string[]; 'Actual Rows': number } }[]
    expect(explained!.Plan.Output.join(' ')).toContain('json_agg')
    expect(explained!.Plan['Actual Rows']).toBe(1)
  })

  it('names the options in Content-Type, and for= picks the handler explained', async () => {
    const response = await fixture().rest('/people?select=name', {
      headers: { accept: 'application/vnd.pgrst.plan+json; for="text/csv"; options=buffers|verbose' },
    })
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.pgrst.plan+json; for="text/csv"; options=verbose|buffers; charset=utf-8',
    )
    const [explained] = (await response.json()) as { Plan: { Output: string[] } }[]
    expect(explained!.Plan.Output.join(' ')).toContain('string_agg')
  })

  it('explaining a mutation without analyze changes nothing; with analyze it runs, and tx=rollback undoes it', async () => {
    const insert = (accept: string) =>
      fixture().rest('/notes', {
        method: 'POST',
        body: JSON.stringify({ id: 41, person_id: 1 }),
        headers: { 'content-type': 'application/json', accept, prefer: 'tx=rollback' },
      })
    const notes = async () =>
      (await fixture().backend.db.query('select id from public.notes where id = 41')).rows.length
    expect((await insert('application/vnd.pgrst.plan')).status).toBe(200)
    expect(await notes()).toBe(0)
    const analyzed = await insert('application/vnd.pgrst.plan; options=analyze')
    expect(await analyzed.text()).toMatch(/Insert on notes .*\(actual time=/)
    expect(await notes()).toBe(0)
  })
})

describe('application/geo+json and what no handler answers (Plan/Negotiate.hs)', () => {
  // PostgREST always offers GeoJSON; its query calls PostGIS's ST_AsGeoJSON, and where
  // PostGIS is missing (as in PGlite) Postgres refuses that call: 42883, 404.
  it('GeoJSON needs PostGIS: without it, the function Postgres cannot find', async () => {
    const { status, error } = await fixture().client.from('people').select('id').geojson()
    expect(status).toBe(404)
    expect(error).toMatchObject({ code: '42883', message: 'function st_asgeojson(record) does not exist' })
  })

  it('a media type with no handler is PGRST107 (406); the first one acceptable wins', async () => {
    const refused = await fixture().rest('/people?select=id', { headers: { accept: 'text/xml, image/png' } })
    expect(refused.status).toBe(406)
    expect(await refused.json()).toEqual({
      code: 'PGRST107',
      message: 'None of these media types are available: text/xml, image/png',
      details: null,
      hint: null,
    })
    const picked = await fixture().rest('/people?select=id&id=eq.1', {
      headers: { accept: 'text/xml, text/csv, application/json' },
    })
    expect(await picked.text()).toBe('id\n1')
  })

  it('nulls=stripped on an array answers its own media type', async () => {
    const response = await fixture().rest('/people?select=id,bio&id=eq.3', {
      headers: { accept: 'application/vnd.pgrst.array+json;nulls=stripped' },
    })
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8',
    )
    expect(await response.json()).toEqual([{ id: 3 }])
  })
})
