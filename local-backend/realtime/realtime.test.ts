import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { demo, demoContact } from '../db/demo-callers.ts'
import { passesFilters, resolveSubscription } from './subscriptions.ts'
import {
  anonKey,
  serviceRoleKey,
  startRealtimeHarness,
  userToken,
  waitFor,
  type RealtimeHarness,
} from './test-support.ts'

type Change = {
  schema: string
  table: string
  eventType: string
  commit_timestamp: string
  new: Record<string, unknown>
  old: Record<string, unknown>
  errors: string[] | null
}
type Vsn = '1.0.0' | '2.0.0'

let harness: RealtimeHarness
const clients: SupabaseClient[] = []

beforeAll(async () => {
  harness = await startRealtimeHarness()
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.removeAllChannels()))
})

afterAll(async () => {
  await harness.stop()
})

/** A client whose session token is `token`, or whatever `token()` returns when it asks again. */
async function connect(token: string | (() => string), vsn: Vsn = '2.0.0'): Promise<SupabaseClient> {
  const current = typeof token === 'string' ? () => token : token
  const client = createClient(harness.url, anonKey, {
    accessToken: async () => current(),
    realtime: { vsn, reconnectAfterMs: () => 100 },
  })
  clients.push(client)
  // The client fetches the token asynchronously; a join sent before that would go out as anon.
  await client.realtime.setAuth(current())
  return client
}

interface Subscription {
  channel: RealtimeChannel
  changes: Change[]
  system: Record<string, unknown>[]
  statuses: string[]
  errors: string[]
}

