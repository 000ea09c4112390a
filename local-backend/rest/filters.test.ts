import { describe, expect, it } from 'vitest'
import { fidelityBackendPerFile } from './test-support.ts'

/*
 * Filters as PostgREST answers them, over real HTTP from supabase-js. Each case
 * names what it follows: PostgREST's operator table
 * (docs.postgrest.org, references/api/tables_views.html#operators, "Full-Text
 * Search", "JSON Columns") and its SQL (src/library/PostgREST/Query/SqlFragment.hs).
 */
const fixture = fidelityBackendPerFile()

const people = () => fixture().client.from('people').select('id').order('id')

async function ids(query: PromiseLike<{ data: { id: number }[] | null; error: unknown }>) {
  const { data, error } = await query
  expect(error).toBeNull()
  return data!.map((row) => row.id)
}

describe('range operators (tables_views.html#operators: sl, sr, nxr, nxl, adj, ov)', () => {
  it.each([
    ['sl: strictly left of', () => people().rangeLt('ages', '[10,30)'), [1]],
    ['sr: strictly right of', () => people().rangeGt('ages', '[1,15)'), [3]],
    ['nxr: does not extend right of', () => people().rangeLte('ages', '[5,20)'), [1, 2]],
    ['nxl: does not extend left of', () => people().rangeGte('ages', '[5,20)'), [2, 3]],
    ['adj: adjacent to', () => people().rangeAdjacent('ages', '[30,40)'), [3]],
    ['ov: overlaps a range', () => people().overlaps('ages', '[9,11)'), [1, 2]],
  ])('%s', async (_, query, expected) => {
    expect(await ids(query())).toEqual(expected)
  })
})

describe('array operators (cs, cd, ov on text[])', () => {
  it.each([
    ['cs: contains', () => people().contains('tags', ['blue']), [1, 2]],
    ['cd: contained by', () => people().containedBy('tags', ['blue', 'green']), [2, 3]],
    ['ov: overlaps an array', () => people().overlaps('tags', ['red', 'green']), [1]],
  ])('%s', async (_, query, expected) => {
    expect(await ids(query())).toEqual(expected)
  })

  it('cs on jsonb takes a JSON document', async () => {
    expect(await ids(people().contains('data', { team: { name: 'edge' } }))).toEqual([2])
  })
})

describe('full-text search (tables_views.html#full-text-search)', () => {
  it.each([
    [
      'fts(english) on a tsvector column',
      () => people().textSearch('words', `'fat' & 'cat'`, { config: 'english' }),
      [1],
    ],
    [
      'plfts(english) on a tsvector column',
      () => people().textSearch('words', 'cats dogs', { type: 'plain', config: 'english' }),
      [2],
    ],
    [
      'phfts(english) keeps word order',
      () => people().textSearch('words', 'fat cat', { type: 'phrase', config: 'english' }),
      [1],
    ],
    [
      'wfts(english) with websearch syntax',
      () => people().textSearch('words', '"living together" -mat', { type: 'websearch', config: 'english' }),
      [2],
    ],
    // SqlFragment.hs pgFmtField: a column that is not a tsvector is made one with to_tsvector, in the query's config.
    ['fts(english) on a text column', () => people().textSearch('bio', 'cat', { config: 'english' }), [1, 2]],
  ])('%s', async (_, query, expected) => {
    expect(await ids(query())).toEqual(expected)
  })

  it('not.fts negates the match', async () => {
    expect(await ids(people().not('words', 'fts', 'cat'))).toEqual([])
    expect(await ids(people().not('words', 'fts(english)', 'mat'))).toEqual([2])
  })
})

