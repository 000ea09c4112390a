import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postInboundSms } from '../local-backend/twilio/inbound.ts'
import { claimNumberResponseSchema, relayErrorResponseSchema } from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME, GLOBEX, accessToken } from './demo-accounts.ts'

/*
 * The routing hijack: a number row sends the texts to that number into its
 * workspace. Ava owns Acme; Globex is another business whose Twilio account owns a
 * number no workspace holds yet. Ava must not get it, by REST or through the relay,
 * while a number Acme's own Twilio account owns is hers to add.
 */
const GLOBEX_UNCLAIMED = '+15550100022'
const ACME_UNCLAIMED = '+15550100011'
const ACME_FOR_AGENT = '+15550100012'
const ACME_HELD_BY_GLOBEX = '+15550100013'
const ACME_WHILE_DOWN = '+15550100014'

let stack: RelayStack
let ava: string
let ben: string
let cleo: string

const userClient = (token: string): SupabaseClient =>
  createClient(stack.backend.url, stack.backend.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
  })

async function claim(token: string, body: unknown) {
  const response = await fetch(`${stack.relayUrl}/numbers`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as unknown }
}

const refusal = (json: unknown) => relayErrorResponseSchema.parse(json).error

async function holders(phoneNumber: string): Promise<string[]> {
  const { data } = await stack.service
    .from('twilio_numbers')
    .select('workspace_id')
    .eq('phone_number', phoneNumber)
    .throwOnError()
  return (data as { workspace_id: string }[]).map((row) => row.workspace_id)
}

beforeAll(async () => {
  stack = await startRelayStack({
    unclaimedNumbers: {
      acme: [ACME_UNCLAIMED, ACME_FOR_AGENT, ACME_HELD_BY_GLOBEX, ACME_WHILE_DOWN],
      globex: [GLOBEX_UNCLAIMED],
    },
  })
  ava = await accessToken(stack.backend, 'ava@acme.test')
  ben = await accessToken(stack.backend, 'ben@acme.test')
  cleo = await accessToken(stack.backend, 'cleo@globex.test')
})

afterAll(async () => {
  await stack?.stop()
})

describe('an owner claiming another business’s number', () => {
  it('is refused by RLS when inserting the row directly through REST', async () => {
    const { error, status } = await userClient(ava)
      .from('twilio_numbers')
      .insert({
        workspace_id: stack.demo.acme,
        phone_number: GLOBEX_UNCLAIMED,
        twilio_sid: `PN${'0'.repeat(32)}`,
      })
    expect({ status, code: error?.code }).toEqual({ status: 403, code: '42501' })
    expect(await holders(GLOBEX_UNCLAIMED)).toEqual([])
  })

  it('is refused by RLS when moving a number of hers onto it, or onto another workspace', async () => {
    const ownRow = userClient(ava).from('twilio_numbers')
    const renumbered = await ownRow.update({ phone_number: GLOBEX_UNCLAIMED }).eq('phone_number', ACME.number)
    const moved = await ownRow.update({ workspace_id: stack.demo.globex }).eq('phone_number', ACME.number)
    expect([renumbered.error?.code, moved.error?.code]).toEqual(['42501', '42501'])
    expect(await holders(ACME.number)).toEqual([stack.demo.acme])
    expect(await holders(GLOBEX_UNCLAIMED)).toEqual([])
  })

  it('is refused by the relay with 422, as Acme’s own Twilio account does not own it', async () => {
    const checksBefore = stack.double.requests.length
    const { status, json } = await claim(ava, {
      workspace_id: stack.demo.acme,
      phone_number: GLOBEX_UNCLAIMED,
    })
    expect(status).toBe(422)
    expect(refusal(json)).toEqual({
      kind: 'invalid_input',
      message: `${GLOBEX_UNCLAIMED} is not a number of this workspace's Twilio account. Buy or port it into that account first.`,
    })
    // It asked Twilio with Acme's credentials, never Globex's.
    const asked = stack.double.requests.slice(checksBefore)
    expect(
      asked.map((request) => [request.method, request.path, request.accountSid, request.status]),
    ).toEqual([
      ['GET', `/2010-04-01/Accounts/${ACME.accountSid}/IncomingPhoneNumbers.json`, ACME.accountSid, 200],
    ])
    expect(await holders(GLOBEX_UNCLAIMED)).toEqual([])
  })

  it('is refused for a number another workspace already routes, which Acme’s account does not own either', async () => {
    const { status } = await claim(ava, { workspace_id: stack.demo.acme, phone_number: GLOBEX.number })
    expect(status).toBe(422)
    expect(await holders(GLOBEX.number)).toEqual([stack.demo.globex])
  })

  it('is refused for a workspace she is no member of', async () => {
    const { status, json } = await claim(ava, {
      workspace_id: stack.demo.globex,
      phone_number: GLOBEX_UNCLAIMED,
    })
    expect(status).toBe(403)
    expect(refusal(json).kind).toBe('forbidden')
    expect(await holders(GLOBEX_UNCLAIMED)).toEqual([])
  })
})

