import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds, type DemoIds } from '../db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

let backend: LocalBackend
let demo: DemoIds
let acme: string
let globex: string
let globexContact: string
let benId: string
let ben: SupabaseClient
let anon: SupabaseClient

const newClient = () =>
  createClient(backend.url, backend.anonKey, { auth: { persistSession: false, autoRefreshToken: false } })

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return (await backend.db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params)).rows[0]!.n
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger: createMemoryLogger('rls-test').logger })
  demo = await demoIds(backend.db)
  ;({ acme, globex, ben: benId } = demo)
  globexContact = demo.contact('Helen Park')
  ben = newClient()
  const { error } = await ben.auth.signInWithPassword({ email: 'ben@acme.test', password: 'inbox-demo-1' })
  expect(error).toBeNull()
  anon = newClient()
})
afterAll(async () => {
  await backend.stop()
})

describe('a member of Acme through HTTP', () => {
  it('sees exactly Acme rows of every table it may read', async () => {
    for (const table of ['contacts', 'messages', 'twilio_numbers', 'workspace_members']) {
      const { data, error } = await ben.from(table).select('workspace_id')
      expect(error).toBeNull()
      expect(data!.length).toBe(await count(`public.${table} where workspace_id = $1`, [acme]))
      expect(new Set(data!.map((row: { workspace_id: string }) => row.workspace_id))).toEqual(new Set([acme]))
    }
    const workspaces = await ben.from('workspaces').select('id')
    expect(workspaces.data).toEqual([{ id: acme }])
  })

  it('cannot read Globex rows even when asking for them by id', async () => {
    const { data } = await ben.from('contacts').select('id').eq('id', globexContact)
    expect(data).toEqual([])
    const { data: messages } = await ben.from('messages').select('id').eq('workspace_id', globex)
    expect(messages).toEqual([])
    const single = await ben.from('contacts').select('id').eq('id', globexContact).single()
    expect(single.error).toMatchObject({ code: 'PGRST116' })
  })

  it('the same prepared query answers each role by its own RLS', async () => {
    const service = createClient(backend.url, backend.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const query = (client: SupabaseClient) =>
      client.from('contacts').select('id, name').eq('workspace_id', globex).order('id')
    for (let round = 0; round < 7; round++) {
      const asService = await query(service)
      expect(asService.data!.length).toBe(await count('public.contacts where workspace_id = $1', [globex]))
      expect((await query(ben)).data).toEqual([])
      expect((await query(anon)).status).toBe(401)
    }
  })

  it('cannot change or delete Globex rows', async () => {
    const before = await backend.db.query(
      'select name, conversation_status from public.contacts where id = $1',
      [globexContact],
    )
    const update = await ben
      .from('contacts')
      .update({ name: 'Hijacked' })
      .eq('id', globexContact)
      .select('id')
    expect(update).toMatchObject({ error: null, data: [] })
    const remove = await ben.from('messages').delete().eq('workspace_id', globex).select('id')
    expect(remove.data ?? []).toEqual([])
    const after = await backend.db.query(
      'select name, conversation_status from public.contacts where id = $1',
      [globexContact],
    )
    expect(after.rows).toEqual(before.rows)
    expect(await count('public.messages where workspace_id = $1', [globex])).toBeGreaterThan(0)
  })

  it('cannot insert into Globex: RLS answers 403 with 42501', async () => {
    const contact = await ben.from('contacts').insert({ workspace_id: globex, phone_number: '+15550008001' })
    expect(contact).toMatchObject({ status: 403, error: { code: '42501' } })
    const message = await ben.from('messages').insert({
      workspace_id: globex,
      contact_id: globexContact,
      content: 'hello',
      direction: 'outbound',
      created_by: benId,
    })
    expect(message).toMatchObject({ status: 403, error: { code: '42501' } })
    expect(await count(`public.contacts where phone_number = '+15550008001'`)).toBe(0)
  })

  it('a message naming a Globex contact fails byte for byte as one naming no contact at all', async () => {
    const token = (await ben.auth.getSession()).data.session!.access_token
    const attempt = async (contactId: string) => {
      const response = await fetch(`${backend.url}/rest/v1/messages`, {
        method: 'POST',
        headers: {
          apikey: backend.anonKey,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          workspace_id: acme,
          contact_id: contactId,
          content: 'probe',
          direction: 'outbound',
          created_by: benId,
        }),
      })
      return { status: response.status, body: await response.text() }
    }
    const elsewhere = await attempt(globexContact)
    const nowhere = await attempt(crypto.randomUUID())
    expect(elsewhere).toEqual(nowhere)
    expect(elsewhere.status).toBe(403)
    expect(JSON.parse(elsewhere.body)).toMatchObject({ code: '42501' })
    expect(await count(`public.messages where content = 'probe'`)).toBe(0)
  })

  it('never reads Twilio credentials', async () => {
    const { data, error, status } = await ben.from('workspace_twilio_config').select('auth_token')
    expect(data).toBeNull()
    expect(status).toBe(403)
    expect(error).toMatchObject({ code: '42501' })
  })

  it('may do what its role allows in its own workspace', async () => {
    const created = await ben
      .from('messages')
      .insert({
        workspace_id: acme,
        contact_id: demo.contact("James O'Connor"),
        content: 'On it!',
        direction: 'outbound',
        created_by: benId,
      })
      .select('status, created_by')
      .single()
    expect(created).toMatchObject({ error: null, data: { status: 'pending', created_by: benId } })
  })
})

describe('anon', () => {
  it('sees nothing: every table refuses with 401', async () => {
    for (const table of [
      'workspaces',
      'workspace_members',
      'contacts',
      'messages',
      'twilio_numbers',
      'workspace_twilio_config',
    ]) {
      const { data, error, status } = await anon.from(table).select('*')
      expect({ table, data, status, code: error?.code }).toEqual({
        table,
        data: null,
        status: 401,
        code: '42501',
      })
    }
    const insert = await anon.from('contacts').insert({ workspace_id: acme, phone_number: '+15550008002' })
    expect(insert).toMatchObject({ status: 401, error: { code: '42501' } })
  })
})
