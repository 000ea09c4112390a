import { describe, expect, it } from 'vitest'
import { parseAccept, parsePreferences } from './api-request-headers.ts'
import { parseCallRequest, parseMutateRequest, parseReadRequest, readRequestKey } from './api-request.ts'

/*
 * ApiRequest parsing on real Request objects, as Hono hands them to the routes:
 * what postgrest-js sends becomes trees of names and values, and every malformed
 * part is refused with PostgREST's code before any plan or SQL exists.
 */
const request = (path: string, init: RequestInit = {}) => new Request(`http://127.0.0.1/rest/v1${path}`, init)
const post = (path: string, body: string, headers: Record<string, string> = {}, method = 'POST') =>
  request(path, { method, body, headers: { 'content-type': 'application/json', ...headers } })

describe('a read', () => {
  it('parses select with aliases, casts and nested embeddings with hints', () => {
    const parsed = parseReadRequest(
      request(
        `/contacts?select=${encodeURIComponent('id, who:name,unread_count::text,workspace:workspaces!inner(name),messages(id,author:users!messages_author_fkey(*))')}`,
      ),
    )
    expect(parsed.select).toEqual([
      { kind: 'field', name: 'id', jsonPath: [] },
      { kind: 'field', label: 'who', name: 'name', jsonPath: [] },
      { kind: 'field', name: 'unread_count', cast: 'text', jsonPath: [] },
      {
        kind: 'embed',
        spread: false,
        label: 'workspace',
        target: 'workspaces',
        hints: ['inner'],
        select: [{ kind: 'field', name: 'name', jsonPath: [] }],
      },
      {
        kind: 'embed',
        spread: false,
        target: 'messages',
        hints: [],
        select: [
          { kind: 'field', name: 'id', jsonPath: [] },
          {
            kind: 'embed',
            spread: false,
            label: 'author',
            target: 'users',
            hints: ['messages_author_fkey'],
            select: [{ kind: 'star' }],
          },
        ],
      },
    ])
    expect(parseReadRequest(request('/contacts')).select).toEqual([{ kind: 'star' }])
  })

  it('parses filters, logic trees and order in query order, as postgrest-js writes them', () => {
    const parsed = parseReadRequest(
      request(
        `/contacts?status=in.(Open,"Pending, later")&email=not.is.null&name=ilike(any).{*a*,*b*}&or=${encodeURIComponent('(unread_count.gt.0,not.and(name.eq."x,y",id.is.null))')}&order=name.desc.nullslast,id`,
      ),
    )
    expect(parsed.conditions).toEqual([
      {
        kind: 'filter',
        column: 'status',
        negate: false,
        operation: { kind: 'in', values: ['Open', 'Pending, later'] },
      },
      { kind: 'filter', column: 'email', negate: true, operation: { kind: 'is', value: 'null' } },
      {
        kind: 'filter',
        column: 'name',
        negate: false,
        operation: { kind: 'quantified', operator: 'ilike', quantifier: 'any', values: ['*a*', '*b*'] },
      },
      {
        kind: 'logic',
        negate: false,
        operator: 'or',
        conditions: [
          {
            kind: 'filter',
            column: 'unread_count',
            negate: false,
            operation: { kind: 'scalar', operator: 'gt', value: '0' },
          },
          {
            kind: 'logic',
            negate: true,
            operator: 'and',
            conditions: [
              {
                kind: 'filter',
                column: 'name',
                negate: false,
                operation: { kind: 'scalar', operator: 'eq', value: 'x,y' },
              },
              { kind: 'filter', column: 'id', negate: false, operation: { kind: 'is', value: 'null' } },
            ],
          },
        ],
      },
    ])
    expect(parsed.order).toEqual([
      { column: 'name', jsonPath: [], direction: 'desc', nulls: 'last' },
      { column: 'id', jsonPath: [] },
    ])
  })

  it('groups parameters addressed to embedded resources by path', () => {
    const parsed = parseReadRequest(
      request(
        '/contacts?select=id,messages(id,author:users(name))&messages.direction=eq.inbound&messages.not.or=(a.eq.1,b.eq.2)&messages.order=created_at.desc&messages.limit=2&messages.offset=4&messages.author.name=like.*a*',
      ),
    )
    expect(parsed.conditions).toEqual([])
    expect([...parsed.embedded.keys()]).toEqual(['messages', 'messages.author'])
    const messages = parsed.embedded.get('messages')!
    expect(messages.conditions.map((c) => c.kind)).toEqual(['filter', 'logic'])
    expect(messages.conditions[1]).toMatchObject({ kind: 'logic', negate: true, operator: 'or' })
    expect(messages.order).toEqual([{ column: 'created_at', jsonPath: [], direction: 'desc' }])
    expect(messages.range).toEqual({ offset: 4, limit: 2 })
    expect(parsed.embedded.get('messages.author')!.conditions).toEqual([
      {
        kind: 'filter',
        column: 'name',
        negate: false,
        operation: { kind: 'scalar', operator: 'like', value: '*a*' },
      },
    ])
  })

  it('takes the page from limit/offset, else from the Range header', () => {
    expect(parseReadRequest(request('/contacts?limit=5&offset=10')).range).toEqual({ offset: 10, limit: 5 })
    expect(parseReadRequest(request('/contacts?offset=3', { headers: { range: '0-9' } })).range).toEqual({
      offset: 3,
      limit: null,
    })
    expect(parseReadRequest(request('/contacts', { headers: { range: '2-3' } })).range).toEqual({
      offset: 2,
      limit: 2,
    })
    expect(parseReadRequest(request('/contacts', { headers: { range: 'items=5-' } })).range).toEqual({
      offset: 5,
      limit: null,
    })
    expect(parseReadRequest(request('/contacts')).range).toEqual({ offset: 0, limit: null })
  })

  it('reads the media type and preferences from Accept and Prefer', () => {
    const parsed = parseReadRequest(
      request('/contacts', {
        headers: {
          accept: 'application/vnd.pgrst.object+json;nulls=stripped',
          prefer:
            'count=planned, return=representation, tx=rollback, resolution=ignore-duplicates, unknown=x',
        },
      }),
    )
    expect(parsed.media).toMatchObject({ format: 'json', singular: true, stripNulls: true })
    expect(parsed.preferences).toEqual({
      given: { count: 'planned', return: 'representation', tx: 'rollback', resolution: 'ignore-duplicates' },
      invalid: ['unknown=x'],
      return: 'representation',
      count: true,
      plannedCount: true,
      resolution: 'ignore-duplicates',
      missingDefault: false,
      rollback: true,
    })
    expect(parseAccept('text/html, */*')).toMatchObject({ singular: false, stripNulls: false })
    expect(parseAccept('application/vnd.pgrst.array+json;nulls=stripped')).toMatchObject({
      singular: false,
      stripNulls: true,
    })
    expect(parsePreferences(null)).toMatchObject({ return: 'minimal', count: false, rollback: false })
  })

  it('keys a reusable plan on the query string, Accept, Prefer and Range, and nothing else', () => {
    const key = (path: string, headers: Record<string, string> = {}) =>
      readRequestKey(request(path, { headers }))
    const base = key('/contacts?select=id', { authorization: 'Bearer one' })
    expect(key('/contacts?select=id', { authorization: 'Bearer two' })).toBe(base)
    for (const other of [
      key('/contacts?select=name'),
      key('/contacts?select=id', { accept: 'application/vnd.pgrst.object+json' }),
      key('/contacts?select=id', { prefer: 'count=exact' }),
      key('/contacts?select=id', { range: '0-1' }),
    ])
      expect(other).not.toBe(base)
  })

  it.each([
    ['/contacts?limit=-1', { message: '"failed to parse limit (-1)"' }],
    ['/contacts?name=nodot', { details: 'unknown operator in name=nodot' }],
    ['/contacts?name=sounds_like.x', { details: 'unknown or unsupported operator: sounds_like' }],
    ['/contacts?name=constructor.x', { details: 'unknown or unsupported operator: constructor' }],
    ['/contacts?name=is.maybe', { details: 'is accepts null, not_null, true, false, unknown' }],
    ['/contacts?name=in.a,b', { details: 'expected a list like (a,b)' }],
    ['/contacts?name=in(any).{a}', { details: 'operator in does not take (any)' }],
    ['/contacts?name=in.("a)', { message: '"failed to parse" unbalanced parentheses or quotes' }],
    ['/contacts?or=name.eq.x', { details: 'expected (filter,filter,...)' }],
    ['/contacts?or=()', { details: 'bad filter: ' }],
    ['/contacts?order=name.sideways', { details: 'unexpected "sideways"' }],
    ['/contacts?order=messages(id)', { details: 'ordering by embedded resources is not supported' }],
    ['/contacts?select=id,,name', { message: '"failed to parse select parameter (id,,name)"' }],
    ['/contacts?select=id::bad%20cast', { details: 'bad cast "bad cast"' }],
    ['/contacts?select=id,messages(id)&messages.limit=x', { message: '"failed to parse limit (x)"' }],
  ])('refuses %s', async (path, expected) => {
    await expect(async () => parseReadRequest(request(path))).rejects.toMatchObject({
      status: 400,
      body: { code: 'PGRST100', ...expected },
    })
  })

  it('refuses a malformed Range header with 416 and an unavailable media type with 406', async () => {
    for (const range of ['9-2', 'abc', '-5'])
      await expect(async () =>
        parseReadRequest(request('/contacts', { headers: { range } })),
      ).rejects.toMatchObject({ status: 416, body: { code: 'PGRST103' } })
    await expect(async () =>
      parseReadRequest(request('/contacts', { headers: { accept: 'text/xml' } })),
    ).rejects.toMatchObject({
      status: 406,
      body: {
        code: 'PGRST107',
        message: 'None of these media types are available: text/xml',
        details: null,
        hint: null,
      },
    })
  })
})

