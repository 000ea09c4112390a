import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendMessageResponseSchema, sendSettled, sweepCountsSchema } from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { until } from '../test/support/until.ts'
import { ACME, accessToken, ensureContact } from './demo-accounts.ts'
import { createTwilioClientFactory } from './twilio-client.ts'

/*
 * A relay that dies mid-send leaves its message `pending` with no SID, and only Twilio
 * knows whether it went out. These tests leave such rows exactly as a dead relay
 * would (the message and its lease, through the relay's own insert), then check that
 * the sweep and a repeated POST each resolve them: sent once, or found at Twilio.
 */

let stack: RelayStack
let benToken: string
let contact: { id: string; phone_number: string }
/** Acme's second number: a send stored from it must leave from it, whoever finishes it. */
const SECOND_NUMBER = '+15550100041'
/** A number Acme held when a send was stored, and gave up before the sweep came. */
const GIVEN_UP_NUMBER = '+15550100042'

const addNumber = (phoneNumber: string, sid: string) =>
  stack.service
    .from('twilio_numbers')
    .insert({ workspace_id: stack.demo.acme, phone_number: phoneNumber, twilio_sid: sid })
    .select('id')
    .single()
    .throwOnError()

beforeAll(async () => {
  stack = await startRelayStack({
    callbackDelayMs: 0,
    // The tests run the sweep themselves; its timer stays out of the way.
    timing: { sweepIntervalMs: 3_600_000, statusCheckAfterMs: 50 },
    unclaimedNumbers: { acme: [SECOND_NUMBER, GIVEN_UP_NUMBER] },
  })
  await addNumber(SECOND_NUMBER, 'PN0123456789abcdef0123456789abcd41')
  benToken = await accessToken(stack.backend, 'ben@acme.test')
  contact = await ensureContact(stack.service, stack.demo.acme, '+15557400001')
})

afterAll(async () => {
  await stack?.stop()
})

/** What a relay that died right after its insert leaves: the row, and a lease (by default one that has run out). */
async function leftInDoubt(body: string, leaseMs = 1, fromNumber?: string): Promise<string> {
  const id = randomUUID()
  await stack.service
    .rpc('relay_insert_outbound', {
      message_id: id,
      workspace_id: stack.demo.acme,
      contact_id: contact.id,
      content: body,
      created_by: stack.demo.ben,
      lease_ms: leaseMs,
      ...(fromNumber === undefined ? {} : { from_number: fromNumber }),
    })
    .throwOnError()
  return id
}

/** A send that reached Twilio although its relay never learnt of it. */
function sentBehindOurBack(body: string) {
  const client = createTwilioClientFactory({ apiBaseUrl: stack.double.url })({
    accountSid: ACME.accountSid,
    authToken: ACME.authToken,
  })
  return client.messages.create({ to: contact.phone_number, from: ACME.number, body })
}

const atTwilio = (body: string) => [...stack.double.messages.values()].filter((m) => m.body === body)
const creates = (body: string) =>
  stack.double.requests.filter((r) => r.method === 'POST' && r.params.Body === body && r.status === 201)

function post(id: string, body: string, url = stack.relayUrl) {
  return fetch(`${url}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${benToken}` },
    body: JSON.stringify({
      workspace_id: stack.demo.acme,
      contact_id: contact.id,
      body,
      client_message_id: id,
    }),
  }).then(async (response) => ({
    status: response.status,
    message: sendMessageResponseSchema.parse(await response.json()).message,
  }))
}

async function expireLease(id: string) {
  await stack.backend.db.query(
    `update private.message_leases set lease_until = now() - interval '1 second' where message_id = $1`,
    [id],
  )
}

