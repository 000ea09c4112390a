import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds } from '../db/demo-callers.ts'
import { startLocalBackend } from '../index.ts'

// Started before the cases are declared: their URL names the id this backend's seed drew.
const backend = await startLocalBackend({
  port: 0,
  seed: true,
  logger: createMemoryLogger('plan-cache').logger,
})
const ACME = (await demoIds(backend.db)).acme
afterAll(async () => {
  await backend.stop()
})

async function tokenOf(email: string): Promise<string> {
  const response = await fetch(`${backend.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: backend.anonKey, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'inbox-demo-1' }),
  })
  return ((await response.json()) as { access_token: string }).access_token
}

const get = async (path: string, token: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${backend.url}${path}`, {
    headers: { apikey: backend.anonKey, authorization: `Bearer ${token}`, ...headers },
  })
  return {
    status: response.status,
    range: response.headers.get('content-range'),
    json: (await response.json()) as unknown,
  }
}

describe('a repeated read (one cached plan) still answers for each caller and each moment', () => {
  const path = `/rest/v1/contacts?select=id,name&workspace_id=eq.${ACME}&order=name.asc&limit=100`

  it('RLS decides per caller: the same URL gives Acme rows to ben, none to cleo, and anon is refused', async () => {
    const ben = await tokenOf('ben@acme.test')
    const cleo = await tokenOf('cleo@globex.test')
    const first = await get(path, ben)
    const again = await get(path, ben)
    expect(first.status).toBe(200)
    expect((first.json as unknown[]).length).toBeGreaterThan(0)
    expect(again.json).toEqual(first.json)
    expect((await get(path, cleo)).json).toEqual([])
    expect((await get(path, backend.anonKey)).status).toBe(401)
  })

  it('sees writes made between two identical reads', async () => {
    const service = backend.serviceRoleKey
    const before = (await get(path, service)).json as { name: string }[]
    await backend.db.query(
      `insert into public.contacts (workspace_id, phone_number, name) values ($1, '+15557400001', 'Aaron Plancache')`,
      [ACME],
    )
    const after = (await get(path, service)).json as { name: string }[]
    expect(after.length).toBe(before.length + 1)
    expect(after.map((row) => row.name)).toContain('Aaron Plancache')
  })

  it('keys the plan on Accept, Prefer and Range too, not the query string alone', async () => {
    const service = backend.serviceRoleKey
    const plain = await get(path, service)
    const counted = await get(path, service, { prefer: 'count=exact' })
    expect(plain.range).toMatch(/\/\*$/)
    expect(counted.range).toMatch(/\/\d+$/)
    const unlimited = path.replace('&limit=100', '')
    expect(((await get(unlimited, service)).json as unknown[]).length).toBeGreaterThan(2)
    expect((await get(unlimited, service, { range: '0-1' })).json).toHaveLength(2)
    const single = await get(`/rest/v1/contacts?select=id&workspace_id=eq.${ACME}&limit=1`, service, {
      accept: 'application/vnd.pgrst.object+json',
    })
    const list = await get(`/rest/v1/contacts?select=id&workspace_id=eq.${ACME}&limit=1`, service)
    expect(Array.isArray(single.json)).toBe(false)
    expect(Array.isArray(list.json)).toBe(true)
  })

  it('a bad request is refused every time, not cached as a plan', async () => {
    const service = backend.serviceRoleKey
    for (let i = 0; i < 2; i++) {
      const bad = await get('/rest/v1/contacts?select=nope', service)
      expect(bad.status).toBe(400)
    }
  })
})

describe('bound values are cached by value, so no caller is handed another caller’s answer', () => {
  const markRead = async (token: string, contactId: string | null) => {
    const response = await fetch(`${backend.url}/rest/v1/rpc/mark_conversation_read`, {
      method: 'POST',
      headers: {
        apikey: backend.anonKey,
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ contact_id: contactId }),
    })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : null) as { code: string } | null }
  }

  it('a NULL argument after "\\u0001" (and the reverse) gets its own answer, not the cached error', async () => {
    const ben = await tokenOf('ben@acme.test')
    const cleo = await tokenOf('cleo@globex.test')
    const { rows } = await backend.db.query<{ id: string }>(
      'select id from public.contacts where workspace_id = $1 limit 1',
      [ACME],
    )
    // A call that succeeds keeps its prepared statement, so the calls below share it.
    expect(await markRead(ben, rows[0]!.id)).toEqual({ status: 204, body: null })
    const control = await markRead(ben, '\u0001')
    expect(control).toMatchObject({ status: 400, body: { code: '22P02' } })
    expect(await markRead(cleo, null)).toMatchObject({ status: 403, body: { code: '42501' } })
    expect(await markRead(ben, '\u0001')).toEqual(control)
  })
})