function subscribe(
  client: SupabaseClient,
  topic: string,
  binding: { event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'; schema: string; table?: string; filter?: string },
): Promise<Subscription> {
  const subscription: Subscription = {
    channel: client.channel(topic),
    changes: [],
    system: [],
    statuses: [],
    errors: [],
  }
  subscription.channel
    .on('postgres_changes', binding as { event: '*'; schema: string }, (payload) =>
      subscription.changes.push(payload as Change),
    )
    .on('system', {}, (payload: Record<string, unknown>) => subscription.system.push(payload))
  return new Promise((resolve, reject) => {
    subscription.channel.subscribe((status, error) => {
      subscription.statuses.push(status)
      if (error) subscription.errors.push(error.message)
      if (status === 'SUBSCRIBED') resolve(subscription)
      if (status === 'TIMED_OUT') reject(new Error(`subscribe ${topic} timed out`))
    })
  })
}

async function insertMessage(workspace: string, contact: string, content: string): Promise<string> {
  // The service role, as the relay writes: RLS is bypassed, the change must still be filtered per subscriber.
  return harness.db.transaction(async (tx) => {
    await tx.query(`select set_config('role', 'service_role', true)`)
    const result = await tx.query<{ id: string }>(
      `insert into public.messages (workspace_id, contact_id, content, direction, status)
       values ($1, $2, $3, 'inbound', 'pending') returning id`,
      [workspace, contact, content],
    )
    return result.rows[0]!.id
  })
}

/** A heartbeat round trip: the server handles a socket's frames in order, so everything sent before it is done. */
async function heartbeat(client: SupabaseClient): Promise<void> {
  let answered = false
  client.realtime.onHeartbeat((status) => {
    if (status === 'ok') answered = true
  })
  await client.realtime.sendHeartbeat()
  await waitFor(() => answered, 'the heartbeat reply')
}

const contentsOf = (subscription: Subscription) => subscription.changes.map((change) => change.new.content)

describe.each<Vsn>(['2.0.0', '1.0.0'])('postgres_changes with supabase-js (vsn %s)', (vsn) => {
  it("delivers an insert to the workspace's member with the full payload, and never to another workspace", async () => {
    const acme = await subscribe(await connect(await userToken(demo.ben), vsn), 'acme-inbox', {
      event: '*',
      schema: 'public',
      table: 'messages',
    })
    const globex = await subscribe(await connect(await userToken(demo.cleo), vsn), 'globex-inbox', {
      event: '*',
      schema: 'public',
      table: 'messages',
    })
    expect(acme.system).toContainEqual({
      extension: 'postgres_changes',
      status: 'ok',
      message: 'Subscribed to PostgreSQL',
      channel: 'acme-inbox',
    })

    const acmeText = `acme ${vsn} ${Date.now()}`
    const id = await insertMessage(demo.acme, demoContact(1), acmeText)
    await waitFor(() => acme.changes.some((change) => change.new.id === id), 'the Acme insert')
    const change = acme.changes.find((candidate) => candidate.new.id === id)!
    expect(change).toMatchObject({
      schema: 'public',
      table: 'messages',
      eventType: 'INSERT',
      errors: null,
      old: {},
    })
    expect(change.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(change.new).toMatchObject({
      id,
      workspace_id: demo.acme,
      contact_id: demoContact(1),
      content: acmeText,
      direction: 'inbound',
      status: 'pending',
      created_by: null,
    })

    // Globex's own insert arrives after Acme's would have: if Acme's were leaked, it would be there.
    const globexText = `globex ${vsn} ${Date.now()}`
    await insertMessage(demo.globex, demoContact(25), globexText)
    await waitFor(() => contentsOf(globex).includes(globexText), 'the Globex insert')
    expect(contentsOf(globex)).not.toContain(acmeText)
    expect(globex.changes.every((candidate) => candidate.new.workspace_id === demo.globex)).toBe(true)
    await waitFor(() => contentsOf(acme).includes(acmeText), 'acme')
    expect(contentsOf(acme)).not.toContain(globexText)
  })
})

describe('postgres_changes semantics', () => {
  it('carries the old and the new row on UPDATE (replica identity full)', async () => {
    const acme = await subscribe(await connect(await userToken(demo.ava)), 'acme-updates', {
      event: 'UPDATE',
      schema: 'public',
      table: 'messages',
    })
    const id = await insertMessage(demo.acme, demoContact(2), 'to be sent')
    await harness.db.query(
      `update public.messages set status = 'sent', twilio_sid = 'SM' || md5($1::text) where id = $1`,
      [id],
    )
    await waitFor(() => acme.changes.some((change) => change.new.id === id), 'the update')
    const change = acme.changes.find((candidate) => candidate.new.id === id)!
    expect(change.eventType).toBe('UPDATE')
    expect(change.old).toMatchObject({ id, status: 'pending', twilio_sid: null, content: 'to be sent' })
    expect(change.new).toMatchObject({ id, status: 'sent', content: 'to be sent' })
    // The binding asked for UPDATE only: the insert before it was not delivered.
    expect(acme.changes.every((candidate) => candidate.eventType === 'UPDATE')).toBe(true)
  })

  it('applies a workspace_id=eq filter, for a service-role subscriber that RLS does not restrict', async () => {
    const filtered = await subscribe(await connect(serviceRoleKey), 'filtered', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter: `workspace_id=eq.${demo.acme}`,
    })
    const everything = await subscribe(await connect(serviceRoleKey), 'everything', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
    })
    const globexText = `filtered out ${Date.now()}`
    const acmeText = `filtered in ${Date.now()}`
    await insertMessage(demo.globex, demoContact(26), globexText)
    await insertMessage(demo.acme, demoContact(3), acmeText)
    await waitFor(() => contentsOf(filtered).includes(acmeText), 'the filtered insert')
    await waitFor(() => contentsOf(everything).includes(globexText), 'the unfiltered insert')
    expect(contentsOf(filtered)).not.toContain(globexText)
  })

  it('sends only the primary key of a deleted row under RLS, as hosted Realtime does', async () => {
    const acme = await subscribe(await connect(await userToken(demo.ben)), 'acme-deletes', {
      event: 'DELETE',
      schema: 'public',
      table: 'messages',
      filter: `workspace_id=eq.${demo.acme}`,
    })
    const id = await insertMessage(demo.acme, demoContact(4), 'to be deleted')
    await harness.db.query('delete from public.messages where id = $1', [id])
    await waitFor(() => acme.changes.some((change) => change.old.id === id), 'the delete')
    const change = acme.changes.find((candidate) => candidate.old.id === id)!
    expect(change).toMatchObject({ eventType: 'DELETE', new: {}, old: { id } })
    expect(Object.keys(change.old)).toEqual(['id'])
  })

  it('delivers contacts changes made by the message trigger (raw SQL and triggers alike)', async () => {
    const acme = await subscribe(await connect(await userToken(demo.ben)), 'acme-contacts', {
      event: 'UPDATE',
      schema: 'public',
      table: 'contacts',
      filter: `id=eq.${demoContact(5)}`,
    })
    await insertMessage(demo.acme, demoContact(5), 'bumps the conversation')
    await waitFor(() => acme.changes.length > 0, 'the contact update')
    expect(acme.changes[0]!.new).toMatchObject({
      id: demoContact(5),
      last_message_preview: 'bumps the conversation',
    })
    expect(typeof acme.changes[0]!.new.unread_count).toBe('number')
  })

  it('reports a filter on an unknown column with the system error, and an unknown table likewise', async () => {
    const bad = await subscribe(await connect(await userToken(demo.ben)), 'bad-filter', {
      event: '*',
      schema: 'public',
      table: 'messages',
      filter: 'no_such_column=eq.1',
    })
    await waitFor(() => bad.system.length > 0, 'the system message')
    expect(bad.system[0]).toMatchObject({
      extension: 'postgres_changes',
      status: 'error',
      channel: 'bad-filter',
    })
    expect(String(bad.system[0]!.message)).toContain('invalid column for filter no_such_column')

    const missing = await subscribe(await connect(await userToken(demo.ben)), 'bad-table', {
      event: '*',
      schema: 'public',
      table: 'workspace_twilio_config',
    })
    await waitFor(() => missing.system.length > 0, 'the system message')
    expect(String(missing.system[0]!.message)).toContain(
      'Unable to subscribe to changes with given parameters',
    )
  })

  it('delivers a multi-row commit in order and leaves no captured change behind', async () => {
    const acme = await subscribe(await connect(await userToken(demo.ben)), 'acme-bulk', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter: `contact_id=eq.${demoContact(13)}`,
    })
    // 1,100 rows and 1,100 contacts updates nobody listens to: more than one drain batch.
    await harness.db.query(
      `insert into public.messages (workspace_id, contact_id, content, direction)
       select $1, $2, 'bulk ' || g, 'inbound' from generate_series(1, 1100) g`,
      [demo.acme, demoContact(13)],
    )
    await waitFor(() => acme.changes.length === 1100, 'all 1,100 inserts', 30_000)
    expect(acme.changes.map((change) => change.new.content)).toEqual(
      Array.from({ length: 1100 }, (_, index) => `bulk ${index + 1}`),
    )
    let left = -1
    for (let attempt = 0; attempt < 100 && left !== 0; attempt++) {
      left = (
        await harness.db.query<{ n: number }>('select count(*)::int as n from realtime.captured_changes')
      ).rows[0]!.n
      if (left !== 0) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(left).toBe(0)
  })

  it('captures a table published later, and hides only the rows whose policy raises', async () => {
    await harness.db.exec(`
      create table public.rt_probe (id int primary key, note text);
      alter table public.rt_probe enable row level security;
      grant select on public.rt_probe to authenticated;
      create function public.rt_probe_check(note text) returns boolean language plpgsql as $fn$
      begin
        if note = 'boom' then raise exception 'policy failure'; end if;
        return note <> 'secret';
      end $fn$;
      create policy rt_probe_read on public.rt_probe for select to authenticated using (public.rt_probe_check(note));
      alter publication supabase_realtime add table public.rt_probe;
    `)
    const probe = await subscribe(await connect(await userToken(demo.ben)), 'probe', {
      event: 'INSERT',
      schema: 'public',
      table: 'rt_probe',
    })
    // One commit, so the rows are checked in one batch.
    await harness.db.query(
      `insert into public.rt_probe values (1, 'boom'), (2, 'secret'), (3, 'fine'), (4, 'also fine')`,
    )
    await waitFor(() => probe.changes.length >= 2, 'the visible rows')
    expect(probe.changes.map((change) => change.new.id)).toEqual([3, 4])
    await waitFor(
      () => harness.logLines.some((line) => line.includes('realtime rls check failed')),
      'the warning',
    )
  })

  it('rejoins by itself after the socket drops, and receives later events', async () => {
    const acme = await subscribe(await connect(await userToken(demo.ben)), 'acme-reconnect', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
    })
    harness.dropSockets()
    await waitFor(() => acme.statuses.includes('CHANNEL_ERROR'), 'the client to notice the drop')
    await waitFor(
      () => acme.statuses.lastIndexOf('SUBSCRIBED') > acme.statuses.indexOf('CHANNEL_ERROR'),
      'the rejoin',
    )
    const text = `after reconnect ${Date.now()}`
    await insertMessage(demo.acme, demoContact(6), text)
    await waitFor(() => contentsOf(acme).includes(text), 'the insert after the rejoin')
  })
})

