import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postInboundSms } from '../local-backend/twilio/inbound.ts'
import {
  relayErrorResponseSchema,
  sendCollisionResponseSchema,
  sendMessageResponseSchema,
} from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME, accessToken, ensureContact, type TestContact } from './demo-accounts.ts'

/*
 * The collision guard, end to end: two agents of Acme (Ava and Ben) reply through
 * the real relay over HTTP, on the real backend, each naming the newest message it
 * had seen. The database decides in the insert's own transaction.
 */

let stack: RelayStack
const tokens: Record<'ava' | 'ben', string> = { ava: '', ben: '' }
let phoneSeq = 0

beforeAll(async () => {
  stack = await startRelayStack({ retry: { attempts: 2, baseDelayMs: 5 } })
  tokens.ava = await accessToken(stack.backend, 'ava@acme.test')
  tokens.ben = await accessToken(stack.backend, 'ben@acme.test')
})
afterAll(async () => {
  await stack?.stop()
})

/** A conversation of its own, opened by a customer's text; resolves with it and that text's id. */
async function conversationWithInbound(): Promise<{ contact: TestContact; lastSeen: string }> {
  phoneSeq += 1
  const phone = `+1555800${String(phoneSeq).padStart(4, '0')}`
  const contact = await ensureContact(stack.service, stack.demo.acme, phone)
  const lastSeen = await inbound(contact, 'Hello? Is anyone there?')
  return { contact, lastSeen }
}

/** A customer's text through the relay's signed webhook; resolves with the stored message's id. */
async function inbound(contact: TestContact, body: string): Promise<string> {
  const { status, messageSid } = await postInboundSms({
    relayUrl: stack.relayUrl,
    accountSid: ACME.accountSid,
    authToken: ACME.authToken,
    to: ACME.number,
    from: contact.phone_number,
    body,
  })
  expect(status).toBe(200)
  const { data } = await stack.service
    .from('messages')
    .select('id')
    .eq('twilio_sid', messageSid)
    .single()
    .throwOnError()
  return (data as { id: string }).id
}