describe('is, isdistinct, like, match, in (tables_views.html#operators)', () => {
  it.each([
    ['is.true', () => people().is('active', true), [1]],
    ['is.false', () => people().is('active', false), [2]],
    ['is.null', () => people().is('active', null), [3]],
    ['not.is.null', () => people().not('active', 'is', null), [1, 2]],
    ['isdistinct counts null as a value', () => people().isDistinct('active', true), [2, 3]],
    ['like with * as %', () => people().like('name', '*a*'), [1, 2, 3]],
    ['ilike is case-insensitive', () => people().ilike('name', 'c*'), [3]],
    ['match is a POSIX regex', () => people().regexMatch('name', '^[AB]'), [1, 2]],
    ['imatch ignores case', () => people().regexIMatch('name', '^b'), [2]],
    ['like(any) matches any pattern', () => people().likeAnyOf('name', ['A*', 'C*']), [1, 3]],
    ['like(all) matches every pattern', () => people().likeAllOf('name', ['*a*', '*r*']), [2, 3]],
    ['eq(any) compares to a list', () => people().filter('id', 'eq(any)', '{1,3}'), [1, 3]],
    ['gt(all) must exceed every value', () => people().filter('id', 'gt(all)', '{1,2}'), [3]],
    ['in with a double-quoted value', () => people().in('name', ['Ada', `Chloé O'Hara`]), [1, 3]],
    ['in with an empty list matches nothing', () => people().in('id', []), []],
  ])('%s', async (_, query, expected) => {
    expect(await ids(query())).toEqual(expected)
  })

  it('quoted values in an in list may carry commas and parentheses', async () => {
    const response = await fixture().rest('/people?select=id&name=in.("a,b","(c)",Ada)')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([{ id: 1 }])
  })
})

describe('logic trees (tables_views.html#logical-operators)', () => {
  it('or= with a nested and', async () => {
    expect(await ids(people().or('id.eq.3,and(active.is.true,tags.cs.{red})'))).toEqual([1, 3])
  })

  it('not.or= negates the whole tree', async () => {
    const response = await fixture().rest('/people?select=id&not.or=(id.eq.1,id.eq.2)')
    expect(await response.json()).toEqual([{ id: 3 }])
  })

  // QueryParams.hs pLogicSingleVal: inside a tree a value holding `,` or `)` is double-quoted.
  it('a range and an fts filter inside an or', async () => {
    expect(await ids(people().or('ages.sl."[10,11)",words.fts.dog'))).toEqual([1, 2])
  })
})

describe('JSON paths in filters (tables_views.html#json-columns)', () => {
  it('->> compares the text at the path', async () => {
    expect(await ids(people().eq('data->team->>name', 'core'))).toEqual([1])
  })

  it('-> compares a JSON value, and an index of digits reads an array', async () => {
    expect(await ids(people().eq('data->team->size', 5))).toEqual([2])
    expect(await ids(people().eq('data->langs->>0', 'de'))).toEqual([2])
  })

  it('->> on a json (not jsonb) column', async () => {
    expect(await ids(people().eq('settings->>theme', 'dark'))).toEqual([1])
  })

  it('a path inside an or, and with in', async () => {
    expect(await ids(people().or('data->team->>name.eq.edge,id.eq.3'))).toEqual([2, 3])
    expect(await ids(people().in('data->team->>name', ['core', 'edge']))).toEqual([1, 2])
  })

  it('a path on an embedded resource filters its rows', async () => {
    const { data, error } = await fixture()
      .client.from('people')
      .select('id, notes(id)')
      .eq('notes.meta->>kind', 'todo')
      .order('id')
    expect(error).toBeNull()
    expect(data).toEqual([
      { id: 1, notes: [{ id: 1 }] },
      { id: 2, notes: [{ id: 3 }] },
      { id: 3, notes: [] },
    ])
  })

  it("-> on a jsonb value that is not JSON answers Postgres's 22P02, as PostgREST passes it through", async () => {
    const { error, status } = await people().eq('data->team', 'core')
    expect(status).toBe(400)
    expect(error).toMatchObject({ code: '22P02' })
  })
})

describe('refusals', () => {
  it('an unknown operator is PGRST100', async () => {
    const response = await fixture().rest('/people?id=nope.1')
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'PGRST100' })
  })

  it("a range operator on a column that is no range answers Postgres's 42883", async () => {
    const { error, status } = await people().rangeLt('name', '[1,2)')
    expect(status).toBe(404)
    expect(error).toMatchObject({ code: '42883' })
  })
})