describe('tokens', () => {
  it('closes the channel with the system error when its token expires', async () => {
    const acme = await subscribe(
      await connect(await userToken(demo.ben, { expiresInSeconds: 4 })),
      'acme-expiring',
      {
        event: '*',
        schema: 'public',
        table: 'messages',
      },
    )
    await waitFor(() => acme.statuses.includes('CLOSED'), 'the channel to close')
    const error = acme.system.find((message) => message.status === 'error')
    expect(error).toMatchObject({ extension: 'system', status: 'error', channel: 'acme-expiring' })
    expect(String(error!.message)).toMatch(/^Token has expired \d+ seconds ago$/)
  })

  it('refuses a join with an expired token with hosted Realtime reason', async () => {
    const client = await connect(await userToken(demo.ben, { expiresInSeconds: -30 }))
    const statuses: string[] = []
    const errors: string[] = []
    client.channel('acme-expired').subscribe((status, error) => {
      statuses.push(status)
      if (error) errors.push(error.message)
    })
    await waitFor(() => statuses.includes('CHANNEL_ERROR'), 'the join error')
    expect(errors[0]).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/)
  })

  it('moves a channel to a new token mid-connection, and closes it on an invalid one', async () => {
    // The client asks its token source again on every heartbeat, so the source changes with setAuth.
    let session = await userToken(demo.ben)
    const client = await connect(() => session)
    const acme = await subscribe(client, 'acme-token-swap', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
    })
    // A Globex token on the same channel: from now on it sees Globex rows, not Acme's.
    session = await userToken(demo.cleo)
    await client.realtime.setAuth(session)
    await heartbeat(client)
    // Globex's row arriving proves the server switched the claims; Acme's row after it must not.
    const globexText = `seen after swap ${Date.now()}`
    await insertMessage(demo.globex, demoContact(27), globexText)
    await waitFor(() => contentsOf(acme).includes(globexText), 'the Globex row on the swapped token')
    const acmeText = `hidden after swap ${Date.now()}`
    await insertMessage(demo.acme, demoContact(7), acmeText)
    const laterText = `later globex ${Date.now()}`
    await insertMessage(demo.globex, demoContact(27), laterText)
    await waitFor(() => contentsOf(acme).includes(laterText), 'the later Globex row')
    expect(contentsOf(acme)).not.toContain(acmeText)

    session = await userToken(demo.ben, { secret: 'not-the-secret-not-the-secret-not-the-secret' })
    await client.realtime.setAuth(session)
    await waitFor(() => acme.statuses.includes('CLOSED'), 'the channel to close')
    expect(acme.system.at(-1)).toMatchObject({
      extension: 'system',
      status: 'error',
      message: 'Failed to validate JWT signature',
    })
  })
})

