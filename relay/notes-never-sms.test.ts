import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relayErrorResponseSchema } from '../src/shared/relay-contract.ts'
import { internalNoteRowSchema, type InternalNoteInsert } from '../src/shared/rows/internal-notes.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { DEMO_PASSWORD, accessToken, ensureContact, type TestContact } from './demo-accounts.ts'

/*
 * Internal notes never reach Twilio: writing one (as the app does, with supabase-js
 * under the agent's session) makes no request to the Twilio double at all, not even
 * after a sweep of the relay, and a note handed to the relay as an SMS is refused.
 * A mention reaches the mentioned teammate live, and nobody outside the workspace.
 */

let stack: RelayStack
let ben: SupabaseClient
let benToken: string
let contact: TestContact

async function signedIn(email: string): Promise<SupabaseClient> {
  const client = createClient(stack.backend.url, stack.backend.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
  const { error } = await client.auth.signInWithPassword({ email, password: DEMO_PASSWORD })
  if (error) throw new Error(`Sign-in of ${email} failed: ${error.message}`)
  return client
}

async function writeNote(client: SupabaseClient, note: InternalNoteInsert) {
  const { data, error } = await client.from('internal_notes').insert(note).select().single()
  if (error) throw new Error(error.message)
  return internalNoteRowSchema.parse(data)
}

/** Every note insert the agent's Realtime stream delivers, from the moment it is subscribed. */
async function notesReaching(client: SupabaseClient, name: string) {
  const arrived: unknown[] = []
  const channel = client
    .channel(name)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'internal_notes' }, (change) => {
      arrived.push(change.new)
    })
  await new Promise<void>((resolve, reject) =>
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve()
      else if (status !== 'CLOSED') reject(new Error(`realtime ${status}: ${error?.message}`))
    }),
  )
  return arrived
}

beforeAll(async () => {
  stack = await startRelayStack()
  ben = await signedIn('ben@acme.test')
  benToken = await accessToken(stack.backend, 'ben@acme.test')
  contact = await ensureContact(stack.service, stack.demo.acme, '+15558100001', 'Rosa Diaz')
})
afterAll(async () => {
  await stack?.stop()
})

describe('internal notes', () => {
  it('writing notes, with mentions, makes zero requests to Twilio, even after the relay sweeps', async () => {
    // The seed's own sent messages are due a status check: done first, so the sweep below has only notes to find.
    await stack.sweeper.sweep()
    const before = stack.double.requests.length
    for (const body of ['Customer is a VIP, be gentle', '@Ava can you approve the refund?']) {
      const note = await writeNote(ben, {
        workspace_id: stack.demo.acme,
        contact_id: contact.id,
        body,
        mentions: [stack.demo.ava],
      })
      expect(note).toMatchObject({ body, mentions: [stack.demo.ava], created_by: stack.demo.ben })
    }
    expect(await stack.sweeper.sweep()).toEqual({ inDoubt: 0, statusChecks: 0 })
    const { count } = await stack.service
      .from('messages')
      .select('id', { count: 'exact', head: true })
      .eq('contact_id', contact.id)
      .throwOnError()
    expect(count).toBe(0)
    expect(stack.double.requests.slice(before)).toEqual([])
  })

  it('the relay refuses a note sent to it as an SMS, and nothing reaches Twilio', async () => {
    const note = await writeNote(ben, {
      workspace_id: stack.demo.acme,
      contact_id: contact.id,
      body: 'Do not tell the customer: the refund is manual',
      mentions: [],
    })
    const before = stack.double.requests.length
    const response = await fetch(`${stack.relayUrl}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${benToken}` },
      body: JSON.stringify({
        workspace_id: note.workspace_id,
        contact_id: note.contact_id,
        body: note.body,
        client_message_id: note.id,
      }),
    })
    expect(response.status).toBe(422)
    expect(relayErrorResponseSchema.parse(await response.json()).error).toEqual({
      kind: 'invalid_input',
      message: 'This id is an internal note: notes are never sent as SMS.',
    })
    const { data } = await stack.service.from('messages').select('id').eq('id', note.id).throwOnError()
    expect(data).toEqual([])
    expect(stack.double.requests.slice(before)).toEqual([])
  })

  it('a mention reaches the mentioned teammate live; another workspace’s agent sees only its own notes', async () => {
    const ava = await signedIn('ava@acme.test')
    const cleo = await signedIn('cleo@globex.test')
    const toAva = await notesReaching(ava, 'ava-notes')
    const toCleo = await notesReaching(cleo, 'cleo-notes')

    const mention = await writeNote(ben, {
      workspace_id: stack.demo.acme,
      contact_id: contact.id,
      body: '@Ava please call her back',
      mentions: [stack.demo.ava],
    })
    const globexContact = await ensureContact(stack.service, stack.demo.globex, '+15558100002')
    const own = await writeNote(cleo, {
      workspace_id: stack.demo.globex,
      contact_id: globexContact.id,
      body: 'Globex only',
      mentions: [],
    })

    await expect
      .poll(() => toAva.map((row) => internalNoteRowSchema.parse(row)), { timeout: 10_000 })
      .toEqual([expect.objectContaining({ id: mention.id, mentions: [stack.demo.ava] })])
    // Cleo's note was written after Ben's: once it has arrived, Ben's would have too.
    await expect
      .poll(() => toCleo.map((row) => internalNoteRowSchema.parse(row).id), { timeout: 10_000 })
      .toEqual([own.id])
    await Promise.all([ava.removeAllChannels(), cleo.removeAllChannels()])
  })
})
