import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newMessageSid, postInboundSms } from '../local-backend/twilio/inbound.ts'
import { relayErrorResponseSchema, sendMessageResponseSchema } from '../src/shared/relay-contract.ts'
import { createRelayApp } from './app.ts'
import { relayTimingDefaults } from './config.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME, accessToken, ensureContact } from './demo-accounts.ts'
import { serviceClient } from './embedded.ts'
import { createTwilioClientFactory } from './twilio-client.ts'

let stack: RelayStack
let benToken: string
let contactId: string
const contactPhone = '+15557100001'

async function send(body: Record<string, unknown>, url = stack.relayUrl, token: string | null = benToken) {
  const response = await fetch(`${url}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  return { status: response.status, headers: response.headers, json: (await response.json()) as unknown }
}

const sendBody = (body: string) => ({
  workspace_id: stack.demo.acme,
  contact_id: contactId,
  body,
  client_message_id: randomUUID(),
})
const callsWith = (body: string) => stack.double.requests.filter((request) => request.params.Body === body)
const sendsSince = (index: number) =>
  stack.double.requests.slice(index).filter((request) => request.method === 'POST')
const listingsSince = (index: number) =>
  stack.double.requests.slice(index).filter((request) => request.method === 'GET')
const twilioMessagesWith = (body: string) =>
  [...stack.double.messages.values()].filter((message) => message.body === body)

async function rowsWithId(id: string) {
  const { count } = await stack.service
    .from('messages')
    .select('id', { count: 'exact', head: true })
    .eq('id', id)
  return count
}

async function row(id: string) {
  const { data } = await stack.service.from('messages').select('*').eq('id', id).single()
  return data as Record<string, unknown>
}

beforeAll(async () => {
  // No automatic callbacks: each test posts exactly the callbacks it needs, in the order it needs.
  stack = await startRelayStack({ callbackDelayMs: 0, retry: { attempts: 3, baseDelayMs: 5 } })
  benToken = await accessToken(stack.backend, 'ben@acme.test')
  contactId = (await ensureContact(stack.service, stack.demo.acme, contactPhone)).id
})

afterAll(async () => {
  await stack?.stop()
})

describe('Twilio faults', () => {
  it.each([500, 429])(
    'retries a %i and sends once it succeeds: one message, one accepted call',
    async (status) => {
      const body = sendBody(`Retried after ${status}`)
      const before = stack.double.requests.length
      stack.double.setFaults({ failNext: { count: 2, status } })
      const response = await send(body)
      expect(response.status).toBe(201)
      const { message } = sendMessageResponseSchema.parse(response.json)
      expect(message.status).toBe('pending')
      expect(message.twilio_sid).toMatch(/^SM[0-9a-f]{32}$/)
      expect(sendsSince(before).map((attempt) => attempt.status)).toEqual([status, status, 201])
      // A 500 may hide a send Twilio carried out, so Twilio is asked before each resend; a 429 never does.
      expect(listingsSince(before)).toHaveLength(status === 500 ? 2 : 0)
      expect(twilioMessagesWith(body.body)).toHaveLength(1)
      expect(await rowsWithId(body.client_message_id)).toBe(1)
    },
  )

  it('gives up after the bounded attempts and keeps the message as failed with the reason', async () => {
    const body = sendBody('Sent while Twilio fails')
    stack.double.setFaults({ failNext: { count: 3, status: 503 } })
    const response = await send(body)
    stack.double.setFaults({})
    expect(response.status).toBe(201)
    const { message } = sendMessageResponseSchema.parse(response.json)
    expect(message).toMatchObject({ status: 'failed', twilio_sid: null, content: body.body })
    expect(message.error_message).toMatch(/answered 503 after 3 attempts/)
    expect(twilioMessagesWith(body.body)).toHaveLength(0)
    expect(await row(body.client_message_id)).toMatchObject({ status: 'failed', content: body.body })
  })

  it.each([500, 'drop'] as const)(
    'never texts twice when Twilio sent the message but its answer was lost (%s)',
    async (answer) => {
      const body = sendBody(`Answer lost: ${answer}`)
      const before = stack.double.requests.length
      stack.double.setFaults({ loseNextAnswers: { count: 1, answer } })
      const response = await send(body)
      expect(response.status).toBe(201)
      const { message } = sendMessageResponseSchema.parse(response.json)
      const [sent] = twilioMessagesWith(body.body)
      expect(twilioMessagesWith(body.body)).toHaveLength(1)
      expect(sendsSince(before)).toHaveLength(1)
      expect(message).toMatchObject({ status: 'pending', twilio_sid: sent!.sid, error_message: null })
      expect(await row(body.client_message_id)).toMatchObject({ twilio_sid: sent!.sid })
    },
  )

  it('sends an identical text again when the listed one already belongs to an earlier message', async () => {
    const earlier = sendBody('Thanks!')
    const first = sendMessageResponseSchema.parse((await send(earlier)).json).message
    const again = sendBody('Thanks!')
    stack.double.setFaults({ failNext: { count: 1, status: 500 } })
    const second = sendMessageResponseSchema.parse((await send(again)).json).message
    expect(second.twilio_sid).toMatch(/^SM[0-9a-f]{32}$/)
    expect(second.twilio_sid).not.toBe(first.twilio_sid)
    expect(twilioMessagesWith('Thanks!')).toHaveLength(2)
  })

  it('stops as failed, saying Twilio may have sent it, when the connection drops and Twilio cannot be asked', async () => {
    const body = sendBody('Sent while Twilio is down')
    stack.double.setFaults({ down: true })
    const response = await send(body)
    stack.double.setFaults({})
    const { message } = sendMessageResponseSchema.parse(response.json)
    expect(message).toMatchObject({ status: 'failed', twilio_sid: null })
    expect(message.error_message).toMatch(/may have sent it: check the conversation/)
    expect(twilioMessagesWith(body.body)).toHaveLength(0)
  })

  it('answers a plain repeat of a failed message from the store, and sends it again on an explicit retry', async () => {
    const body = sendBody('Retry me')
    stack.double.setFaults({ failNext: { count: 3, status: 503 } })
    const failed = sendMessageResponseSchema.parse((await send(body)).json)
    expect(failed.message).toMatchObject({ status: 'failed', twilio_sid: null })
    expect(failed.message.error_message).toMatch(/503/)

    const callsBefore = callsWith(body.body).length
    const repeat = await send(body)
    expect(repeat.status).toBe(200)
    expect(sendMessageResponseSchema.parse(repeat.json).message.status).toBe('failed')
    expect(callsWith(body.body)).toHaveLength(callsBefore)

    const retries = await Promise.all([send({ ...body, retry: true }), send({ ...body, retry: true })])
    const retried = retries.map((response) => sendMessageResponseSchema.parse(response.json).message)
    const sent = retried.find((message) => message.twilio_sid !== null)
    expect(sent).toMatchObject({
      id: body.client_message_id,
      status: 'pending',
      error_code: null,
      error_message: null,
    })
    expect(callsWith(body.body).filter((call) => call.status === 201)).toHaveLength(1)
    expect(await rowsWithId(body.client_message_id)).toBe(1)
  })
})

describe('status callbacks', () => {
  async function sentMessage(text: string) {
    const { message } = sendMessageResponseSchema.parse((await send(sendBody(text))).json)
    return message.twilio_sid!
  }

  it('ends delivered whatever the order and however often the callbacks arrive', async () => {
    const sid = await sentMessage('Out of order')
    for (const status of ['sent', 'delivered', 'sent', 'queued', 'delivered', 'sent']) {
      expect((await stack.double.sendStatusCallback(sid, status)).httpStatus).toBe(204)
    }
    const { data } = await stack.service
      .from('messages')
      .select('status, error_code')
      .eq('twilio_sid', sid)
      .single()
    expect(data).toEqual({ status: 'delivered', error_code: null })
  })

  it('keeps ErrorCode for an undelivered message, and a late sent does not revive it', async () => {
    const sid = await sentMessage('Undelivered')
    await stack.double.sendStatusCallback(sid, 'undelivered', '30003')
    await stack.double.sendStatusCallback(sid, 'undelivered', '30003')
    await stack.double.sendStatusCallback(sid, 'sent')
    const { data } = await stack.service
      .from('messages')
      .select('status, error_code, error_message')
      .eq('twilio_sid', sid)
      .single()
    expect(data).toMatchObject({ status: 'failed', error_code: '30003' })
    expect((data as { error_message: string }).error_message).toContain('undelivered')
  })

  it('answers a callback for an unknown SID with 404', async () => {
    const response = await fetch(`${stack.relayUrl}/twilio/status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'x' },
      body: new URLSearchParams({
        MessageSid: newMessageSid(),
        MessageStatus: 'sent',
        AccountSid: ACME.accountSid,
      }),
    })
    expect(response.status).toBe(404)
  })
})

