import { afterAll, beforeAll, expect, it } from 'vitest'
import { createClient, type RealtimePostgresInsertPayload } from '@supabase/supabase-js'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds, type DemoIds } from '../db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'
import { waitFor } from './test-support.ts'

let backend: LocalBackend
let demo: DemoIds

beforeAll(async () => {
  backend = await startLocalBackend({
    port: 0,
    seed: true,
    logger: createMemoryLogger('backend-test').logger,
  })
  demo = await demoIds(backend.db)
})

afterAll(async () => {
  await backend.stop()
})

const noSession = { auth: { persistSession: false, autoRefreshToken: false } }

// The app's clients hold the publishable key and their ES256 session tokens; the relay's, the secret key.
it('delivers a row inserted through REST by the service role to a signed-in agent, and not to another workspace', async () => {
  const ben = createClient(backend.url, backend.publishableKey, noSession)
  const cleo = createClient(backend.url, backend.publishableKey, noSession)
  for (const [client, email] of [
    [ben, 'ben@acme.test'],
    [cleo, 'cleo@globex.test'],
  ] as const) {
    const { error } = await client.auth.signInWithPassword({ email, password: 'inbox-demo-1' })
    expect(error).toBeNull()
  }
  type Message = { id: string; workspace_id: string; content: string }
  const seenByBen: RealtimePostgresInsertPayload<Message>[] = []
  const seenByCleo: RealtimePostgresInsertPayload<Message>[] = []
  const subscribed = (client: typeof ben, seen: typeof seenByBen) =>
    new Promise<void>((resolve) => {
      client
        .channel('inbox')
        .on<Message>(
          'postgres_changes',
          { event: 'INSERT', schema: 'public', table: 'messages' },
          (payload) => seen.push(payload),
        )
        .subscribe((status) => status === 'SUBSCRIBED' && resolve())
    })
  await Promise.all([subscribed(ben, seenByBen), subscribed(cleo, seenByCleo)])

  const service = createClient(backend.url, backend.secretKey, noSession)
  const insert = (workspace_id: string, contact_id: string, content: string) =>
    service
      .from('messages')
      .insert({ workspace_id, contact_id, content, direction: 'inbound' })
      .select('id')
      .single<{ id: string }>()
  const acme = await insert(demo.acme, demo.contact('Hannah Schulz'), 'through REST')
  expect(acme.error).toBeNull()
  await waitFor(() => seenByBen.some((payload) => payload.new.id === acme.data!.id), 'the insert at Ben')
  expect(seenByBen.find((payload) => payload.new.id === acme.data!.id)).toMatchObject({
    eventType: 'INSERT',
    table: 'messages',
    new: { workspace_id: demo.acme, content: 'through REST' },
  })

  const globex = await insert(demo.globex, demo.contact('Grace Liu'), 'globex through REST')
  await waitFor(() => seenByCleo.some((payload) => payload.new.id === globex.data!.id), 'the insert at Cleo')
  expect(seenByCleo.some((payload) => payload.new.id === acme.data!.id)).toBe(false)

  await Promise.all([ben.removeAllChannels(), cleo.removeAllChannels()])
})
