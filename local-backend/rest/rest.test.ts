import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds } from '../db/demo-callers.ts'
import { startLocalBackend } from '../index.ts'

// Started before the cases are declared: they name the ids this backend's seed drew.
const backend = await startLocalBackend({
  port: 0,
  seed: true,
  logger: createMemoryLogger('rest-test').logger,
})
const demo = await demoIds(backend.db)
const { acme, globex } = demo
/** No contact has it. */
const missingContact = 'e3b0c442-98fc-4c14-9afb-f4c8996fb924'
/** The service role bypasses RLS, so what it reads must equal the same SQL run directly. */
let service: SupabaseClient

beforeAll(() => {
  service = createClient(backend.url, backend.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
})
afterAll(async () => {
  await backend.stop()
})

async function sqlIds(where: string, params: unknown[] = [], order = 'id'): Promise<string[]> {
  const { rows } = await backend.db.query<{ id: string }>(
    `select id from public.contacts where ${where} order by ${order}`,
    params,
  )
  return rows.map((row) => row.id)
}

async function restIds(
  query: PromiseLike<{ data: { id: string }[] | null; error: unknown }>,
): Promise<string[]> {
  const { data, error } = await query
  expect(error).toBeNull()
  return data!.map((row) => row.id)
}

const contacts = () => service.from('contacts').select('id')

describe('filters equal the same SQL', () => {
  it.each([
    ['eq', () => contacts().eq('workspace_id', globex), `workspace_id = '${globex}'`],
    ['neq', () => contacts().neq('conversation_status', 'Open'), `conversation_status <> 'Open'`],
    ['gt', () => contacts().gt('unread_count', 0), 'unread_count > 0'],
    ['gte', () => contacts().gte('unread_count', 2), 'unread_count >= 2'],
    ['lt', () => contacts().lt('unread_count', 1), 'unread_count < 1'],
    [
      'lte',
      () => contacts().lte('last_message_at', '2100-01-01T00:00:00Z'),
      `last_message_at <= '2100-01-01T00:00:00Z'`,
    ],
    [
      'in',
      () => contacts().in('conversation_status', ['Open', 'Pending']),
      `conversation_status in ('Open', 'Pending')`,
    ],
    ['is null', () => contacts().is('email', null), 'email is null'],
    ['not is null', () => contacts().not('email', 'is', null), 'email is not null'],
    ['like', () => contacts().like('name', '%an%'), `name like '%an%'`],
    ['ilike', () => contacts().ilike('name', '%GRACE%'), `name ilike '%grace%'`],
    [
      'not in',
      () => contacts().not('conversation_status', 'in', '(Done)'),
      `not (conversation_status in ('Done'))`,
    ],
    [
      'nested or/and',
      () => contacts().or('conversation_status.eq.Done,and(unread_count.gt.0,name.ilike.*a*)'),
      `conversation_status = 'Done' or (unread_count > 0 and name ilike '%a%')`,
    ],
    [
      'or with in and a quoted value',
      () => contacts().or('name.in.("James O\'Connor","Maria Gonzalez"),email.eq."kenji.w@example.com"'),
      `name in ('James O''Connor', 'Maria Gonzalez') or email = 'kenji.w@example.com'`,
    ],
    [
      'combined filters',
      () => contacts().eq('workspace_id', acme).eq('conversation_status', 'Open').gt('unread_count', 0),
      `workspace_id = '${acme}' and conversation_status = 'Open' and unread_count > 0`,
    ],
  ])('%s', async (_name, query, where) => {
    const expected = await sqlIds(where)
    expect(expected.length).toBeGreaterThan(0)
    expect((await restIds(query().order('id'))).sort()).toEqual(expected)
  })

  it('not.or as postgrest-js sends it from a raw filter', async () => {
    const expected = await sqlIds(`not (conversation_status = 'Open' or conversation_status = 'Done')`)
    const response = await fetch(
      `${backend.url}/rest/v1/contacts?select=id&not.or=(conversation_status.eq.Open,conversation_status.eq.Done)&order=id`,
      { headers: { apikey: backend.serviceRoleKey, authorization: `Bearer ${backend.serviceRoleKey}` } },
    )
    expect(((await response.json()) as { id: string }[]).map((r) => r.id)).toEqual(expected)
  })
})

describe('modifiers', () => {
  it('orders with nulls first / last like SQL', async () => {
    for (const [nullsFirst, ascending, sql] of [
      [true, true, 'name asc nulls first, id'],
      [false, true, 'name asc nulls last, id'],
      [true, false, 'name desc nulls first, id'],
      [false, false, 'name desc nulls last, id'],
    ] as const) {
      const rest = await restIds(contacts().order('name', { ascending, nullsFirst }).order('id'))
      expect(rest).toEqual(await sqlIds('true', [], sql))
    }
  })

  it('the inbox query: one workspace, a status, newest first, limit', async () => {
    const rest = await restIds(
      service
        .from('contacts')
        .select('id')
        .eq('workspace_id', acme)
        .eq('conversation_status', 'Open')
        .order('last_message_at', { ascending: false, nullsFirst: false })
        .limit(5),
    )
    const expected = await sqlIds(
      `workspace_id = $1 and conversation_status = 'Open'`,
      [acme],
      'last_message_at desc nulls last limit 5',
    )
    expect(rest).toEqual(expected)
  })

  it('range() and a Range header page like offset/limit, and count=exact fills Content-Range', async () => {
    const all = await sqlIds('true')
    const { data, count, error } = await service
      .from('contacts')
      .select('id', { count: 'exact' })
      .order('id')
      .range(5, 9)
    expect(error).toBeNull()
    expect(count).toBe(all.length)
    expect(data!.map((r) => r.id)).toEqual(all.slice(5, 10))

    const response = await fetch(`${backend.url}/rest/v1/contacts?select=id&order=id`, {
      headers: {
        apikey: backend.serviceRoleKey,
        authorization: `Bearer ${backend.serviceRoleKey}`,
        range: '2-3',
        prefer: 'count=exact',
      },
    })
    expect(response.headers.get('content-range')).toBe(`2-3/${all.length}`)
    expect(((await response.json()) as { id: string }[]).map((r) => r.id)).toEqual(all.slice(2, 4))

    const head = await service
      .from('contacts')
      .select('*', { count: 'exact', head: true })
      .eq('workspace_id', globex)
    expect(head.count).toBe((await sqlIds(`workspace_id = '${globex}'`)).length)
  })

  it('selects column lists with aliases, casts and embedded relations', async () => {
    const { data, error } = await service
      .from('contacts')
      // Two foreign keys join contacts and messages (the id alone, and id with workspace_id):
      // PostgREST answers 300 to a bare `messages(...)`, so the hint names one.
      .select(
        'id, who:name, unread_count::text, workspace:workspaces(name), messages!messages_contact_id_fkey(id, direction)',
      )
      .eq('id', demo.contact('Maria Gonzalez'))
      .single()
    expect(error).toBeNull()
    const messages = await backend.db.query<{ id: string; direction: string }>(
      'select id, direction from public.messages where contact_id = $1',
      [demo.contact('Maria Gonzalez')],
    )
    const row = data as unknown as {
      id: string
      who: string
      unread_count: string
      workspace: { name: string }
      messages: { id: string }[]
    }
    expect(row.id).toBe(demo.contact('Maria Gonzalez'))
    expect(row.who).toBe('Maria Gonzalez')
    expect(typeof row.unread_count).toBe('string')
    expect(row.workspace).toEqual({ name: 'Acme Support' })
    expect(row.messages.map((m) => m.id).sort()).toEqual(messages.rows.map((m) => m.id).sort())

    const embeddedToOne = await service
      .from('messages')
      .select('id, contact:contacts!messages_contact_id_fkey(name)')
      .eq('contact_id', demo.contact("James O'Connor"))
      .limit(1)
      .single()
    expect(embeddedToOne.data).toMatchObject({ contact: { name: "James O'Connor" } })
  })
})

describe('embedded resources', () => {
  it('filter, order and limit an embedded list as supabase-js referencedTable options send them', async () => {
    const { data, error } = await service
      .from('contacts')
      .select('id, messages!messages_contact_id_fkey(id, direction, created_at)')
      .eq('id', demo.contact('Maria Gonzalez'))
      .eq('messages.direction', 'inbound')
      .order('created_at', { referencedTable: 'messages', ascending: false })
      .limit(2, { referencedTable: 'messages' })
      .single()
    expect(error).toBeNull()
    const { rows } = await backend.db.query<{ id: string }>(
      `select id from public.messages where contact_id = $1 and direction = 'inbound' order by created_at desc limit 2`,
      [demo.contact('Maria Gonzalez')],
    )
    const messages = (data as unknown as { messages: { id: string; direction: string }[] }).messages
    expect(messages.map((m) => m.id)).toEqual(rows.map((r) => r.id))
    expect(messages.every((m) => m.direction === 'inbound')).toBe(true)
  })

  it('a filter on an embedded resource that the select does not embed is PGRST108', async () => {
    const result = await service.from('contacts').select('id').eq('messages.direction', 'inbound')
    expect(result).toMatchObject({ status: 400, error: { code: 'PGRST108' } })
    const inner = await service
      .from('contacts')
      .select('id, workspaces!inner(name)')
      .eq('workspaces.name', 'Globex Care')
    expect(inner.error).toBeNull()
    expect(inner.data!.map((row) => row.id).sort()).toEqual(await sqlIds(`workspace_id = '${globex}'`))
  })
})

describe('single and maybeSingle', () => {
  it('single() with one row is an object; with none or many it is PGRST116 (406)', async () => {
    const one = await service.from('contacts').select('id').eq('id', demo.contact('Priya Raman')).single()
    expect(one.data).toEqual({ id: demo.contact('Priya Raman') })
    const none = await service.from('contacts').select('id').eq('id', missingContact).single()
    expect(none.status).toBe(406)
    expect(none.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 0 rows' })
    const many = await service.from('contacts').select('id').eq('workspace_id', acme).single()
    expect(many.error).toMatchObject({ code: 'PGRST116' })
  })

  it('maybeSingle() is null for none and an error for many', async () => {
    const none = await service.from('contacts').select('id').eq('id', missingContact).maybeSingle()
    expect(none).toMatchObject({ data: null, error: null })
    const many = await service.from('contacts').select('id').eq('workspace_id', acme).maybeSingle()
    expect(many.error).toMatchObject({ code: 'PGRST116' })
  })
})

describe('writes', () => {
  it('inserts one row and many, with return=representation or minimal', async () => {
    const one = await service
      .from('contacts')
      .insert({ workspace_id: globex, phone_number: '+15550009001', name: 'Insert One' })
      .select('id, name, conversation_status, unread_count')
      .single()
    expect(one.error).toBeNull()
    expect(one.status).toBe(201)
    expect(one.data).toMatchObject({ name: 'Insert One', conversation_status: 'Open', unread_count: 0 })

    const many = await service
      .from('contacts')
      .insert([
        { workspace_id: globex, phone_number: '+15550009002', name: 'Bulk A' },
        { workspace_id: globex, phone_number: '+15550009003' },
      ])
      .select('phone_number, name')
    expect(many.error).toBeNull()
    expect(many.data).toEqual([
      { phone_number: '+15550009002', name: 'Bulk A' },
      { phone_number: '+15550009003', name: null },
    ])

    const minimal = await service
      .from('contacts')
      .insert({ workspace_id: globex, phone_number: '+15550009004' })
    expect(minimal).toMatchObject({ error: null, data: null, status: 201 })
    expect(
      await sqlIds(`phone_number in ('+15550009001', '+15550009002', '+15550009003', '+15550009004')`),
    ).toHaveLength(4)
  })

  it('upserts on a conflict target, merging or ignoring duplicates', async () => {
    const row = { workspace_id: globex, phone_number: '+15550009101', name: 'Before' }
    expect((await service.from('contacts').insert(row)).error).toBeNull()
    const merged = await service
      .from('contacts')
      .upsert({ ...row, name: 'After' }, { onConflict: 'phone_number,workspace_id' })
      .select('name')
    expect(merged.error).toBeNull()
    expect(merged.data).toEqual([{ name: 'After' }])
    const ignored = await service
      .from('contacts')
      .upsert(
        { ...row, name: 'Ignored' },
        { onConflict: 'phone_number,workspace_id', ignoreDuplicates: true },
      )
      .select('name')
    expect(ignored.data).toEqual([])
    const { rows } = await backend.db.query<{ name: string }>(
      `select name from public.contacts where phone_number = '+15550009101'`,
    )
    expect(rows).toEqual([{ name: 'After' }])
  })

  // As PostgREST (SqlFragment.hs fromJsonBodyF): the merge sets every column any row carries;
  // one a row leaves out takes its default, and null without one, rather than staying as it was.
  it("a bulk upsert whose rows carry different keys merges each row's missing columns as their defaults", async () => {
    const rows = [
      { workspace_id: globex, phone_number: '+15550009111', name: 'Named', email: 'kept@example.com' },
      { workspace_id: globex, phone_number: '+15550009112', name: 'Other', email: 'also-kept@example.com' },
    ]
    expect((await service.from('contacts').insert(rows)).error).toBeNull()
    const upsert = await service
      .from('contacts')
      .upsert(
        [
          { workspace_id: globex, phone_number: '+15550009111', name: 'Renamed' },
          { workspace_id: globex, phone_number: '+15550009112', email: 'changed@example.com' },
        ],
        { onConflict: 'phone_number,workspace_id', defaultToNull: false },
      )
      .select('phone_number, name, email')
    expect(upsert.error).toBeNull()
    const { rows: stored } = await backend.db.query(
      `select phone_number, name, email from public.contacts where phone_number in ('+15550009111', '+15550009112') order by phone_number`,
    )
    expect(stored).toEqual([
      { phone_number: '+15550009111', name: 'Renamed', email: null },
      { phone_number: '+15550009112', name: null, email: 'changed@example.com' },
    ])
  })

  it('updates and deletes only the filtered rows', async () => {
    const updated = await service
      .from('contacts')
      .update({ name: 'Renamed' })
      .eq('phone_number', '+15550009002')
      .select('name')
    expect(updated.data).toEqual([{ name: 'Renamed' }])
    const minimal = await service
      .from('contacts')
      .update({ name: 'Again' })
      .eq('phone_number', '+15550009002')
    expect(minimal).toMatchObject({ error: null, status: 204 })
    const deleted = await service
      .from('contacts')
      .delete()
      .in('phone_number', ['+15550009003', '+15550009004'])
      .select('phone_number')
    expect(deleted.data).toHaveLength(2)
    expect(await sqlIds(`phone_number in ('+15550009003', '+15550009004')`)).toEqual([])
    expect(await sqlIds(`name = 'Again'`)).toHaveLength(1)
  })

  it('refuses an UPDATE or DELETE without a filter (pg-safeupdate)', async () => {
    const before = await sqlIds('true')
    const unfiltered = await fetch(`${backend.url}/rest/v1/contacts`, {
      method: 'DELETE',
      headers: { apikey: backend.serviceRoleKey, authorization: `Bearer ${backend.serviceRoleKey}` },
    })
    expect(unfiltered.status).toBe(400)
    expect(await unfiltered.json()).toMatchObject({ code: '21000' })
    expect(await sqlIds('true')).toEqual(before)
  })

  it('maps constraint violations to PostgREST statuses', async () => {
    const duplicate = await service
      .from('contacts')
      .insert({ workspace_id: acme, phone_number: '+14155550101' })
    expect(duplicate).toMatchObject({ status: 409, error: { code: '23505' } })
    const missingParent = await service
      .from('contacts')
      .insert({ workspace_id: '99999999-9999-4999-8999-999999999999', phone_number: '+15550009201' })
    expect(missingParent).toMatchObject({ status: 409, error: { code: '23503' } })
    const badStatus = await service
      .from('contacts')
      .update({ conversation_status: 'Closed' })
      .eq('id', demo.contact('Maria Gonzalez'))
    expect(badStatus).toMatchObject({ status: 400, error: { code: '23514' } })
    const badUuid = await service.from('contacts').select('id').eq('id', 'not-a-uuid')
    expect(badUuid).toMatchObject({ status: 400, error: { code: '22P02' } })
    const unknownColumn = await service
      .from('contacts')
      .insert({ workspace_id: acme, phone_number: '+15550009202', nope: 1 })
    expect(unknownColumn).toMatchObject({ status: 400, error: { code: 'PGRST204' } })
  })
})

describe('rpc', () => {
  it('mark_conversation_read zeroes the unread count for a member and refuses others', async () => {
    const before = await backend.db.query<{ unread_count: number }>(
      'select unread_count from public.contacts where id = $1',
      [demo.contact('Maria Gonzalez')],
    )
    expect(before.rows[0]!.unread_count).toBeGreaterThan(0)
    const ava = createClient(backend.url, backend.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    expect(
      (await ava.auth.signInWithPassword({ email: 'ava@acme.test', password: 'inbox-demo-1' })).error,
    ).toBeNull()

    const read = await ava.rpc('mark_conversation_read', { contact_id: demo.contact('Maria Gonzalez') })
    expect(read).toMatchObject({ error: null, data: null })
    const after = await backend.db.query<{ unread_count: number }>(
      'select unread_count from public.contacts where id = $1',
      [demo.contact('Maria Gonzalez')],
    )
    expect(after.rows[0]!.unread_count).toBe(0)

    const foreign = await ava.rpc('mark_conversation_read', { contact_id: demo.contact('Helen Park') })
    expect(foreign).toMatchObject({ status: 403, error: { code: '42501' } })
    const anon = createClient(backend.url, backend.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    expect(
      await anon.rpc('mark_conversation_read', { contact_id: demo.contact("James O'Connor") }),
    ).toMatchObject({
      status: 401,
      error: { code: '42501' },
    })

    const table = await ava.rpc('workspace_sending_status')
    expect(table.data).toEqual([{ workspace_id: acme, is_configured: true, sending_number: '+15550100001' }])
    const unknown = await ava.rpc('no_such_function', { x: 1 })
    expect(unknown).toMatchObject({ status: 404, error: { code: 'PGRST202' } })
    const wrongArgs = await ava.rpc('mark_conversation_read', { id: demo.contact('Maria Gonzalez') })
    expect(wrongArgs.error).toMatchObject({ code: 'PGRST202' })
  })
})

describe('injection attempts are harmless', () => {
  const headers = () => ({
    apikey: backend.serviceRoleKey,
    authorization: `Bearer ${backend.serviceRoleKey}`,
  })
  const get = (query: string) => fetch(`${backend.url}/rest/v1/contacts?${query}`, { headers: headers() })

  it('in column names, filter values, logic trees, casts and order', async () => {
    const count = async () =>
      (await backend.db.query<{ n: number }>('select count(*)::int as n from public.contacts')).rows[0]!.n
    const before = await count()
    const attempts: [string, number][] = [
      [`select=${encodeURIComponent('id,name;drop table public.contacts;--')}`, 400],
      [`select=${encodeURIComponent('"id" from public.contacts;drop table public.contacts;--')}`, 400],
      [`select=${encodeURIComponent('id::text;drop table public.contacts')}`, 400],
      [`${encodeURIComponent('name;drop table public.contacts')}=eq.x`, 400],
      [`order=${encodeURIComponent('id;drop table public.contacts')}`, 400],
      [`order=${encodeURIComponent('id.desc,(select 1)')}`, 400],
      [`or=${encodeURIComponent("(name.eq.x' or 1=1 --,id.is.null)")}`, 200],
      [`or=${encodeURIComponent("(name.eq.x') or 1=1 --,id.is.null)")}`, 400],
      [`or=${encodeURIComponent('(name.eq.x),id.is.null);drop table public.contacts;--')}`, 400],
    ]
    for (const [query, status] of attempts) {
      const response = await get(query)
      expect({ query, status: response.status }).toEqual({ query, status })
      const body = (await response.json()) as unknown
      if (status === 200) expect(body).toEqual([])
      else expect(body).toMatchObject({ code: expect.any(String), message: expect.any(String) })
    }
    const valueInjection = await service
      .from('contacts')
      .select('id')
      .eq('name', "x'; delete from public.contacts; --")
    expect(valueInjection).toMatchObject({ error: null, data: [] })
    const likeInjection = await service.from('contacts').select('id').ilike('name', "%' or '1'='1")
    expect(likeInjection.data).toEqual([])
    expect(await count()).toBe(before)
  })
})

describe('prepared statements', () => {
  it('a query shape that failed once runs normally afterwards', async () => {
    const shape = (value: string) =>
      service.from('contacts').select('id, email').eq('unread_count', value).order('email')
    expect(await shape('not a number')).toMatchObject({ status: 400, error: { code: '22P02' } })
    const ok = await shape('0')
    expect(ok.error).toBeNull()
    expect(ok.data!.map((row) => row.id).sort()).toEqual((await sqlIds('unread_count = 0')).sort())
  })
})

describe('schema errors', () => {
  it('unknown table, column and relation answer in PostgREST shape', async () => {
    expect(await service.from('nope').select('*')).toMatchObject({ status: 404, error: { code: 'PGRST205' } })
    expect(await service.from('contacts').select('id, nope')).toMatchObject({
      status: 400,
      error: { code: '42703' },
    })
    expect(await service.from('contacts').select('id').eq('nope', 1)).toMatchObject({
      status: 400,
      error: { code: '42703' },
    })
    expect(await service.from('contacts').select('id, twilio_numbers(id)')).toMatchObject({
      status: 400,
      error: { code: 'PGRST200' },
    })
    expect(await service.from('contacts').select('id').filter('name', 'sounds_like', 'x')).toMatchObject({
      status: 400,
      error: { code: 'PGRST100' },
    })
    expect(await service.schema('auth').from('users').select('*')).toMatchObject({
      status: 406,
      error: { code: 'PGRST106' },
    })
  })
})

/*
 * PostgREST sends a filter's value as a parameter of unknown type (SqlFragment.hs
 * unknownLiteral), so Postgres types it from the comparison and reads it once, when
 * the statement is bound. A text parameter cast in the statement is converted at every
 * evaluation instead where the conversion is not immutable (a timestamp's depends on
 * the session's time zone): once per row the index does not decide.
 */
describe('filter values are read once, when the statement is bound', () => {
  it('a timestamp filter compares each row with the parameter itself, not a conversion of it', async () => {
    const response = await fetch(
      `${backend.url}/rest/v1/contacts?select=id&updated_at=gt.2020-01-01T00:00:00.5Z`,
      {
        headers: {
          apikey: backend.serviceRoleKey,
          authorization: `Bearer ${backend.serviceRoleKey}`,
          accept: 'application/vnd.pgrst.plan+json; options=verbose',
        },
      },
    )
    type Node = { Filter?: string; Plans?: Node[] }
    const [explained] = (await response.json()) as { Plan: Node }[]
    const filters: string[] = []
    const walk = (node: Node) => {
      if (node.Filter) filters.push(node.Filter)
      node.Plans?.forEach(walk)
    }
    walk(explained!.Plan)
    expect(filters).toHaveLength(1)
    // A value read at Bind is a timestamp constant; one converted per row is text cast to one.
    expect(filters[0]).toMatch(/updated_at > '[^']+'::timestamp with time zone\)/)
    expect(filters[0]).not.toMatch(/::text\)::timestamp/)
  })

  it('a value that is no timestamp is refused with Postgres’s 22007, and the request reads nothing', async () => {
    const { data, error, status } = await contacts().gt('updated_at', 'soon')
    expect(status).toBe(400)
    expect(data).toBeNull()
    expect(error).toMatchObject({
      code: '22007',
      message: 'invalid input syntax for type timestamp with time zone: "soon"',
    })
  })
})
