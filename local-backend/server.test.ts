import { createClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { demoIds } from './db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from './index.ts'

let backend: LocalBackend
const { logger, lines } = createMemoryLogger('server-test')
const serviceHeaders = () => ({
  apikey: backend.serviceRoleKey,
  authorization: `Bearer ${backend.serviceRoleKey}`,
})

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
})
afterAll(async () => {
  await backend.stop()
})

async function stillServing() {
  const response = await fetch(`${backend.url}/rest/v1/workspaces?select=name&order=name`, {
    headers: serviceHeaders(),
  })
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual([{ name: 'Acme Support' }, { name: 'Globex Care' }])
}

describe('bad input gets a clean error and the server keeps serving', () => {
  it('malformed JSON', async () => {
    const rest = await fetch(`${backend.url}/rest/v1/contacts`, {
      method: 'POST',
      headers: { ...serviceHeaders(), 'content-type': 'application/json' },
      body: '{"name": ',
    })
    expect(rest.status).toBe(400)
    expect(await rest.json()).toMatchObject({ code: 'PGRST102', message: 'Empty or invalid json' })
    const rpc = await fetch(`${backend.url}/rest/v1/rpc/mark_conversation_read`, {
      method: 'POST',
      headers: { ...serviceHeaders(), 'content-type': 'application/json' },
      body: '[1,',
    })
    expect(rpc.status).toBe(400)
    await stillServing()
  })

  it('a 10 MB body is refused with 413 on REST and auth', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(10 * 1024 * 1024) })
    for (const path of ['/rest/v1/contacts', '/auth/v1/token?grant_type=password']) {
      const response = await fetch(`${backend.url}${path}`, {
        method: 'POST',
        headers: { ...serviceHeaders(), 'content-type': 'application/json' },
        body: big,
      })
      expect(response.status).toBe(413)
      expect(await response.json()).toMatchObject({ code: expect.anything() })
    }
    await stillServing()
  })

  it('a body sent without Content-Length is limited too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) controller.close()
        else {
          sent += chunk.length
          controller.enqueue(chunk)
        }
      },
    })
    const response = await fetch(`${backend.url}/rest/v1/contacts`, {
      method: 'POST',
      headers: { ...serviceHeaders(), 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    await stillServing()
  })

  it('a body within the limit is read whole, with Content-Length or streamed in chunks', async () => {
    const { acme } = await demoIds(backend.db)
    const contact = (name: string, phone: string) =>
      JSON.stringify({ workspace_id: acme, phone_number: phone, name })
    const headers = {
      ...serviceHeaders(),
      'content-type': 'application/json',
      prefer: 'return=representation',
    }
    const declared = await fetch(`${backend.url}/rest/v1/contacts`, {
      method: 'POST',
      headers,
      body: contact('Declared Length', '+15557770001'),
    })
    expect(declared.status).toBe(201)
    expect(await declared.json()).toMatchObject([{ name: 'Declared Length' }])

    const text = new TextEncoder().encode(contact('Chunked Body', '+15557770002'))
    const chunked = await fetch(`${backend.url}/rest/v1/contacts`, {
      method: 'POST',
      headers,
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(text.subarray(0, 10))
          controller.enqueue(text.subarray(10))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(201)
    expect(await chunked.json()).toMatchObject([{ name: 'Chunked Body' }])
  })

  it('bad Range headers and limits', async () => {
    for (const range of ['9-2', 'abc', '-5']) {
      const response = await fetch(`${backend.url}/rest/v1/contacts?select=id`, {
        headers: { ...serviceHeaders(), range },
      })
      expect({ range, status: response.status }).toEqual({ range, status: 416 })
      expect(await response.json()).toMatchObject({ code: 'PGRST103' })
    }
    const limit = await fetch(`${backend.url}/rest/v1/contacts?select=id&limit=-1`, {
      headers: serviceHeaders(),
    })
    expect(limit.status).toBe(400)
    const past = await fetch(`${backend.url}/rest/v1/contacts?select=id&offset=1000`, {
      headers: { ...serviceHeaders(), prefer: 'count=exact' },
    })
    expect(past.status).toBe(416)
    await stillServing()
  })

  it('unknown routes are 404 JSON', async () => {
    for (const path of [
      '/nope',
      '/rest/v1/contacts/extra',
      '/auth/v1/nope',
      '/functions/v1/missing/x',
      '/realtime/v1/api',
    ]) {
      const response = await fetch(`${backend.url}${path}`, { headers: serviceHeaders() })
      expect({ path, status: response.status }).toEqual({ path, status: 404 })
      expect(response.headers.get('content-type')).toContain('application/json')
      await response.json()
    }
    await stillServing()
  })

  it('an unknown column is a 400, never a 500', async () => {
    const response = await fetch(`${backend.url}/rest/v1/contacts?select=id,ghost`, {
      headers: serviceHeaders(),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      code: '42703',
      message: 'column contacts.ghost does not exist',
    })
    expect(lines.some((line) => line.includes('"level":"error"'))).toBe(false)
    await stillServing()
  })
})

describe('the server', () => {
  it('answers /health', async () => {
    const health = await fetch(`${backend.url}/health`)
    expect(await health.json()).toEqual({ status: 'ok' })
  })

  it('serves mounted functions under /functions/v1/<name> with the prefix stripped', async () => {
    const seen: { path: string; host: string; prefix: string | null; body: string }[] = []
    backend.mountFunction('echo', async (request) => {
      const url = new URL(request.url)
      seen.push({
        path: `${url.pathname}${url.search}`,
        host: url.host,
        prefix: request.headers.get('x-forwarded-prefix'),
        body: await request.text(),
      })
      return Response.json({ ok: true }, { status: 201 })
    })
    const supabase = createClient(backend.url, backend.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const { data, error } = await supabase.functions.invoke('echo/messages?x=1', { body: { hello: 'world' } })
    expect(error).toBeNull()
    expect(data).toEqual({ ok: true })
    const root = await fetch(`${backend.url}/functions/v1/echo`)
    expect(root.status).toBe(201)
    expect(seen).toEqual([
      {
        path: '/messages?x=1',
        host: `127.0.0.1:${backend.port}`,
        prefix: '/functions/v1/echo',
        body: '{"hello":"world"}',
      },
      { path: '/', host: `127.0.0.1:${backend.port}`, prefix: '/functions/v1/echo', body: '' },
    ])
  })

  it('logs requests as structured JSON without secrets', async () => {
    await fetch(`${backend.url}/rest/v1/contacts?select=id&limit=1`, { headers: serviceHeaders() })
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(
      parsed.some(
        (entry) => entry.msg === 'request' && entry.path === '/rest/v1/contacts' && entry.status === 200,
      ),
    ).toBe(true)
    expect(lines.join('\n')).not.toContain(backend.serviceRoleKey)
  })
})

describe('a web page, of another port or another site, gets nothing', () => {
  const origins = () => [`http://127.0.0.1:${backend.port + 1}`, 'http://evil.test']
  const accessControl = (response: Response) =>
    [...response.headers.keys()].filter((name) => name.startsWith('access-control-'))

  async function refused(path: string, init: RequestInit & { headers: Record<string, string> }) {
    for (const origin of origins()) {
      const response = await fetch(`${backend.url}${path}`, {
        ...init,
        headers: { ...init.headers, origin },
      })
      const body = await response.text()
      expect(response.status, `${init.method ?? 'GET'} ${path} from ${origin}`).toBe(403)
      expect(accessControl(response)).toEqual([])
      expect(JSON.parse(body)).toEqual({ code: 'origin_refused', message: expect.stringMatching(/Origin/) })
    }
  }

  it('REST, even with the service key: no rows, no CORS headers', async () => {
    await refused('/rest/v1/workspace_twilio_config?select=auth_token', { headers: serviceHeaders() })
    await refused('/rest/v1/contacts', {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
  })

  it('auth sign-in and mounted functions', async () => {
    await refused('/auth/v1/token?grant_type=password', {
      method: 'POST',
      headers: { apikey: backend.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ava@acme.test', password: 'inbox-demo-1' }),
    })
    backend.mountFunction('leaky', () => Response.json({ secret: 'never sent' }))
    await refused('/functions/v1/leaky', { headers: {} })
    expect((await fetch(`${backend.url}/functions/v1/leaky`)).status).toBe(200)
  })

  it('a Realtime WebSocket carrying an Origin is refused before its token is looked at', async () => {
    const { WebSocket } = await import('ws')
    for (const origin of origins()) {
      const socket = new WebSocket(
        `${backend.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${backend.serviceRoleKey}&vsn=2.0.0`,
        { origin },
      )
      const outcome = await new Promise<string>((resolve) => {
        socket.on('unexpected-response', (_request, response) => resolve(`status ${response.statusCode}`))
        socket.on('open', () => resolve('open'))
      })
      expect(outcome).toBe('status 403')
    }
    expect(lines.filter((line) => line.includes('realtime connection from a web page refused'))).toHaveLength(
      2,
    )
  })
})

describe('the whole stack through supabase-js', () => {
  // supabase-js from Node (the app's main process) sends no Origin: REST, auth and Realtime all answer it.
  it('an agent signs in, lists its inbox by last activity and receives a realtime INSERT written through REST', async () => {
    const agent = createClient(backend.url, backend.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    expect(
      (await agent.auth.signInWithPassword({ email: 'ben@acme.test', password: 'inbox-demo-1' })).error,
    ).toBeNull()
    const inbox = await agent
      .from('contacts')
      .select('id, name, last_message_at')
      .order('last_message_at', { ascending: false })
      .limit(50)
    expect(inbox.error).toBeNull()
    const times = inbox.data!.map((row) => row.last_message_at as string | null)
    expect(times.length).toBeGreaterThan(0)
    const sorted = [...times].sort((a, b) =>
      a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? 1 : -1,
    )
    expect(times).toEqual(sorted)

    const demo = await demoIds(backend.db)
    const contact = demo.contact("James O'Connor")
    let subscribed!: () => void
    const ready = new Promise<void>((resolve) => (subscribed = resolve))
    const received = new Promise<Record<string, unknown>>((resolve) => {
      agent
        .channel('inbox')
        .on(
          'postgres_changes',
          {
            event: 'INSERT',
            schema: 'public',
            table: 'messages',
            filter: `workspace_id=eq.${demo.acme}`,
          },
          (payload) => resolve(payload.new),
        )
        .subscribe((status) => {
          if (status === 'SUBSCRIBED') subscribed()
        })
    })
    await ready
    const service = createClient(backend.url, backend.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const insert = await service.from('messages').insert({
      workspace_id: demo.acme,
      contact_id: contact,
      content: 'Is my order shipped?',
      direction: 'inbound',
    })
    expect(insert.error).toBeNull()
    expect(await received).toMatchObject({
      contact_id: contact,
      content: 'Is my order shipped?',
      direction: 'inbound',
    })
    await agent.removeAllChannels()
  })

  it('refuses WebSocket upgrades on other paths', async () => {
    const { WebSocket } = await import('ws')
    const socket = new WebSocket(`${backend.url.replace('http', 'ws')}/somewhere/else`)
    const outcome = await new Promise<string>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(`status ${response.statusCode}`))
      socket.on('error', (error) => resolve(`error ${error.message}`))
      socket.on('open', () => resolve('open'))
    })
    expect(outcome).toMatch(/404/)
    await stillServing()
  })
})

describe('stop', () => {
  it('closes the port and the database, and is idempotent', async () => {
    const other = await startLocalBackend({ port: 0, logger })
    const keepAlive = await fetch(`${other.url}/health`)
    expect(keepAlive.status).toBe(200)
    await Promise.all([other.stop(), other.stop()])
    await expect(fetch(`${other.url}/health`)).rejects.toThrow()
    expect(other.db.closed).toBe(true)
  })
})