describe('load', () => {
  it('stores 200 concurrent signed inbound webhooks exactly once each: 200 rows, unread_count 200', async () => {
    const from = '+15557100200'
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        postInboundSms({
          relayUrl: stack.relayUrl,
          accountSid: ACME.accountSid,
          authToken: ACME.authToken,
          to: ACME.number,
          from,
          body: `Message ${index}`,
        }),
      ),
    )
    expect(results.filter((result) => result.status === 200)).toHaveLength(200)
    const { data: contact } = await stack.service
      .from('contacts')
      .select('id, unread_count')
      .eq('workspace_id', stack.demo.acme)
      .eq('phone_number', from)
      .single()
      .throwOnError()
    const { id, unread_count } = contact as { id: string; unread_count: number }
    expect(unread_count).toBe(200)
    const { count } = await stack.service
      .from('messages')
      .select('id', { count: 'exact', head: true })
      .eq('contact_id', id)
    expect(count).toBe(200)
  }, 120_000)
})

describe('rate limits and CORS', () => {
  let server: ServerType
  let standaloneUrl: string

  beforeAll(async () => {
    await stack.mountRelay({
      name: 'sms-relay-limited',
      twilioApiBaseUrl: stack.double.url,
      rateLimits: { perAgent: { burst: 2, perSecond: 0.01 }, perIp: { burst: 1000, perSecond: 100 } },
    })
    // The relay on its own port, as `npm run relay` runs it, so the per-IP limit sees the socket's address.
    const app = createRelayApp(
      {
        supabaseUrl: stack.backend.url,
        secretKey: stack.backend.secretKey,
        publicUrl: 'https://relay.example.com',
        trustProxy: false,
        localOnly: false,
        ...relayTimingDefaults,
        rateLimits: { perAgent: { burst: 1000, perSecond: 100 }, perIp: { burst: 3, perSecond: 0.01 } },
      },
      {
        supabase: serviceClient(stack.backend),
        twilioClient: createTwilioClientFactory({ apiBaseUrl: stack.double.url }),
        logger: stack.logs.relay.logger,
      },
    )
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    standaloneUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('limits one agent with 429 and Retry-After, writing nothing for the refused send', async () => {
    const url = `${stack.backend.url}/functions/v1/sms-relay-limited`
    const first = await send(sendBody('Limit 1'), url)
    const second = await send(sendBody('Limit 2'), url)
    const refusedBody = sendBody('Limit 3')
    const third = await send(refusedBody, url)
    expect([first.status, second.status, third.status]).toEqual([201, 201, 429])
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(relayErrorResponseSchema.parse(third.json).error.kind).toBe('rate_limited')
    expect(await rowsWithId(refusedBody.client_message_id)).toBe(0)
  })

  it('limits one IP before even looking at the token', async () => {
    const statuses: number[] = []
    for (let attempt = 0; attempt < 4; attempt += 1)
      statuses.push((await send(sendBody('x'), standaloneUrl, null)).status)
    expect(statuses).toEqual([401, 401, 401, 429])
  })

  it('answers a CORS preflight without any Access-Control header', async () => {
    const response = await fetch(`${standaloneUrl}/messages`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('access-control-allow-headers')).toBeNull()
    const health = await fetch(`${standaloneUrl}/health`, { headers: { Origin: 'https://evil.example' } })
    expect(health.status).toBe(200)
    expect(health.headers.get('access-control-allow-origin')).toBeNull()
  })
})
