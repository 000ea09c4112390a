import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds, type DemoIds } from '../db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'
import { currentWorkspaceTopic, joinResult } from '../realtime/test-support.ts'

/*
 * Why sign-up may stay open (supabase/config.toml): an account that signs itself up
 * with the publishable key, through supabase-js, as anyone on the internet could,
 * belongs to no workspace, reads nothing and joins no workspace's private channel.
 * The backend runs on the project's own config.toml and migrations.
 */

let backend: LocalBackend
let demo: DemoIds
const clients: SupabaseClient[] = []
const noSession = { auth: { persistSession: false, autoRefreshToken: false } }

beforeAll(async () => {
  backend = await startLocalBackend({
    port: 0,
    seed: true,
    logger: createMemoryLogger('self-registered').logger,
  })
  demo = await demoIds(backend.db)
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.removeAllChannels()))
})
afterAll(async () => {
  await backend.stop()
})

async function signedUp(): Promise<{ client: SupabaseClient; userId: string }> {
  const client = createClient(backend.url, backend.publishableKey, noSession)
  clients.push(client)
  const { data, error } = await client.auth.signUp({
    email: 'walk-in@example.test',
    password: 'a-fine-password',
  })
  expect(error).toBeNull()
  expect(data.session).not.toBeNull()
  return { client, userId: data.user!.id }
}

async function agent(email: string): Promise<SupabaseClient> {
  const client = createClient(backend.url, backend.publishableKey, noSession)
  clients.push(client)
  const { error } = await client.auth.signInWithPassword({ email, password: 'inbox-demo-1' })
  expect(error).toBeNull()
  return client
}

it('a self-registered account belongs to no workspace, reads no row of any public table, and joins no private channel', async () => {
  const { client: stranger, userId } = await signedUp()

  const service = createClient(backend.url, backend.secretKey, noSession)
  const memberships = await service.from('workspace_members').select('workspace_id').eq('user_id', userId)
  expect(memberships).toMatchObject({ error: null, data: [] })

  const { rows: tables } = await backend.db.query<{ name: string }>(
    `select tablename as name from pg_tables where schemaname = 'public' order by 1`,
  )
  expect(tables.map((table) => table.name)).toContain('messages')
  const readBy = async (client: SupabaseClient) =>
    Object.fromEntries(
      await Promise.all(
        tables.map(async ({ name }) => {
          const { data, error } = await client.from(name).select('*')
          // A table no signed-in user may read at all answers permission denied, which is no row either.
          return [name, error ? error.code : data.length] as const
        }),
      ),
    )
  const seenByStranger = await readBy(stranger)
  expect(Object.entries(seenByStranger).filter(([, seen]) => seen !== 0 && seen !== '42501')).toEqual([])
  // The same reads as a member find their workspace's rows, so the stranger's nothing is RLS's doing.
  expect((await readBy(await agent('ben@acme.test'))).messages).toBeGreaterThan(0)

  for (const workspace of [demo.acme, demo.globex]) {
    const topic = await currentWorkspaceTopic(backend.db, workspace)
    expect(await joinResult(stranger.channel(topic, { config: { private: true } }))).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`,
    )
  }
  const ben = await agent('ben@acme.test')
  const acme = await currentWorkspaceTopic(backend.db, demo.acme)
  expect(await joinResult(ben.channel(acme, { config: { private: true } }))).toBeNull()
})