describe('wire protocol with a raw WebSocket', () => {
  function open(query: string): Promise<{ ws: WebSocket; frames: unknown[] }> {
    const ws = new WebSocket(`${harness.url.replace('http', 'ws')}/realtime/v1/websocket?${query}`)
    const frames: unknown[] = []
    ws.on('message', (data, isBinary) => frames.push(isBinary ? data : JSON.parse(String(data))))
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, frames }))
      ws.once('error', reject)
    })
  }

  it('refuses the handshake without an API key or with a forged one', async () => {
    for (const query of [
      'vsn=2.0.0',
      `apikey=${anonKey.slice(0, -4)}abcd&vsn=2.0.0`,
      `apikey=${anonKey}&vsn=9.9.9`,
    ]) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${harness.url.replace('http', 'ws')}/realtime/v1/websocket?${query}`)
        ws.on('error', () => {})
        ws.once('unexpected-response', (req, res) => {
          resolve(res.statusCode ?? 0)
          req.destroy()
        })
        ws.once('open', () => resolve(101))
      })
      expect(status).toBe(query.includes('9.9.9') ? 400 : 401)
    }
  })

  it('answers heartbeats, replies to garbage with errors, and keeps serving', async () => {
    const { ws, frames } = await open(`apikey=${anonKey}&vsn=2.0.0`)
    ws.send('not json at all')
    ws.send('[1, 2]')
    ws.send(JSON.stringify(['1', '2', 'realtime:x', 'phx_join', 'not an object']))
    ws.send(Buffer.from([9, 9, 9]), { binary: true })
    ws.send(
      JSON.stringify([
        null,
        '5',
        'realtime:never-joined',
        'broadcast',
        { type: 'broadcast', event: 'x', payload: {} },
      ]),
    )
    ws.send(JSON.stringify([null, '6', 'phoenix', 'heartbeat', {}]))
    await waitFor(
      () => frames.some((frame) => Array.isArray(frame) && frame[1] === '6'),
      'the heartbeat reply',
    )
    expect(frames).toContainEqual([
      '1',
      '2',
      'realtime:x',
      'phx_reply',
      expect.objectContaining({ status: 'error' }),
    ])
    expect(frames).toContainEqual([
      null,
      '5',
      'realtime:never-joined',
      'phx_reply',
      { status: 'error', response: { reason: 'unmatched topic' } },
    ])
    expect(frames).toContainEqual([null, '6', 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
    expect(ws.readyState).toBe(WebSocket.OPEN)
    expect(harness.logLines.some((line) => line.includes('realtime frame refused'))).toBe(true)
    ws.close()

    // A new client still gets served.
    const acme = await subscribe(await connect(await userToken(demo.ben)), 'after-garbage', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
    })
    const text = `after garbage ${Date.now()}`
    await insertMessage(demo.acme, demoContact(8), text)
    await waitFor(() => contentsOf(acme).includes(text), 'the insert')
  })

  it('speaks vsn 1.0.0 objects: join reply ids, system message, changes, leave and close', async () => {
    const { ws, frames } = await open(`apikey=${anonKey}&vsn=1.0.0`)
    const binding = {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter: `contact_id=in.(${demoContact(9)},${demoContact(10)})`,
    }
    ws.send(
      JSON.stringify({
        topic: 'realtime:raw',
        event: 'phx_join',
        ref: '1',
        join_ref: '1',
        payload: { config: { postgres_changes: [binding] }, access_token: await userToken(demo.ava) },
      }),
    )
    await waitFor(() => frames.length >= 2, 'the join reply and system message')
    const [joinReply, system] = frames as Array<{
      event: string
      payload: { response: { postgres_changes: Array<Record<string, unknown>> } }
    }>
    expect(joinReply).toMatchObject({
      topic: 'realtime:raw',
      event: 'phx_reply',
      ref: '1',
      payload: { status: 'ok' },
    })
    const [serverBinding] = joinReply!.payload.response.postgres_changes
    expect(serverBinding).toMatchObject(binding)
    expect(typeof serverBinding!.id).toBe('number')
    expect(system).toMatchObject({
      event: 'system',
      join_ref: '1',
      payload: { status: 'ok', message: 'Subscribed to PostgreSQL' },
    })

    await insertMessage(demo.acme, demoContact(11), 'not in the in() list')
    const id = await insertMessage(demo.acme, demoContact(10), 'in the in() list')
    await waitFor(
      () => frames.some((frame) => (frame as { event: string }).event === 'postgres_changes'),
      'the change',
    )
    const changes = frames.filter(
      (frame) => (frame as { event: string }).event === 'postgres_changes',
    ) as Array<{
      payload: { ids: number[]; data: Record<string, unknown> }
    }>
    expect(changes).toHaveLength(1)
    expect(changes[0]!.payload.ids).toEqual([serverBinding!.id])
    expect(changes[0]!.payload.data).toMatchObject({
      type: 'INSERT',
      schema: 'public',
      table: 'messages',
      record: { id },
    })
    expect(changes[0]!.payload.data.columns).toContainEqual({ name: 'content', type: 'text' })

    ws.send(
      JSON.stringify({ topic: 'realtime:raw', event: 'phx_leave', ref: '2', join_ref: '1', payload: {} }),
    )
    await waitFor(
      () => frames.some((frame) => (frame as { event: string }).event === 'phx_close'),
      'phx_close',
    )
    expect(frames).toContainEqual(
      expect.objectContaining({ event: 'phx_reply', ref: '2', payload: { status: 'ok', response: {} } }),
    )
    expect(frames).toContainEqual(expect.objectContaining({ event: 'phx_close', ref: '1', join_ref: '1' }))
    ws.close()
  })
})

describe('broadcast and presence', () => {
  it('relays broadcasts between a vsn 2.0.0 and a vsn 1.0.0 client, with ack', async () => {
    const receivedBy2: unknown[] = []
    const receivedBy1: unknown[] = []
    const ready = (channel: RealtimeChannel) =>
      new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()))
    const two = (await connect(anonKey, '2.0.0')).channel('room', { config: { broadcast: { ack: true } } })
    const one = (await connect(anonKey, '1.0.0')).channel('room')
    two.on('broadcast', { event: 'typing' }, (message) => receivedBy2.push(message))
    one.on('broadcast', { event: 'typing' }, (message) => receivedBy1.push(message))
    await Promise.all([ready(two), ready(one)])
    expect(await two.send({ type: 'broadcast', event: 'typing', payload: { who: 'ben' } })).toBe('ok')
    await one.send({ type: 'broadcast', event: 'typing', payload: { who: 'ava' } })
    await waitFor(() => receivedBy1.length === 1 && receivedBy2.length === 1, 'both broadcasts')
    expect(receivedBy1[0]).toMatchObject({ type: 'broadcast', event: 'typing', payload: { who: 'ben' } })
    expect(receivedBy2[0]).toMatchObject({ type: 'broadcast', event: 'typing', payload: { who: 'ava' } })
  })

  it('syncs presence between two clients', async () => {
    const first = (await connect(anonKey)).channel('lobby', { config: { presence: { key: 'ben' } } })
    const second = (await connect(anonKey, '1.0.0')).channel('lobby', {
      config: { presence: { key: 'ava' } },
    })
    first.on('presence', { event: 'sync' }, () => {})
    second.on('presence', { event: 'sync' }, () => {})
    const ready = (channel: RealtimeChannel) =>
      new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()))
    await Promise.all([ready(first), ready(second)])
    await first.track({ online_at: 'now' })
    await second.track({ online_at: 'later' })
    await waitFor(() => Object.keys(first.presenceState()).length === 2, 'both presences at the first client')
    await waitFor(
      () => Object.keys(second.presenceState()).length === 2,
      'both presences at the second client',
    )
    expect(first.presenceState().ava?.[0]).toMatchObject({ online_at: 'later' })
    await second.untrack()
    await waitFor(() => Object.keys(first.presenceState()).length === 1, 'the untrack')
  })
})

describe('filters', () => {
  const record = {
    workspace_id: demo.acme,
    contact_id: demoContact(3),
    sentiment: 0.25,
    status: 'sent',
    created_at: '2026-11-24T12:00:00.5+00:00',
  }
  async function matches(filter: string, role = 'authenticated'): Promise<boolean> {
    const result = await resolveSubscription(
      harness.db,
      { event: '*', schema: 'public', table: 'messages', filter },
      role,
    )
    if (!result.ok) throw new Error(result.message)
    return passesFilters(result.subscription.filters.get('public.messages')!, record)
  }

  it('evaluates eq, neq, lt, lte, gt, gte, in and not. in the column type', async () => {
    expect(await matches(`workspace_id=eq.${demo.acme}`)).toBe(true)
    expect(await matches(`workspace_id=eq.${demo.acme.toUpperCase()}`)).toBe(true)
    expect(await matches(`workspace_id=eq.${demo.globex}`)).toBe(false)
    expect(await matches(`workspace_id=neq.${demo.globex}`)).toBe(true)
    expect(await matches('sentiment=lt.0.5')).toBe(true)
    expect(await matches('sentiment=lt.0.25')).toBe(false)
    expect(await matches('sentiment=lte.0.25')).toBe(true)
    expect(await matches('sentiment=gt.-1')).toBe(true)
    expect(await matches('sentiment=gte.0.3')).toBe(false)
    expect(await matches('created_at=gt.2026-11-24 12:00:00+00')).toBe(true)
    expect(await matches('created_at=lt.2026-11-24T12:00:00.6Z')).toBe(true)
    expect(await matches(`contact_id=in.(${demoContact(2)},${demoContact(3)})`)).toBe(true)
    expect(await matches(`contact_id=in.(${demoContact(4)})`)).toBe(false)
    expect(await matches('status=not.eq.sent')).toBe(false)
    expect(await matches(`status=eq.sent,workspace_id=eq.${demo.globex}`)).toBe(false)
    expect(passesFilters([], null)).toBe(true)
  })

  it('refuses unknown operators, unknown columns and values of the wrong type', async () => {
    for (const [filter, message] of [
      ['status=like.s%', 'unsupported filter operator'],
      ['contact_id=in.nope', 'must be wrapped by parentheses'],
      ['sentiment=lt.abc', 'invalid input syntax'],
      ['nope=eq.1', 'invalid column for filter nope'],
      ['status', 'column=operator.value'],
    ]) {
      await expect(matches(filter!)).rejects.toThrow(message)
    }
    // anon may select no column of messages, so it cannot filter on one either.
    await expect(matches('status=eq.sent', 'anon')).rejects.toThrow('invalid column for filter status')
  })
})

describe('private channels and the server lifecycle', () => {
  it('refuses a private channel to a user (no realtime.messages policies here)', async () => {
    const client = await connect(await userToken(demo.ben))
    const errors: string[] = []
    client.channel('private-room', { config: { private: true } }).subscribe((_status, error) => {
      if (error) errors.push(error.message)
    })
    await waitFor(() => errors.length > 0, 'the join error')
    expect(errors[0]).toBe(
      'Unauthorized: You do not have permissions to read from this Channel topic: private-room',
    )
  })

  it('closes a silent socket after the idle timeout, and closes every socket on close()', async () => {
    const own = await startRealtimeHarness({ idleTimeoutMs: 300 })
    const url = `${own.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${anonKey}&vsn=2.0.0`
    const closeCode = (ws: WebSocket) =>
      new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    try {
      const silent = new WebSocket(url)
      expect(await closeCode(silent)).toBe(1000)
      expect(own.logLines.some((line) => line.includes('realtime socket idle, closing'))).toBe(true)

      const busy = new WebSocket(url)
      await new Promise((resolve) => busy.once('open', resolve))
      const closed = closeCode(busy)
      await own.realtime.close()
      expect(await closed).toBe(1001)
      const refused = await new Promise<number>((resolve) => {
        const late = new WebSocket(url)
        late.on('error', () => {})
        late.once('unexpected-response', (req, res) => {
          resolve(res.statusCode ?? 0)
          req.destroy()
        })
      })
      expect(refused).toBe(503)
    } finally {
      await own.stop()
    }
  })
})