describe('a write', () => {
  it('an insert takes an object or an array of objects, the columns and the conflict target', async () => {
    const parsed = await parseMutateRequest(
      post(
        '/contacts?columns=name,"phone_number"&on_conflict=phone_number, workspace_id&status=eq.ignored',
        '[{"name":"a"},{"phone_number":"+1"}]',
        {
          prefer: 'resolution=merge-duplicates',
        },
      ),
      'insert',
    )
    expect(parsed).toMatchObject({
      action: 'insert',
      rows: [{ name: 'a' }, { phone_number: '+1' }],
      columns: ['name', 'phone_number'],
      onConflict: ['phone_number', 'workspace_id'],
      select: undefined,
    })
    const one = await parseMutateRequest(
      post('/contacts?select=id,name', '{"name":"b"}', { prefer: 'return=representation' }),
      'insert',
    )
    expect(one).toMatchObject({ rows: [{ name: 'b' }], columns: undefined, onConflict: undefined })
    expect(one.select).toEqual([
      { kind: 'field', name: 'id', jsonPath: [] },
      { kind: 'field', name: 'name', jsonPath: [] },
    ])
  })

  it('keeps every key of a row as written, even one named like a prototype property', async () => {
    const parsed = await parseMutateRequest(post('/contacts', '{"__proto__": 1, "name": "x"}'), 'insert')
    expect(parsed.action === 'insert' && parsed.rows.map((row) => Object.keys(row))).toEqual([
      ['__proto__', 'name'],
    ])
  })

  it('refuses a payload that is not JSON, not an object, or (for an update) a list', async () => {
    await expect(parseMutateRequest(post('/contacts', '{"name": '), 'insert')).rejects.toMatchObject({
      status: 400,
      body: { code: 'PGRST102', message: 'Empty or invalid json' },
    })
    for (const body of ['', '5', '[1]', 'null'])
      await expect(parseMutateRequest(post('/contacts', body), 'insert')).rejects.toMatchObject({
        body: { code: 'PGRST102', details: 'expected a JSON object or an array of objects' },
      })
    await expect(
      parseMutateRequest(post('/contacts?id=eq.1', '[{"name":"x"}]', {}, 'PATCH'), 'update'),
    ).rejects.toMatchObject({ body: { code: 'PGRST102', details: 'expected a JSON object' } })
  })

  it('an update or delete takes its filters from the query and refuses filters on embedded resources', async () => {
    const update = await parseMutateRequest(
      post('/contacts?id=eq.7&select=ghost', '{"name":"x"}', {}, 'PATCH'),
      'update',
    )
    expect(update).toMatchObject({ action: 'update', row: { name: 'x' }, select: undefined })
    expect(update.action === 'update' && update.conditions).toEqual([
      {
        kind: 'filter',
        column: 'id',
        negate: false,
        operation: { kind: 'scalar', operator: 'eq', value: '7' },
      },
    ])
    const remove = await parseMutateRequest(
      request('/contacts?or=(a.eq.1,b.eq.2)', { method: 'DELETE' }),
      'delete',
    )
    expect(remove.action === 'delete' && remove.conditions.map((c) => c.kind)).toEqual(['logic'])
    await expect(
      parseMutateRequest(request('/contacts?messages.x=eq.1', { method: 'DELETE' }), 'delete'),
    ).rejects.toMatchObject({
      body: { code: 'PGRST100', details: 'filters on embedded resources need a select that embeds them' },
    })
  })
})

