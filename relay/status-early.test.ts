import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallbackDelivery } from '../local-backend/twilio/double.ts'
import { newMessageSid } from '../local-backend/twilio/inbound.ts'
import { sendMessageResponseSchema } from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME, accessToken, ensureContact } from './demo-accounts.ts'

let stack: RelayStack
/** The relay that reaches Twilio through the early proxy. */
let relayUrl: string
let benToken: string
let contactId: string
/**
 * Sits between the relay and the Twilio double. It holds each messages.create answer
 * until Twilio's callbacks for that message (sent, then delivered) have been delivered,
 * so every callback reaches the relay before it could have stored the SID.
 */
let earlyProxy: Server
const earlyDeliveries: CallbackDelivery[] = []

beforeAll(async () => {
  // 0: the double posts no callbacks on its own; the proxy posts them early instead.
  stack = await startRelayStack({ callbackDelayMs: 0 })
  const { double } = stack
  earlyProxy = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      void (async () => {
        const headers = new Headers()
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers.set(name, value)
        }
        const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
        const upstream = await fetch(`${double.url}${request.url ?? '/'}`, {
          method: request.method ?? 'GET',
          headers,
          ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
        })
        const text = await upstream.text()
        if (request.method === 'POST' && request.url?.endsWith('/Messages.json') && upstream.status === 201) {
          const { sid } = JSON.parse(text) as { sid: string }
          earlyDeliveries.push(await double.sendStatusCallback(sid, 'sent'))
          earlyDeliveries.push(await double.sendStatusCallback(sid, 'delivered'))
        }
        response.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
        })
        response.end(text)
      })()
    })
  })
  await new Promise<void>((resolve) => earlyProxy.listen(0, '127.0.0.1', resolve))
  const proxyUrl = `http://127.0.0.1:${(earlyProxy.address() as AddressInfo).port}`
  relayUrl = (await stack.mountRelay({ name: 'sms-relay-early', twilioApiBaseUrl: proxyUrl })).relayUrl
  benToken = await accessToken(stack.backend, 'ben@acme.test')
  contactId = (await ensureContact(stack.service, stack.demo.acme, '+15557300001')).id
})

afterAll(async () => {
  await new Promise<void>((resolve) => earlyProxy?.close(() => resolve()))
  await stack?.stop()
})

/** A callback signed as Twilio signs it, for the given callback URL. */
function postCallback(url: string, params: Record<string, string>, authToken = ACME.authToken) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, url, params),
    },
    body: new URLSearchParams(params),
  })
}

const pendingOutbound = () => stack.outboundAroundRelay(contactId, 'Held')

describe('status callbacks that arrive before the send stored the SID', () => {
  it('are matched by the message id in the callback URL; the message ends delivered', async () => {
    const clientMessageId = randomUUID()
    const response = await fetch(`${relayUrl}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${benToken}` },
      body: JSON.stringify({
        workspace_id: stack.demo.acme,
        contact_id: contactId,
        body: 'Early bird',
        client_message_id: clientMessageId,
      }),
    })
    expect(response.status).toBe(201)
    const { message } = sendMessageResponseSchema.parse(await response.json())
    expect(earlyDeliveries.map((delivery) => [delivery.status, delivery.httpStatus])).toEqual([
      ['sent', 204],
      ['delivered', 204],
    ])
    expect(earlyDeliveries[0]!.url).toBe(`${relayUrl}/twilio/status?message_id=${clientMessageId}`)
    // The send's own "queued" answer, stored last, does not move the status back.
    expect(message.status).toBe('delivered')
    expect(await stack.messageState(clientMessageId)).toEqual({
      status: 'delivered',
      twilio_sid: earlyDeliveries[0]!.sid,
      error_code: null,
    })
  })

  it('a hand-posted callback binds the SID to a message still waiting for its send to return', async () => {
    const id = await pendingOutbound()
    const sid = newMessageSid()
    const url = `${relayUrl}/twilio/status?message_id=${id}`
    const response = await postCallback(url, {
      AccountSid: ACME.accountSid,
      MessageSid: sid,
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
    })
    expect(response.status).toBe(204)
    expect(await stack.messageState(id)).toEqual({ status: 'failed', twilio_sid: sid, error_code: '30003' })
  })

  it('a callback naming a message already bound to another SID gets 409 and changes nothing', async () => {
    const id = await pendingOutbound()
    const bound = newMessageSid()
    await stack.service.from('messages').update({ twilio_sid: bound }).eq('id', id).throwOnError()
    const url = `${relayUrl}/twilio/status?message_id=${id}`
    const response = await postCallback(url, {
      AccountSid: ACME.accountSid,
      MessageSid: newMessageSid(),
      MessageStatus: 'delivered',
    })
    expect(response.status).toBe(409)
    expect(await stack.messageState(id)).toEqual({ status: 'pending', twilio_sid: bound, error_code: null })
  })

  it('an unknown or malformed message id gets 404 or 400, and a forged signature 403, writing nothing', async () => {
    const params = { AccountSid: ACME.accountSid, MessageSid: newMessageSid(), MessageStatus: 'delivered' }
    expect((await postCallback(`${relayUrl}/twilio/status?message_id=${randomUUID()}`, params)).status).toBe(
      404,
    )
    expect((await postCallback(`${relayUrl}/twilio/status?message_id=not-a-uuid`, params)).status).toBe(400)
    const id = await pendingOutbound()
    const forged = await postCallback(
      `${relayUrl}/twilio/status?message_id=${id}`,
      params,
      'not_the_acme_token_at_all_000000',
    )
    expect(forged.status).toBe(403)
    expect(await stack.messageState(id)).toEqual({ status: 'pending', twilio_sid: null, error_code: null })
  })
})