async function reply(
  agent: keyof typeof tokens,
  contact: TestContact,
  fields: { seen_message_id?: string | null; send_anyway?: boolean; client_message_id?: string },
) {
  const body = {
    workspace_id: stack.demo.acme,
    contact_id: contact.id,
    body: `${agent} here: we are on it.`,
    client_message_id: randomUUID(),
    ...fields,
  }
  const response = await fetch(`${stack.relayUrl}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens[agent]}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as unknown, id: body.client_message_id }
}

async function outboundIds(contact: TestContact): Promise<string[]> {
  const { data } = await stack.service
    .from('messages')
    .select('id')
    .eq('contact_id', contact.id)
    .eq('direction', 'outbound')
    .throwOnError()
  return (data as { id: string }[]).map((row) => row.id)
}

const twilioSendsTo = (phone: string) =>
  stack.double.requests.filter(
    (request) =>
      request.method === 'POST' && request.path.endsWith('/Messages.json') && request.params.To === phone,
  ).length

describe('two agents answering the same customer at once', () => {
  it('exactly one reply is stored and sent; the other is refused, naming the reply that won', async () => {
    const rounds = 6
    const counts = { rounds, exactlyOne: 0, bothStored: 0, noneStored: 0, loserNamedWinner: 0 }
    for (let round = 0; round < rounds; round += 1) {
      const { contact, lastSeen } = await conversationWithInbound()
      const [ava, ben] = await Promise.all([
        reply('ava', contact, { seen_message_id: lastSeen }),
        reply('ben', contact, { seen_message_id: lastSeen }),
      ])
      const stored = await outboundIds(contact)
      const winners = [ava, ben].filter((attempt) => attempt.status === 201)
      const losers = [ava, ben].filter((attempt) => attempt.status === 409)
      if (stored.length === 2) counts.bothStored += 1
      if (stored.length === 0) counts.noneStored += 1
      if (winners.length !== 1 || losers.length !== 1) continue
      counts.exactlyOne += 1
      const [winner, loser] = [winners[0]!, losers[0]!]
      expect(stored).toEqual([winner.id])
      expect(sendMessageResponseSchema.parse(winner.json).message.twilio_sid).toMatch(/^SM/)
      const refusal = sendCollisionResponseSchema.parse(loser.json)
      expect(refusal.error.message).toMatch(/teammates sent 1 reply/)
      if (refusal.arrived.length === 1 && refusal.arrived[0]!.id === winner.id) counts.loserNamedWinner += 1
      expect(twilioSendsTo(contact.phone_number)).toBe(1)
    }
    console.log('collision race', counts)
    expect(counts).toEqual({
      rounds,
      exactlyOne: rounds,
      bothStored: 0,
      noneStored: 0,
      loserNamedWinner: rounds,
    })
  })
})

describe('the guard', () => {
  it('refuses a reply written before the customer’s newest text, naming that text, and sends nothing', async () => {
    const { contact, lastSeen } = await conversationWithInbound()
    const newer = await inbound(contact, 'Actually, never mind: it arrived.')
    const refused = await reply('ben', contact, { seen_message_id: lastSeen })
    expect(refused.status).toBe(409)
    const { error, arrived } = sendCollisionResponseSchema.parse(refused.json)
    expect(error).toEqual({
      kind: 'collision',
      message:
        'Not sent: since the last message you saw, the customer sent 1 message. Read them, then edit your reply or send it anyway.',
    })
    expect(arrived).toEqual([
      expect.objectContaining({
        id: newer,
        direction: 'inbound',
        content: 'Actually, never mind: it arrived.',
        created_by: null,
      }),
    ])
    expect(await outboundIds(contact)).toEqual([])
    expect(twilioSendsTo(contact.phone_number)).toBe(0)
  })

  it('lets a reply through that saw the newest message, and one to an empty thread seen as empty', async () => {
    const { contact, lastSeen } = await conversationWithInbound()
    expect((await reply('ben', contact, { seen_message_id: lastSeen })).status).toBe(201)

    phoneSeq += 1
    const empty = await ensureContact(
      stack.service,
      stack.demo.acme,
      `+1555800${String(phoneSeq).padStart(4, '0')}`,
    )
    expect((await reply('ava', empty, { seen_message_id: null })).status).toBe(201)
    // Now the thread is not empty: a teammate who still saw it empty is refused.
    expect((await reply('ben', empty, { seen_message_id: null })).status).toBe(409)
  })

  it('never counts the author’s own replies: an agent sends twice in a row on what it had seen', async () => {
    const { contact, lastSeen } = await conversationWithInbound()
    const first = await reply('ben', contact, { seen_message_id: lastSeen })
    const second = await reply('ben', contact, { seen_message_id: lastSeen })
    expect([first.status, second.status]).toEqual([201, 201])
  })

  it('lets the refused author send anyway, under the same client_message_id', async () => {
    const { contact, lastSeen } = await conversationWithInbound()
    const winner = await reply('ava', contact, { seen_message_id: lastSeen })
    const refused = await reply('ben', contact, { seen_message_id: lastSeen })
    expect(refused.status).toBe(409)
    const anyway = await reply('ben', contact, {
      seen_message_id: lastSeen,
      send_anyway: true,
      client_message_id: refused.id,
    })
    expect(anyway.status).toBe(201)
    expect((await outboundIds(contact)).sort()).toEqual([winner.id, refused.id].sort())
    expect(twilioSendsTo(contact.phone_number)).toBe(2)
  })

  it('never refuses a replay of a stored send (the offline outbox repeating it), whatever arrived since', async () => {
    const { contact, lastSeen } = await conversationWithInbound()
    const sent = await reply('ben', contact, { seen_message_id: lastSeen })
    expect(sent.status).toBe(201)
    await inbound(contact, 'Thanks!')
    await reply('ava', contact, { seen_message_id: null, send_anyway: true })
    const replay = await reply('ben', contact, { seen_message_id: lastSeen, client_message_id: sent.id })
    expect(replay.status).toBe(200)
    const { message, created } = sendMessageResponseSchema.parse(replay.json)
    expect({ id: message.id, created }).toEqual({ id: sent.id, created: false })
    expect(twilioSendsTo(contact.phone_number)).toBe(2)
  })

  it('refuses a seen_message_id of another conversation', async () => {
    const first = await conversationWithInbound()
    const second = await conversationWithInbound()
    const refused = await reply('ben', second.contact, { seen_message_id: first.lastSeen })
    expect(refused.status).toBe(422)
    expect(relayErrorResponseSchema.parse(refused.json).error).toEqual({
      kind: 'invalid_input',
      message: 'seen_message_id is not a message of this conversation.',
    })
    expect(await outboundIds(second.contact)).toEqual([])
  })
})