describe('a call', () => {
  // PostgREST's QueryParams: a parameter whose value names an operator is a filter on the
  // result, any other is an argument; select, columns and on_conflict are reserved.
  it('a GET passes its query parameters as arguments, read-only, and filters the result with the rest', async () => {
    const parsed = await parseCallRequest(
      request('/rpc/f?a=1&b=x&c=eq.3&select=y&order=z&limit=2&offset=1&on_conflict=c'),
    )
    expect(parsed).toMatchObject({
      readOnly: true,
      args: { a: '1', b: 'x' },
      range: { offset: 1, limit: 2 },
      conditions: [{ kind: 'filter', column: 'c' }],
    })
    expect(Object.keys(parsed.args)).toEqual(['a', 'b'])
  })

  it('a POST passes the JSON object; an empty body is no arguments; a scalar is refused', async () => {
    expect(await parseCallRequest(post('/rpc/f', '{"words": ["a", "b"]}'))).toMatchObject({
      readOnly: false,
      args: { words: ['a', 'b'] },
    })
    expect((await parseCallRequest(post('/rpc/f', ''))).args).toEqual({})
    // An array may be the one unnamed json argument of a function, so only the plan can refuse it.
    for (const body of ['null', '"x"'])
      await expect(parseCallRequest(post('/rpc/f', body))).rejects.toMatchObject({
        body: { code: 'PGRST102', details: 'expected a JSON object of named arguments' },
      })
  })
})
