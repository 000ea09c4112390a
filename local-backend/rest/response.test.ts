import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../db/database.ts'
import { demoIds, type DemoIds } from '../db/demo-callers.ts'
import { installBounds } from './bounds.ts'
import { loadCatalog } from './catalog.ts'
import type { Caller } from './caller.ts'
import { errorResponse, toRestError } from './errors.ts'
import { createHandlers, createStatementPlanner } from './handlers.ts'
import { watchRoleSettings } from './role-settings.ts'
import { createMemoryLogger } from '../../logging/logger.ts'

/*
 * Response shaping on what real statements return: real Requests go through the
 * handlers the routes use (parse, plan, build, run as a caller on the seeded
 * database, shape), and status, headers and body are checked against plain SQL.
 */
let db: PGlite
let demo: DemoIds
let handlers: ReturnType<typeof createHandlers>
const service: Caller = { role: 'service_role', claims: { role: 'service_role' } }
let ava: Caller
let maria: string

beforeAll(async () => {
  db = await openDatabase({ seed: true })
  demo = await demoIds(db)
  ava = { role: 'authenticated', claims: { role: 'authenticated', sub: demo.ava } }
  maria = demo.contact('Maria Gonzalez')
  await installBounds(db)
  handlers = createHandlers(
    db,
    await loadCatalog(db),
    await watchRoleSettings(db, createMemoryLogger('test').logger),
  )
})
afterAll(async () => {
  await db.close()
})

const request = (path: string, init: RequestInit = {}) => new Request(`http://127.0.0.1/rest/v1${path}`, init)

const read = (query: string, headers: Record<string, string> = {}, method = 'GET') =>
  handlers.read(request(`/contacts?${query}`, { method, headers }), 'contacts', service)

const methods = { insert: 'POST', update: 'PATCH', delete: 'DELETE' }
const mutate = (
  action: keyof typeof methods,
  query: string,
  body: string | null,
  headers: Record<string, string> = {},
) =>
  handlers.mutate(
    request(`/contacts?${query}`, { method: methods[action], body, headers }),
    action,
    'contacts',
    service,
  )

const call = (caller: Caller, name: string, init: RequestInit = {}) =>
  handlers.call(request(`/rpc/${name}`, init), name, caller)

