// The work the embedded backend does all day, run once by `npm run wasm-profile` in a
// process of its own that lets V8 tier up as it likes and write down what it did
// (scripts/wasm-profile.ts): an agent signs in, follows the workspace's changes live,
// pages through the inbox by status, opens threads, replies and marks them read, on a
// workspace of a thousand conversations. Its only output is V8's own.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@supabase/supabase-js'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { startLocalBackend } from '../local-backend/index.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { DEMO_PASSWORD } from '../relay/demo-accounts.ts'
import { addVolume } from '../bench/volume.ts'

const ROUNDS = 3000
const STATUSES = ['Open', 'Pending', 'Done'] as const

const dataDir = mkdtempSync(join(tmpdir(), 'wasm-profile-'))
// One agent's day at machine speed, which the rate limits would mostly refuse.
const unlimited = { burst: 1_000_000, perSecond: 1_000_000 }
const backend = await startLocalBackend({
  port: 0,
  seed: true,
  dataDir,
  logger: createMemoryLogger('wasm-profile').logger,
  rateLimits: { perUser: unlimited, perIp: unlimited },
})
try {
  const demo = await demoIds(backend.db)
  await addVolume(backend.db, demo.acme, { contacts: 1_000, messages: 20_000 })
  await backend.db.exec('analyze public.contacts, public.messages')
  const client = createClient(backend.url, backend.publishableKey, { auth: { persistSession: false } })
  const signIn = await client.auth.signInWithPassword({ email: 'ben@acme.test', password: DEMO_PASSWORD })
  if (signIn.error) throw signIn.error
  let changes = 0
  await new Promise<void>((resolve, reject) => {
    client
      .channel('workspace-changes')
      .on('postgres_changes', { event: '*', schema: 'public', table: 'messages' }, () => changes++)
      .subscribe((status, error) => {
        if (status === 'SUBSCRIBED') resolve()
        else if (error) reject(error)
      })
  })
  for (let i = 0; i < ROUNDS; i++) {
    const page = await client
      .from('contacts')
      .select('id,name,phone_number,conversation_status,unread_count,last_message_at,last_message_preview')
      .eq('workspace_id', demo.acme)
      .eq('conversation_status', STATUSES[i % STATUSES.length]!)
      .order('last_message_at', { ascending: false, nullsFirst: false })
      .range((i % 10) * 50, (i % 10) * 50 + 49)
    if (page.error) throw page.error
    const contact = page.data[i % page.data.length]
    if (!contact) continue
    const thread = await client
      .from('messages')
      .select('*')
      .eq('contact_id', contact.id)
      .order('created_at', { ascending: false })
      .limit(40)
    if (thread.error) throw thread.error
    const reply = await client.from('messages').insert({
      workspace_id: demo.acme,
      contact_id: contact.id,
      content: `Reply ${i}: your order ships tomorrow.`,
      direction: 'outbound',
      created_by: demo.ben,
    })
    if (reply.error) throw reply.error
    const read = await client.rpc('mark_conversation_read', { contact_id: contact.id })
    if (read.error) throw read.error
  }
  process.stderr.write(`wasm-profile workload: ${ROUNDS} rounds, ${changes} live changes\n`)
  await client.removeAllChannels()
} finally {
  await backend.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