describe('a send left in doubt', () => {
  it('is left alone by a POST /sweep without the secret key: only a scheduler holding it may start a pass', async () => {
    const id = await leftInDoubt('Swept only with the key')
    for (const authorization of [undefined, `Bearer ${benToken}`, `Bearer ${stack.backend.publishableKey}`]) {
      const response = await fetch(`${stack.relayUrl}/sweep`, {
        method: 'POST',
        headers: authorization ? { Authorization: authorization } : {},
      })
      expect(response.status, authorization ?? 'no Authorization').toBe(401)
    }
    expect(atTwilio('Swept only with the key')).toHaveLength(0)
    expect(await stack.messageState(id)).toMatchObject({ status: 'pending', twilio_sid: null })

    const swept = await fetch(`${stack.relayUrl}/sweep`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.backend.secretKey}` },
    })
    expect(swept.status).toBe(200)
    expect(sweepCountsSchema.parse(await swept.json()).inDoubt).toBeGreaterThanOrEqual(1)
    expect(atTwilio('Swept only with the key')).toHaveLength(1)
  })

  it('is sent once by the sweep when it never reached Twilio', async () => {
    const id = await leftInDoubt('Never reached Twilio')
    const counts = await stack.sweeper.sweep()
    expect(counts.inDoubt).toBeGreaterThanOrEqual(1)
    const stored = await stack.messageState(id)
    expect(stored.status).toBe('pending')
    expect(stored.twilio_sid).toBe(atTwilio('Never reached Twilio')[0]?.sid)
    expect(atTwilio('Never reached Twilio')).toHaveLength(1)
  })

  it('is sent by the sweep from the number it was stored with, not the workspace’s first', async () => {
    const id = await leftInDoubt('Sticky in doubt', 1, SECOND_NUMBER)
    await stack.sweeper.sweep()
    const [sent] = atTwilio('Sticky in doubt')
    expect(sent?.from).toBe(SECOND_NUMBER)
    expect(atTwilio('Sticky in doubt')).toHaveLength(1)
    expect((await stack.messageState(id)).twilio_sid).toBe(sent?.sid)
  })

  it('fails with the reason, unsent, when the workspace no longer holds the number it was stored with', async () => {
    const { data } = await addNumber(GIVEN_UP_NUMBER, 'PN0123456789abcdef0123456789abcd42')
    const id = await leftInDoubt('Number given up', 1, GIVEN_UP_NUMBER)
    await stack.service
      .from('twilio_numbers')
      .delete()
      .eq('id', (data as { id: string }).id)
      .throwOnError()
    await stack.sweeper.sweep()
    expect(await stack.messageState(id)).toMatchObject({ status: 'failed', twilio_sid: null })
    const { data: stored } = await stack.service
      .from('messages')
      .select('error_message')
      .eq('id', id)
      .single()
      .throwOnError()
    expect((stored as { error_message: string }).error_message).toBe(
      `${GIVEN_UP_NUMBER} is no longer a number of this workspace.`,
    )
    expect(creates('Number given up')).toHaveLength(0)
  })

  it('is found at Twilio by the sweep, not sent again, when it reached Twilio', async () => {
    const id = await leftInDoubt('Reached Twilio')
    const sent = await sentBehindOurBack('Reached Twilio')
    await stack.sweeper.sweep()
    expect(await stack.messageState(id)).toMatchObject({ twilio_sid: sent.sid })
    expect(atTwilio('Reached Twilio')).toHaveLength(1)
  })

  it('is answered as it stands while its lease lives, then resolved by the repeated POST', async () => {
    const id = await leftInDoubt('Repeated', 600_000)
    const early = await post(id, 'Repeated')
    expect(early.status).toBe(200)
    expect(early.message).toMatchObject({ status: 'pending', twilio_sid: null })
    expect(sendSettled(early.message)).toBe(false)
    expect(creates('Repeated')).toHaveLength(0)

    await expireLease(id)
    const resolved = await post(id, 'Repeated')
    expect(resolved.status).toBe(200)
    expect(sendSettled(resolved.message)).toBe(true)
    expect(resolved.message.twilio_sid).toBe(atTwilio('Repeated')[0]?.sid)
    expect(atTwilio('Repeated')).toHaveLength(1)
  })

  it('reaches Twilio once when a sweep and two repeated POSTs resolve it at the same time', async () => {
    const id = await leftInDoubt('Raced')
    const [, first, second] = await Promise.all([stack.sweeper.sweep(), post(id, 'Raced'), post(id, 'Raced')])
    expect(atTwilio('Raced')).toHaveLength(1)
    expect(creates('Raced')).toHaveLength(1)
    const sid = atTwilio('Raced')[0]!.sid
    expect(await stack.messageState(id)).toMatchObject({ twilio_sid: sid })
    // Whoever lost the race answered the state it found: settled, or still in the winner's hands.
    for (const answer of [first, second]) {
      if (sendSettled(answer.message)) expect(answer.message.twilio_sid).toBe(sid)
      else expect(answer.message).toMatchObject({ status: 'pending', twilio_sid: null })
    }
  })

  it('is never picked up by the sweep when the relay did not write it (no lease): an agent’s own insert stays as it is', async () => {
    const id = await stack.outboundAroundRelay(contact.id, 'Written around the relay')
    await stack.sweeper.sweep()
    expect(await stack.messageState(id)).toEqual({ status: 'pending', twilio_sid: null, error_code: null })
    expect(creates('Written around the relay')).toHaveLength(0)
  })

  it('stays in doubt, unsent, when its lease runs out before the send could start; the sweep then sends it once', async () => {
    const hurried = await stack.mountRelay({
      name: 'sms-relay-short-lease',
      twilioApiBaseUrl: stack.double.url,
      // A lease so short that it has run out by the time messages.create could start.
      timing: { sendLeaseMs: 2, twilioTimeoutMs: 1, sweepIntervalMs: 3_600_000 },
    })
    const id = randomUUID()
    const answer = await post(id, 'Lease ran out', hurried.relayUrl)
    expect(answer.status).toBe(201)
    expect(answer.message).toMatchObject({ status: 'pending', twilio_sid: null })
    expect(creates('Lease ran out')).toHaveLength(0)
    await stack.sweeper.sweep()
    expect((await stack.messageState(id)).twilio_sid).toBe(atTwilio('Lease ran out')[0]?.sid)
    expect(atTwilio('Lease ran out')).toHaveLength(1)
  })
})

describe('statuses whose callbacks never came', () => {
  async function sentMessage(body: string) {
    const answer = await post(randomUUID(), body)
    const sid = answer.message.twilio_sid!
    return { id: answer.message.id, sid, atTwilio: stack.double.messages.get(sid)! }
  }
  const fetchesOf = (sid: string) =>
    stack.double.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/Messages/${sid}.json`))

  it('are fetched from Twilio once they have not moved for the bound: delivered, or failed with its error', async () => {
    const delivered = await sentMessage('Callback lost: delivered')
    const undelivered = await sentMessage('Callback lost: undelivered')
    // Twilio's side moved on; the callbacks saying so were lost.
    delivered.atTwilio.status = 'delivered'
    Object.assign(undelivered.atTwilio, { status: 'undelivered', error_code: 30003 })
    await until(async () => {
      await stack.sweeper.sweep()
      return (
        (await stack.messageState(delivered.id)).status === 'delivered' &&
        (await stack.messageState(undelivered.id)).status === 'failed'
      )
    }, 'both statuses fetched')
    expect(await stack.messageState(undelivered.id)).toMatchObject({ status: 'failed', error_code: '30003' })
    expect(fetchesOf(delivered.sid).length).toBeGreaterThanOrEqual(1)
  })
})