const count = async (where: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from public.contacts where ${where}`, params))
    .rows[0]!.n

describe('a read', () => {
  it('answers a JSON array with the page in Content-Range, and the total when counted', async () => {
    const total = await count('workspace_id = $1', [demo.acme])
    const page = await read(`select=id&workspace_id=eq.${demo.acme}&order=id&offset=2&limit=3`, {
      prefer: 'count=exact',
    })
    // RangeQuery.hs (rangeStatusHeader): fewer rows than the count is 206 Partial Content.
    expect(page.status).toBe(206)
    expect(page.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(page.headers.get('content-range')).toBe(`2-4/${total}`)
    expect(((await page.json()) as unknown[]).length).toBe(3)
    const uncounted = await read(`select=id&workspace_id=eq.${demo.acme}&limit=3`)
    expect(uncounted.headers.get('content-range')).toBe('0-2/*')
    const empty = await read('select=id&id=eq.00000000-0000-4000-8000-000000000000')
    expect(empty.headers.get('content-range')).toBe('*/*')
    expect(await empty.json()).toEqual([])
  })

  it('a HEAD answers the same headers with no body', async () => {
    const head = await read(`select=id&limit=3`, { prefer: 'count=exact' }, 'HEAD')
    expect(head.status).toBe(206)
    expect(head.headers.get('content-range')).toBe(`0-2/${await count('true')}`)
    expect(head.body).toBeNull()
  })

  it('a HEAD counts its page without building the body it would drop, and keeps its plan apart from the GET', async () => {
    const planner = createStatementPlanner(await loadCatalog(db))
    const path = `/contacts?select=id,name&workspace_id=eq.${demo.acme}`
    const headers = { prefer: 'count=exact' }
    const [headPage, headTotal] = planner.read(
      request(path, { method: 'HEAD', headers }),
      'contacts',
    ).statements
    expect(headPage!.sql).not.toContain('json_agg')
    expect(headTotal!.sql).toContain('count(*)')
    expect(planner.read(request(path, { headers }), 'contacts').statements[0]!.sql).toContain('json_agg')

    const total = await count('workspace_id = $1', [demo.acme])
    const query = `select=id,name&workspace_id=eq.${demo.acme}&order=id&limit=2`
    const head = await read(query, headers, 'HEAD')
    const get = await read(query, headers)
    expect([head.status, head.headers.get('content-range')]).toEqual([206, `0-1/${total}`])
    expect([get.status, get.headers.get('content-range')]).toEqual([206, `0-1/${total}`])
    expect(((await get.json()) as unknown[]).length).toBe(2)
    // A singular HEAD is refused as its GET is: the page's count decides.
    await expect(read(query, { accept: 'application/vnd.pgrst.object+json' }, 'HEAD')).rejects.toMatchObject({
      status: 406,
      body: { code: 'PGRST116' },
    })
  })

  it('a singular read is one object, or PGRST116 (406) for none or many', async () => {
    const singular = { accept: 'application/vnd.pgrst.object+json;nulls=stripped' }
    const one = await read(`select=id,email&id=eq.${maria}`, singular)
    // MediaType.hs toMime: the answer names the nulls=stripped it was asked for.
    expect(one.headers.get('content-type')).toBe(
      'application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8',
    )
    const { rows } = await db.query<{ email: string | null }>(
      'select email from public.contacts where id = $1',
      [maria],
    )
    expect(await one.json()).toEqual(
      rows[0]!.email === null ? { id: maria } : { id: maria, email: rows[0]!.email },
    )
    await expect(read('select=id&limit=0', singular)).rejects.toMatchObject({
      status: 406,
      body: { code: 'PGRST116', details: 'The result contains 0 rows' },
    })
    await expect(read('select=id&limit=2', singular)).rejects.toMatchObject({
      body: { details: 'The result contains 2 rows' },
    })
  })

  it('an offset past every counted row is 416, and uncounted it is an empty page', async () => {
    const total = await count('true')
    await expect(read(`select=id&offset=${total}`, { prefer: 'count=exact' })).rejects.toMatchObject({
      status: 416,
      body: {
        code: 'PGRST103',
        message: 'Requested range not satisfiable',
        details: `An offset of ${total} was requested, but there are only ${total} rows.`,
        hint: null,
      },
    })
    const past = await read(`select=id&offset=${total}`)
    expect(past.status).toBe(200)
    expect(await past.json()).toEqual([])
  })
})

describe('a write', () => {
  const rollback = { 'content-type': 'application/json', prefer: 'tx=rollback' }
  const row = (phone: string) => JSON.stringify({ workspace_id: demo.globex, phone_number: phone })

  // PostgREST's Response.hs: an insert's Content-Range carries no page (`*/total`), only the count when asked.
  it('an insert is 201, with the rows when the representation is asked for', async () => {
    const minimal = await mutate('insert', '', row('+15557000001'), {
      ...rollback,
      prefer: 'tx=rollback,count=exact',
    })
    expect(minimal.status).toBe(201)
    expect(minimal.headers.get('content-range')).toBe('*/1')
    expect(minimal.body).toBeNull()
    const represented = await mutate(
      'insert',
      'select=phone_number',
      `[${row('+15557000002')},${row('+15557000003')}]`,
      {
        ...rollback,
        prefer: 'tx=rollback,return=representation',
      },
    )
    expect(represented.status).toBe(201)
    expect(represented.headers.get('content-range')).toBe('*/*')
    expect(await represented.json()).toEqual([
      { phone_number: '+15557000002' },
      { phone_number: '+15557000003' },
    ])
    expect(await count(`phone_number like '+1555700000%'`)).toBe(0)
  })

  it('an insert of no rows answers without the database: [] or 201, and PGRST116 when singular', async () => {
    const represented = await mutate('insert', '', '[]', { prefer: 'return=representation' })
    expect(represented.status).toBe(201)
    expect(await represented.text()).toBe('[]')
    const minimal = await mutate('insert', '', '[]')
    expect(minimal.status).toBe(201)
    expect(minimal.body).toBeNull()
    await expect(
      mutate('insert', '', '[]', { accept: 'application/vnd.pgrst.object+json' }),
    ).rejects.toMatchObject({ status: 406, body: { code: 'PGRST116' } })
  })

  it('an update or delete is 204, or 200 with the rows', async () => {
    const update = await mutate('update', `id=eq.${maria}`, '{"name":"Shaped"}', rollback)
    expect(update.status).toBe(204)
    const represented = await mutate('delete', `select=id&id=eq.${maria}`, null, {
      prefer: 'tx=rollback,return=representation',
    })
    expect(represented.status).toBe(200)
    expect(await represented.json()).toEqual([{ id: maria }])
    expect(await count('id = $1', [maria])).toBe(1)
  })

  it('a singular update that touches more than one row is refused and undone', async () => {
    const before = await count(`workspace_id = $1 and name = 'Undone'`, [demo.acme])
    await expect(
      mutate('update', `workspace_id=eq.${demo.acme}`, '{"name":"Undone"}', {
        'content-type': 'application/json',
        accept: 'application/vnd.pgrst.object+json',
      }),
    ).rejects.toMatchObject({ status: 406, body: { code: 'PGRST116' } })
    expect(await count(`workspace_id = $1 and name = 'Undone'`, [demo.acme])).toBe(before)
  })
})

describe('a call', () => {
  it('a void function is 204; a set of rows is an array, or one object when singular', async () => {
    const voidCall = await call(ava, 'mark_conversation_read', {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'tx=rollback' },
      body: JSON.stringify({ contact_id: maria }),
    })
    expect(voidCall.status).toBe(204)
    const status = await call(ava, 'workspace_sending_status', { headers: { prefer: 'count=exact' } })
    expect(status.headers.get('content-range')).toBe('0-0/1')
    expect(await status.json()).toEqual([expect.objectContaining({ workspace_id: demo.acme })])
    const singular = { headers: { accept: 'application/vnd.pgrst.object+json' } }
    expect(await (await call(ava, 'workspace_sending_status', singular)).json()).toMatchObject({
      workspace_id: demo.acme,
    })
    // The service role is a member of no workspace: the set is empty.
    await expect(call(service, 'workspace_sending_status', singular)).rejects.toMatchObject({
      status: 406,
      body: { code: 'PGRST116', details: 'The result contains 0 rows' },
    })
  })
})

describe('an error', () => {
  it('answers in PostgREST shape, with the status Postgres errors map to per role', async () => {
    await expect(
      mutate('insert', '', JSON.stringify({ workspace_id: demo.acme, phone_number: '+14155550101' }), {
        'content-type': 'application/json',
      }),
    ).rejects.toMatchObject({ status: 409, body: { code: '23505' } })
    const denied = { code: '42501', message: 'permission denied for table contacts' }
    expect(toRestError(denied, 'anon').status).toBe(401)
    expect(toRestError(denied, 'authenticated').status).toBe(403)
    expect(toRestError(new Error('boom'), 'anon').body).toEqual({
      code: 'PGRST000',
      message: 'boom',
      details: null,
      hint: null,
    })
    const unauthorized = errorResponse(toRestError(denied, 'anon'))
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.headers.get('www-authenticate')).toBe('Bearer')
    expect(await unauthorized.json()).toEqual({ ...denied, details: null, hint: null })
    expect(errorResponse(toRestError(denied, 'authenticated')).headers.get('www-authenticate')).toBeNull()
  })
})
