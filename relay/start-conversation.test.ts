import { randomUUID } from 'node:crypto'
import { createClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  relayErrorResponseSchema,
  sendMessageResponseSchema,
  startConversationResponseSchema,
} from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { accessToken } from './demo-accounts.ts'

/*
 * Issue 19: an agent starts a conversation with a number nobody has texted from. Only
 * the relay creates contacts (RLS refuses agents), having read the number as the
 * desktop did: E.164, and a kind a text can reach.
 */
let stack: RelayStack
let ben: string
let cleo: string

beforeAll(async () => {
  stack = await startRelayStack()
  ben = await accessToken(stack.backend, 'ben@acme.test')
  cleo = await accessToken(stack.backend, 'cleo@globex.test')
})

afterAll(async () => {
  await stack?.stop()
})

async function post(path: string, token: string, body: unknown) {
  const response = await fetch(`${stack.relayUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as unknown }
}

const start = (
  token: string,
  phone: string,
  contactId: string = randomUUID(),
  workspaceId = stack.demo.acme,
) => post('/contacts', token, { workspace_id: workspaceId, contact_id: contactId, phone_number: phone })

async function contactsWith(phone: string): Promise<{ id: string; workspace_id: string }[]> {
  const { data } = await stack.service
    .from('contacts')
    .select('id, workspace_id')
    .eq('phone_number', phone)
    .throwOnError()
  return data as { id: string; workspace_id: string }[]
}

const creates = () =>
  stack.double.requests.filter(
    (request) => request.method === 'POST' && request.path.endsWith('/Messages.json'),
  )

describe('POST /contacts', () => {
  it('creates the contact under the desktop’s id, once, and the first message goes out to it', async () => {
    const id = randomUUID()
    const first = await start(ben, '+14155550132', id)
    expect(first.status).toBe(201)
    expect(startConversationResponseSchema.parse(first.json)).toMatchObject({
      created: true,
      contact: { id, workspace_id: stack.demo.acme, phone_number: '+14155550132', unread_count: 0 },
    })
    const again = await start(ben, '+14155550132', id)
    expect(again.status).toBe(200)
    expect(startConversationResponseSchema.parse(again.json)).toMatchObject({
      created: false,
      contact: { id },
    })
    expect(await contactsWith('+14155550132')).toEqual([{ id, workspace_id: stack.demo.acme }])

    const before = creates().length
    const sent = await post('/messages', ben, {
      workspace_id: stack.demo.acme,
      contact_id: id,
      body: 'Hello from Acme',
      client_message_id: randomUUID(),
    })
    expect(sent.status).toBe(201)
    expect(sendMessageResponseSchema.parse(sent.json).message.status).not.toBe('failed')
    const calls = creates().slice(before)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.params.To).toBe('+14155550132')
  })

  it('answers the existing conversation for a number that has one, under its own id', async () => {
    const maria = stack.demo.contact('Maria Gonzalez')
    const { data } = await stack.service.from('contacts').select('phone_number').eq('id', maria).single()
    const phone = (data as { phone_number: string }).phone_number
    const answer = await start(ben, phone)
    expect(answer.status).toBe(200)
    expect(startConversationResponseSchema.parse(answer.json)).toMatchObject({
      created: false,
      contact: { id: maria },
    })
  })

  it.each([
    ['+442079460018', 'Landline numbers cannot receive texts: ask the customer for a mobile number.'],
    ['+445612345678', 'Internet (VoIP) numbers cannot receive texts: ask the customer for a mobile number.'],
    ['+447700900123', '+44 7700 900123 is not a number in use for country code +44: check the digits.'],
  ])('refuses %s with why, storing nothing', async (phone, message) => {
    const answer = await start(ben, phone)
    expect(answer.status).toBe(422)
    expect(relayErrorResponseSchema.parse(answer.json).error).toEqual({ kind: 'invalid_input', message })
    expect(await contactsWith(phone)).toEqual([])
  })

  it('refuses what is not E.164 at the contract', async () => {
    const answer = await start(ben, '(415) 555-0177')
    expect(answer.status).toBe(400)
    expect(relayErrorResponseSchema.parse(answer.json).error.kind).toBe('invalid_input')
  })

  it('refuses a workspace the agent is not a member of', async () => {
    const answer = await start(cleo, '+14155550188')
    expect(answer.status).toBe(403)
    expect(await contactsWith('+14155550188')).toEqual([])
  })

  it('never rebinds an id that names another contact', async () => {
    const maria = stack.demo.contact('Maria Gonzalez')
    const answer = await start(ben, '+14155550199', maria)
    expect(answer.status).toBe(409)
    expect(await contactsWith('+14155550199')).toEqual([])
  })

  it('is the only way in: RLS refuses an agent inserting a contact through REST', async () => {
    const client = createClient(stack.backend.url, stack.backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { Authorization: `Bearer ${ben}` } },
    })
    const { status, error } = await client
      .from('contacts')
      .insert({ workspace_id: stack.demo.acme, phone_number: '+442079460018' })
    expect({ status, code: error?.code }).toEqual({ status: 403, code: '42501' })
    expect(await contactsWith('+442079460018')).toEqual([])
  })
})
