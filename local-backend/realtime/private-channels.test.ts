import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { asCaller, demoIds, user, type DemoIds } from '../db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'
import { currentWorkspaceTopic, joinResult as join, waitFor } from './test-support.ts'

/*
 * Private channels as hosted Realtime runs them (supabase/realtime:
 * lib/realtime/tenants/authorization.ex, realtime_channel.ex, broadcast_handler.ex,
 * presence_handler.ex, batch_broadcast.ex; docs: "Realtime Authorization"), against
 * this project's policies on realtime.messages (supabase/migrations/
 * 20261201000300_workspace_realtime_channels.sql, keyed by
 * 20261201200100_workspace_channel_keys.sql): the agents of a workspace share
 * `workspace:<id>:<channel key>`; anyone else is refused. Real backend, real supabase-js clients
 * signed in with their passwords, real WebSockets.
 */

let backend: LocalBackend
let demo: DemoIds
/** Acme's private channel under its current key. */
let acmeTopic: string
const clients: SupabaseClient[] = []

beforeAll(async () => {
  backend = await startLocalBackend({
    port: 0,
    seed: true,
    logger: createMemoryLogger('private-channels').logger,
  })
  demo = await demoIds(backend.db)
  acmeTopic = await currentWorkspaceTopic(backend.db, demo.acme)
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.removeAllChannels()))
})
afterAll(async () => {
  await backend.stop()
})