describe('a number the workspace’s own Twilio account owns', () => {
  it('is added by the owner through the relay, with Twilio’s SID, and then routes its texts to Acme', async () => {
    const first = await claim(ava, { workspace_id: stack.demo.acme, phone_number: ACME_UNCLAIMED })
    expect(first.status).toBe(201)
    const { number, created } = claimNumberResponseSchema.parse(first.json)
    expect(created).toBe(true)
    expect(number).toMatchObject({
      workspace_id: stack.demo.acme,
      phone_number: ACME_UNCLAIMED,
      twilio_sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      capabilities: { sms: true, mms: true, voice: false, fax: false },
    })

    const again = await claim(ava, { workspace_id: stack.demo.acme, phone_number: ACME_UNCLAIMED })
    expect(again.status).toBe(200)
    expect(claimNumberResponseSchema.parse(again.json)).toEqual({ number, created: false })
    expect(await holders(ACME_UNCLAIMED)).toEqual([stack.demo.acme])

    const text = await postInboundSms({
      relayUrl: stack.relayUrl,
      accountSid: ACME.accountSid,
      authToken: ACME.authToken,
      to: ACME_UNCLAIMED,
      from: '+15557004242',
      body: 'Texting your new line',
    })
    expect(text.status).toBe(200)
    const { data } = await stack.service
      .from('messages')
      .select('workspace_id')
      .eq('twilio_sid', text.messageSid)
      .single()
      .throwOnError()
    expect(data).toEqual({ workspace_id: stack.demo.acme })
  })

  it('is refused to an agent with 403, before Twilio is asked', async () => {
    const requestsBefore = stack.double.requests.length
    const { status, json } = await claim(ben, {
      workspace_id: stack.demo.acme,
      phone_number: ACME_FOR_AGENT,
    })
    expect(status).toBe(403)
    expect(refusal(json)).toEqual({
      kind: 'forbidden',
      message: "Only the workspace's owner or an admin adds numbers.",
    })
    expect(stack.double.requests.length).toBe(requestsBefore)
    expect(await holders(ACME_FOR_AGENT)).toEqual([])
  })

  it('is refused to a member of another workspace', async () => {
    const { status } = await claim(cleo, { workspace_id: stack.demo.acme, phone_number: ACME_FOR_AGENT })
    expect(status).toBe(403)
    expect(await holders(ACME_FOR_AGENT)).toEqual([])
  })

  it('is a conflict while another workspace holds it, and stays where it is', async () => {
    await stack.service
      .from('twilio_numbers')
      .insert({
        workspace_id: stack.demo.globex,
        phone_number: ACME_HELD_BY_GLOBEX,
        twilio_sid: `PN${'1'.repeat(32)}`,
      })
      .throwOnError()
    const { status, json } = await claim(ava, {
      workspace_id: stack.demo.acme,
      phone_number: ACME_HELD_BY_GLOBEX,
    })
    expect(status).toBe(409)
    expect(refusal(json).kind).toBe('conflict')
    expect(await holders(ACME_HELD_BY_GLOBEX)).toEqual([stack.demo.globex])
  })

  it('is not stored while Twilio cannot be asked', async () => {
    stack.double.setFaults({ down: true })
    const { status, json } = await claim(ava, {
      workspace_id: stack.demo.acme,
      phone_number: ACME_WHILE_DOWN,
    })
    stack.double.setFaults({})
    expect(status).toBe(502)
    expect(refusal(json).kind).toBe('upstream')
    expect(await holders(ACME_WHILE_DOWN)).toEqual([])
  })

  it('refuses a body that is not a workspace and an E.164 number', async () => {
    for (const body of [
      { workspace_id: stack.demo.acme, phone_number: '555-0100' },
      { workspace_id: 'acme', phone_number: ACME_UNCLAIMED },
      { phone_number: ACME_UNCLAIMED },
    ]) {
      const { status, json } = await claim(ava, body)
      expect({ status, kind: refusal(json).kind }).toEqual({ status: 400, kind: 'invalid_input' })
    }
  })
})