async function agent(email: string): Promise<SupabaseClient> {
  const client = createClient(backend.url, backend.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
  const { error } = await client.auth.signInWithPassword({ email, password: 'inbox-demo-1' })
  if (error) throw error
  clients.push(client)
  return client
}

const workspaceTopic = () => acmeTopic

describe('a workspace’s private channel', () => {
  it('lets two agents of the workspace share presence and broadcast, and refuses an agent of another workspace', async () => {
    const ava = (await agent('ava@acme.test')).channel(workspaceTopic(), {
      config: { private: true, presence: { key: 'ava' } },
    })
    const ben = (await agent('ben@acme.test')).channel(workspaceTopic(), {
      config: { private: true, presence: { key: 'ben' } },
    })
    const heardByBen: unknown[] = []
    ava.on('presence', { event: 'sync' }, () => {})
    ben.on('presence', { event: 'sync' }, () => {})
    ben.on('broadcast', { event: 'typing' }, (message) => heardByBen.push(message.payload))
    expect(await Promise.all([join(ava), join(ben)])).toEqual([null, null])

    await ava.track({ viewing: 'maria' })
    await ben.track({ viewing: 'li' })
    await waitFor(() => Object.keys(ava.presenceState()).length === 2, 'both agents in Ava’s presence')
    await waitFor(() => Object.keys(ben.presenceState()).length === 2, 'both agents in Ben’s presence')
    expect(ben.presenceState().ava?.[0]).toMatchObject({ viewing: 'maria' })

    await ava.send({ type: 'broadcast', event: 'typing', payload: { conversation: 'maria' } })
    await waitFor(() => heardByBen.length === 1, 'Ava’s broadcast at Ben')
    expect(heardByBen).toEqual([{ conversation: 'maria' }])

    const cleo = (await agent('cleo@globex.test')).channel(workspaceTopic(), { config: { private: true } })
    expect(await join(cleo)).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${workspaceTopic()}`,
    )
  })

  it('refuses anon, and a topic no policy names (the workspace without its key, a malformed one)', async () => {
    const anon = createClient(backend.url, backend.anonKey, { auth: { persistSession: false } })
    clients.push(anon)
    expect(await join(anon.channel(workspaceTopic(), { config: { private: true } }))).toMatch(
      /^Unauthorized: /,
    )
    const ava = await agent('ava@acme.test')
    for (const topic of ['workspace:not-a-uuid', `workspace:${demo.acme}`, `${acmeTopic}:extra`]) {
      expect(await join(ava.channel(topic, { config: { private: true } })), topic).toMatch(/^Unauthorized: /)
    }
  })

  it('keeps the private room apart from a public channel of the same name', async () => {
    const heardInPublic: unknown[] = []
    const heardInPrivate: unknown[] = []
    const publicChannel = (await agent('cleo@globex.test')).channel(workspaceTopic())
    publicChannel.on('broadcast', { event: 'note' }, (message) => heardInPublic.push(message.payload))
    const privateChannel = (await agent('ben@acme.test')).channel(workspaceTopic(), {
      config: { private: true },
    })
    privateChannel.on('broadcast', { event: 'note' }, (message) => heardInPrivate.push(message.payload))
    const sender = (await agent('ava@acme.test')).channel(workspaceTopic(), {
      config: { private: true, broadcast: { ack: true } },
    })
    expect(await Promise.all([join(publicChannel), join(privateChannel), join(sender)])).toEqual([
      null,
      null,
      null,
    ])
    expect(await sender.send({ type: 'broadcast', event: 'note', payload: { n: 1 } })).toBe('ok')
    await waitFor(() => heardInPrivate.length === 1, 'the private broadcast')
    // The public member would have had it before the private one's ack came back to the sender.
    expect(heardInPublic).toEqual([])
  })
})

describe('rights that change or differ', () => {
  it('drops a broadcast and refuses a presence track from a reader whose INSERT policy refuses them', async () => {
    // A read-only topic: a SELECT policy and no INSERT policy.
    await backend.db.exec(`create policy "test: agents read announcements" on realtime.messages
      for select to authenticated using ((select realtime.topic()) = 'announcements')`)
    const heard: unknown[] = []
    const listener = createClient(backend.url, backend.serviceRoleKey, { auth: { persistSession: false } })
    clients.push(listener)
    const listening = listener.channel('announcements', { config: { private: true } })
    listening.on('broadcast', { event: 'note' }, (message) => heard.push(message.payload))
    const ben = (await agent('ben@acme.test')).channel('announcements', {
      config: { private: true, presence: { key: 'ben' } },
    })
    ben.on('presence', { event: 'sync' }, () => {})
    expect(await Promise.all([join(listening), join(ben)])).toEqual([null, null])

    await ben.send({ type: 'broadcast', event: 'note', payload: { from: 'ben' } })
    // Frames of one socket are handled in order: the track's answer comes after the broadcast was dropped.
    expect(await ben.track({ here: true })).toBe('error')
    await listener
      .channel('announcements', { config: { private: true } })
      .httpSend('note', { from: 'service' })
    await waitFor(() => heard.length > 0, 'the service role’s broadcast')
    expect(heard).toEqual([{ from: 'service' }])
  })

  it('shuts a private channel when a new token no longer grants reading it', async () => {
    const avaClient = await agent('ava@acme.test')
    const cleoToken = (await (await agent('cleo@globex.test')).auth.getSession()).data.session?.access_token
    const system: Record<string, unknown>[] = []
    const statuses: string[] = []
    const channel = avaClient.channel(workspaceTopic(), { config: { private: true } })
    channel.on('system', {}, (payload: Record<string, unknown>) => system.push(payload))
    const joined = new Promise<void>((resolve) =>
      channel.subscribe((status) => {
        statuses.push(status)
        if (status === 'SUBSCRIBED') resolve()
      }),
    )
    await joined
    await avaClient.realtime.setAuth(cleoToken ?? '')
    await waitFor(() => statuses.includes('CLOSED'), 'the channel to close')
    expect(system.at(-1)).toMatchObject({
      status: 'error',
      message: `You no longer have permission to read from this Channel topic: ${workspaceTopic()}`,
    })
  })
})

describe('broadcast from the server side', () => {
  it('delivers realtime.send from SQL to the workspace’s members, with the row id as meta', async () => {
    const heard: Record<string, unknown>[] = []
    const ben = (await agent('ben@acme.test')).channel(workspaceTopic(), { config: { private: true } })
    ben.on('broadcast', { event: 'assigned' }, (message) => heard.push(message))
    expect(await join(ben)).toBeNull()
    await backend.db.query(`select realtime.send('{"conversation":"maria"}'::jsonb, 'assigned', $1, true)`, [
      workspaceTopic(),
    ])
    await waitFor(() => heard.length === 1, 'the database broadcast')
    const [message] = heard as [{ payload: Record<string, unknown>; meta: { id: string } }]
    expect(message.payload).toMatchObject({ conversation: 'maria' })
    expect(message.meta.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(message.payload.id).toBe(message.meta.id)
  })

  it('runs realtime.send as its caller: an agent of the workspace broadcasts, another workspace’s only gets a warning', async () => {
    const heard: unknown[] = []
    const ben = (await agent('ben@acme.test')).channel(workspaceTopic(), { config: { private: true } })
    ben.on('broadcast', { event: 'typing' }, (message) => heard.push(message.payload))
    expect(await join(ben)).toBeNull()
    // Committed as the agent, as a trigger or RPC of theirs would run it.
    const sendAs = (userId: string, who: string) =>
      asCaller(
        backend.db,
        user(userId),
        (tx) =>
          tx.query(`select realtime.send($1::jsonb, 'typing', $2, true)`, [
            JSON.stringify({ who }),
            workspaceTopic(),
          ]),
        { commit: true },
      )
    await sendAs(demo.cleo, 'cleo')
    await sendAs(demo.ava, 'ava')
    // Broadcasts are delivered in commit order: Cleo's would have come first.
    await waitFor(() => heard.length > 0, 'Ava’s broadcast')
    expect(heard).toMatchObject([{ who: 'ava' }])
  })

  it('sends a REST broadcast (POST /realtime/v1/api/broadcast) on a private topic only for a caller RLS lets write there', async () => {
    const heard: unknown[] = []
    const ben = (await agent('ben@acme.test')).channel(workspaceTopic(), { config: { private: true } })
    ben.on('broadcast', { event: 'rest' }, (message) => heard.push(message.payload))
    expect(await join(ben)).toBeNull()

    const post = async (client: SupabaseClient, n: number) => {
      const token = (await client.auth.getSession()).data.session?.access_token
      return fetch(`${backend.url}/realtime/v1/api/broadcast`, {
        method: 'POST',
        headers: {
          apikey: backend.anonKey,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          messages: [{ topic: workspaceTopic(), event: 'rest', payload: { n }, private: true }],
        }),
      })
    }
    const fromCleo = await post(await agent('cleo@globex.test'), 1)
    const fromAva = await post(await agent('ava@acme.test'), 2)
    // Hosted answers 202 to both, so a refused topic is not revealed.
    expect([fromCleo.status, fromAva.status]).toEqual([202, 202])
    await waitFor(() => heard.length === 1, 'Ava’s REST broadcast')
    expect(heard).toEqual([{ n: 2 }])
  })

  it('answers a REST broadcast without a token 401, and a malformed batch 422 with changeset errors', async () => {
    const url = `${backend.url}/realtime/v1/api/broadcast`
    const unauthorised = await fetch(url, { method: 'POST', body: '{}' })
    expect(unauthorised.status).toBe(401)
    expect(await unauthorised.json()).toEqual({ message: 'Unauthorized' })

    const headers = { apikey: backend.serviceRoleKey, 'content-type': 'application/json' }
    const missing = await fetch(url, { method: 'POST', headers, body: '{}' })
    expect(missing.status).toBe(422)
    expect(await missing.json()).toEqual({ errors: { messages: ["can't be blank"] } })

    const body = {
      messages: [
        { topic: 'a', event: 'e', payload: {} },
        { topic: '', event: 'e', payload: 3 },
      ],
    }
    const invalid = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })
    expect(invalid.status).toBe(422)
    expect(await invalid.json()).toEqual({
      errors: { messages: [{}, { topic: ["can't be blank"], payload: ['is invalid'] }] },
    })
  })

  it('answers the single-message API (httpSend) 202 to a member, 403 to another workspace, 415 to another media type', async () => {
    const heard: unknown[] = []
    const ben = (await agent('ben@acme.test')).channel(workspaceTopic(), { config: { private: true } })
    ben.on('broadcast', { event: 'seen' }, (message) => heard.push(message.payload))
    expect(await join(ben)).toBeNull()

    const cleo = (await agent('cleo@globex.test')).channel(workspaceTopic(), { config: { private: true } })
    await expect(cleo.httpSend('seen', { by: 'cleo' })).rejects.toThrow('Unauthorized')
    const ava = (await agent('ava@acme.test')).channel(workspaceTopic(), { config: { private: true } })
    expect(await ava.httpSend('seen', { by: 'ava' })).toEqual({ success: true })
    await waitFor(() => heard.length === 1, 'Ava’s httpSend')
    expect(heard).toEqual([{ by: 'ava' }])

    const asText = await fetch(`${backend.url}/realtime/v1/api/broadcast/room/events/seen`, {
      method: 'POST',
      headers: { apikey: backend.serviceRoleKey, 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(asText.status).toBe(415)
  })
})
