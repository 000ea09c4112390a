import { randomUUID } from 'node:crypto'
import { execFile } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { createClient } from '@supabase/supabase-js'
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose'
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inboundParams, newMessageSid, postInboundSms } from '../local-backend/twilio/inbound.ts'
import { relayErrorResponseSchema, sendMessageResponseSchema } from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME, GLOBEX, accessToken, ensureContact, type TestContact } from './demo-accounts.ts'

/** Every response body the tests saw, checked at the end for leaked secrets. */
const seen: string[] = []

let stack: RelayStack
let benToken: string
let cleoToken: string
let acmeContact: TestContact
let globexContact: TestContact

/**
 * A request on its own connection: a server answers an oversized body before
 * reading it and then drops the connection, which a pooled fetch would reuse.
 */
function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers, agent: false }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      )
    })
    // The server may close while the body is still going out; its answer has arrived by then.
    request.on('error', reject)
    request.end(body)
  })
}

async function send(body: unknown, token: string | null = benToken, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.relayUrl}/messages`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  seen.push(text)
  return { status: response.status, json: JSON.parse(text) as unknown, headers: response.headers }
}

const sendBody = (overrides: Record<string, unknown> = {}) => ({
  workspace_id: stack.demo.acme,
  contact_id: acmeContact.id,
  body: 'Your order shipped today.',
  client_message_id: randomUUID(),
  ...overrides,
})

async function messageRows(filter: { id?: string; twilio_sid?: string }) {
  let query = stack.service.from('messages').select('*')
  if (filter.id) query = query.eq('id', filter.id)
  if (filter.twilio_sid) query = query.eq('twilio_sid', filter.twilio_sid)
  const { data, error } = await query
  if (error) throw new Error(error.message)
  return data as Record<string, unknown>[]
}

async function contactByPhone(workspaceId: string, phone: string) {
  const { data } = await stack.service
    .from('contacts')
    .select('id, unread_count, last_message_preview')
    .eq('workspace_id', workspaceId)
    .eq('phone_number', phone)
    .maybeSingle()
  return data as { id: string; unread_count: number; last_message_preview: string | null } | null
}

const createCalls = (to: string) =>
  stack.double.requests.filter(
    (request) =>
      request.method === 'POST' && request.path.endsWith('/Messages.json') && request.params.To === to,
  )

function inbound(overrides: Partial<Parameters<typeof postInboundSms>[0]> = {}) {
  return postInboundSms({
    relayUrl: stack.relayUrl,
    accountSid: ACME.accountSid,
    authToken: ACME.authToken,
    to: ACME.number,
    from: '+15557001000',
    body: 'Hi, is my order on its way?',
    ...overrides,
  }).then((result) => {
    seen.push(result.text)
    return result
  })
}

beforeAll(async () => {
  stack = await startRelayStack({
    optedOut: ['+15557009999'],
    callbackDelayMs: 10,
    retry: { attempts: 3, baseDelayMs: 5 },
  })
  benToken = await accessToken(stack.backend, 'ben@acme.test')
  cleoToken = await accessToken(stack.backend, 'cleo@globex.test')
  acmeContact = await ensureContact(stack.service, stack.demo.acme, '+15557000001')
  globexContact = await ensureContact(stack.service, stack.demo.globex, '+15557000002')
})

afterAll(async () => {
  await stack?.stop()
})

describe('POST /messages', () => {
  it('sends through Twilio once with a spec-valid request, then follows the callbacks to delivered', async () => {
    const body = sendBody()
    const response = await send(body)
    expect(response.status).toBe(201)
    const { message, created } = sendMessageResponseSchema.parse(response.json)
    expect(created).toBe(true)
    expect(message).toMatchObject({
      id: body.client_message_id,
      status: 'pending',
      direction: 'outbound',
      created_by: stack.demo.ben,
    })
    expect(message.twilio_sid).toMatch(/^SM[0-9a-f]{32}$/)

    const calls = stack.double.requests.filter((request) => request.params.Body === body.body)
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ status: 201, accountSid: ACME.accountSid })
    expect(calls[0]!.params).toEqual({
      To: acmeContact.phone_number,
      From: ACME.number,
      Body: body.body,
      StatusCallback: `${stack.relayUrl}/twilio/status?message_id=${message.id}`,
    })

    await stack.double.settled()
    const deliveries = stack.double.callbacks.filter((callback) => callback.sid === message.twilio_sid)
    expect(deliveries.map((delivery) => [delivery.status, delivery.httpStatus])).toEqual([
      ['queued', 204],
      ['sent', 204],
      ['delivered', 204],
    ])
    const [row] = await messageRows({ id: message.id })
    expect(row).toMatchObject({
      status: 'delivered',
      twilio_sid: message.twilio_sid,
      content: body.body,
      error_code: null,
    })
  })

  it('trims the body and stores the trimmed text', async () => {
    const body = sendBody({ body: '   Thanks for waiting!  \n' })
    const response = await send(body)
    expect(response.status).toBe(201)
    expect(sendMessageResponseSchema.parse(response.json).message.content).toBe('Thanks for waiting!')
  })

  it('answers the same client_message_id sent twice in a row from the stored message, with one Twilio call', async () => {
    const body = sendBody({ body: 'Sequential duplicate' })
    const first = await send(body)
    const second = await send(body)
    expect([first.status, second.status]).toEqual([201, 200])
    const [a, b] = [sendMessageResponseSchema.parse(first.json), sendMessageResponseSchema.parse(second.json)]
    expect(b.created).toBe(false)
    expect(b.message.id).toBe(a.message.id)
    expect(b.message.twilio_sid).toBe(a.message.twilio_sid)
    expect(stack.double.requests.filter((request) => request.params.Body === body.body)).toHaveLength(1)
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(1)
  })

  it('calls Twilio once when two identical sends race', async () => {
    const body = sendBody({ body: 'Concurrent duplicate' })
    const responses = await Promise.all([send(body), send(body), send(body)])
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 201])
    for (const response of responses)
      expect(sendMessageResponseSchema.parse(response.json).message.id).toBe(body.client_message_id)
    expect(stack.double.requests.filter((request) => request.params.Body === body.body)).toHaveLength(1)
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(1)
  })

  it.each([
    ['+15005550001', '21211'],
    ['+15005550009', '21614'],
    ['+15557009999', '21610'],
  ])('stores Twilio refusing %s as failed with error %s', async (phone, code) => {
    const contact = await ensureContact(stack.service, stack.demo.acme, phone)
    const response = await send(sendBody({ contact_id: contact.id }))
    expect(response.status).toBe(201)
    const { message } = sendMessageResponseSchema.parse(response.json)
    expect(message).toMatchObject({ status: 'failed', error_code: code, twilio_sid: null })
    expect(message.error_message).toBeTruthy()
    expect(createCalls(phone).length).toBeGreaterThanOrEqual(1)
  })

  it('refuses a reuse of a client_message_id for another contact with 409', async () => {
    const body = sendBody({ body: 'Original' })
    expect((await send(body)).status).toBe(201)
    const other = await ensureContact(stack.service, stack.demo.acme, '+15557000003')
    const reused = await send({ ...body, contact_id: other.id })
    expect(reused.status).toBe(409)
    expect(relayErrorResponseSchema.parse(reused.json).error.kind).toBe('conflict')
    expect(createCalls(other.phone_number)).toHaveLength(0)
  })

  it('answers 409 not_configured for a workspace without Twilio, writing nothing', async () => {
    const workspaceId = randomUUID()
    await stack.service.from('workspaces').insert({ id: workspaceId, name: 'No Twilio Yet' }).throwOnError()
    await stack.service
      .from('workspace_members')
      .insert({ workspace_id: workspaceId, user_id: stack.demo.ben, role: 'agent' })
      .throwOnError()
    const contact = await ensureContact(stack.service, workspaceId, '+15557000004')
    const body = sendBody({ workspace_id: workspaceId, contact_id: contact.id })
    const response = await send(body)
    expect(response.status).toBe(409)
    expect(relayErrorResponseSchema.parse(response.json).error.kind).toBe('not_configured')
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
  })
})

describe('POST /messages security', () => {
  it('refuses a missing token with 401 and writes nothing', async () => {
    const body = sendBody()
    const response = await send(body, null)
    expect(response.status).toBe(401)
    expect(relayErrorResponseSchema.parse(response.json).error.kind).toBe('unauthorized')
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
  })

  it('refuses an expired token and a forged one with 401 and writes nothing', async () => {
    const now = Math.floor(Date.now() / 1000)
    const expired = await new SignJWT({
      sub: stack.demo.ben,
      role: 'authenticated',
      aud: 'authenticated',
      email: 'ben@acme.test',
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(stack.backend.jwtSecret))
    const forged = await new SignJWT({ sub: stack.demo.ben, role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-not-the-secret'))
    for (const token of [expired, forged, 'garbage']) {
      const body = sendBody()
      const response = await send(body, token)
      expect(response.status).toBe(401)
      expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
    }
  })

  it('verifies agents against the JWKS where it runs: sends with no call to Auth, forged ES256 tokens refused', async () => {
    const requestsTo = (path: string) =>
      stack.logs.backend.lines.filter((line) => line.includes(`"path":"${path}"`)).length
    const authCallsBefore = requestsTo('/auth/v1/user')
    for (let sent = 0; sent < 3; sent++) expect((await send(sendBody())).status).toBe(201)
    expect(requestsTo('/auth/v1/user')).toBe(authCallsBefore)
    expect(requestsTo('/auth/v1/.well-known/jwks.json')).toBe(1)

    // Ben's claims, signed with a P-256 key the project never had, under its real kid and under a made-up one.
    const { kid } = decodeProtectedHeader(benToken)
    const [, payload] = benToken.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    expect((await exportJWK(privateKey)).d).toBeDefined()
    for (const header of [{ kid }, { kid: randomUUID() }]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', ...header })
        .sign(privateKey)
      const body = sendBody()
      const response = await send(body, forged)
      expect(response.status).toBe(401)
      expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
    }
  })

  it('hands a legacy HS256 token to Auth, which knows the secret: a good one sends, a wrong-secret one is refused', async () => {
    const now = Math.floor(Date.now() / 1000)
    const legacy = (secret: string) =>
      new SignJWT({ sub: stack.demo.ben, role: 'authenticated', aud: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(secret))
    expect((await send(sendBody(), await legacy(stack.backend.jwtSecret))).status).toBe(201)
    const body = sendBody()
    const refused = await send(body, await legacy('a-wrong-secret-a-wrong-secret-a-wrong-secret'))
    expect(refused.status).toBe(401)
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
  })

  it('refuses an agent of another workspace with 403 and writes nothing', async () => {
    const body = sendBody({ body: 'Sent by an outsider' })
    const response = await send(body, cleoToken)
    expect(response.status).toBe(403)
    expect(relayErrorResponseSchema.parse(response.json).error.kind).toBe('forbidden')
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
    expect(
      createCalls(acmeContact.phone_number).filter((call) => call.params.Body === body.body),
    ).toHaveLength(0)
  })

  it('refuses a contact of another workspace with 404 and writes nothing', async () => {
    const body = sendBody({ contact_id: globexContact.id })
    const response = await send(body)
    expect(response.status).toBe(404)
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
  })
})

describe('POST /messages bad input', () => {
  it.each([
    ['a missing contact_id', { contact_id: undefined }],
    ['a missing body', { body: undefined }],
    ['an empty body after trimming', { body: '   \n ' }],
    ['a body over 1,600 characters', { body: 'x'.repeat(1601) }],
    ['a NUL in the body', { body: 'Hello\u0000world' }],
    ['a client_message_id that is not a UUID', { client_message_id: 'msg-1' }],
    ['a workspace_id that is not a UUID', { workspace_id: 'acme' }],
  ])('refuses %s with 400 invalid_input', async (_, overrides) => {
    const body = sendBody(overrides)
    const response = await send(body)
    expect(response.status).toBe(400)
    expect(relayErrorResponseSchema.parse(response.json).error.kind).toBe('invalid_input')
    if (typeof body.client_message_id === 'string' && /^[0-9a-f-]{36}$/.test(body.client_message_id)) {
      expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
    }
  })

  it('refuses malformed JSON with 400 and a non-JSON content type with 415', async () => {
    expect((await send('{"workspace_id": ')).status).toBe(400)
    const response = await send(JSON.stringify(sendBody()), benToken, { 'Content-Type': 'text/plain' })
    expect(response.status).toBe(415)
    expect(relayErrorResponseSchema.parse(response.json).error.kind).toBe('invalid_input')
  })

  it('refuses a 1 MB body with 413', async () => {
    const body = sendBody({ body: 'x'.repeat(1024 * 1024) })
    const response = await postOnce(
      `${stack.relayUrl}/messages`,
      { 'Content-Type': 'application/json', Authorization: `Bearer ${benToken}` },
      JSON.stringify(body),
    )
    seen.push(response.text)
    expect(response.status).toBe(413)
    expect(relayErrorResponseSchema.parse(JSON.parse(response.text)).error.kind).toBe('payload_too_large')
    expect(await messageRows({ id: body.client_message_id })).toHaveLength(0)
  })
})

describe('POST /twilio/inbound', () => {
  it('stores a new customer text: contact created, message stored, unread +1, empty TwiML answered, a subscribed agent told', async () => {
    const agent = createClient(stack.backend.url, stack.backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    await agent.realtime.setAuth(benToken)
    const inserts: Record<string, unknown>[] = []
    const channel = agent.channel('relay-test-inbox').on(
      'postgres_changes',
      {
        event: 'INSERT',
        schema: 'public',
        table: 'messages',
        filter: `workspace_id=eq.${stack.demo.acme}`,
      },
      (change) => {
        inserts.push(change.new)
      },
    )
    await new Promise<void>((resolve, reject) =>
      channel.subscribe((status, error) => {
        if (status === 'SUBSCRIBED') resolve()
        else if (status !== 'CLOSED') reject(new Error(`realtime ${status}: ${error?.message}`))
      }),
    )

    const from = '+15557001001'
    const result = await inbound({ from, body: 'Where is my parcel?' })
    expect(result.status).toBe(200)
    expect(result.contentType).toMatch(/^text\/xml/)
    expect(result.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>')
    const contact = await contactByPhone(stack.demo.acme, from)
    expect(contact).toMatchObject({ unread_count: 1, last_message_preview: 'Where is my parcel?' })
    const rows = await messageRows({ twilio_sid: result.messageSid })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      direction: 'inbound',
      content: 'Where is my parcel?',
      contact_id: contact!.id,
      workspace_id: stack.demo.acme,
      created_by: null,
    })

    await expect
      .poll(() => inserts.find((row) => row.twilio_sid === result.messageSid), { timeout: 10_000 })
      .toMatchObject({
        content: 'Where is my parcel?',
        direction: 'inbound',
        contact_id: contact!.id,
      })
    await agent.removeAllChannels()
  })

  it('stores a retried webhook (same MessageSid ×3) once, unread +1', async () => {
    const from = '+15557001002'
    const messageSid = newMessageSid()
    const results = await Promise.all([
      inbound({ from, messageSid }),
      inbound({ from, messageSid }),
      inbound({ from, messageSid }),
    ])
    expect(results.map((result) => result.status)).toEqual([200, 200, 200])
    expect(await messageRows({ twilio_sid: messageSid })).toHaveLength(1)
    expect((await contactByPhone(stack.demo.acme, from))?.unread_count).toBe(1)
  })

  it.each([
    ['a forged signature', { signature: 'bm90IGEgc2lnbmF0dXJl' }],
    ['no signature', { signature: null }],
    ['a signature for another URL', { signWith: { url: 'https://attacker.example/twilio/inbound' } }],
    ["a signature made with another workspace's token", { signWith: { authToken: GLOBEX.authToken } }],
  ])('refuses %s with 403 and writes nothing', async (_, overrides) => {
    const from = '+15557001003'
    const result = await inbound({ from, ...overrides })
    expect(result.status).toBe(403)
    expect(relayErrorResponseSchema.parse(JSON.parse(result.text)).error.kind).toBe('forbidden')
    expect(await messageRows({ twilio_sid: result.messageSid })).toHaveLength(0)
    expect(await contactByPhone(stack.demo.acme, from)).toBeNull()
  })

  it('refuses an unknown To with 404 and writes nothing', async () => {
    const result = await inbound({ to: '+15550199999', from: '+15557001004' })
    expect(result.status).toBe(404)
    expect(await messageRows({ twilio_sid: result.messageSid })).toHaveLength(0)
  })

  it('refuses a correctly signed webhook whose From is not E.164 with 400 and writes nothing', async () => {
    const result = await inbound({ from: 'ACMEPROMO' })
    expect(result.status).toBe(400)
    expect(relayErrorResponseSchema.parse(JSON.parse(result.text)).error.kind).toBe('invalid_input')
    expect(await messageRows({ twilio_sid: result.messageSid })).toHaveLength(0)
  })

  it('refuses JSON with 415 and a 1 MB form with 413', async () => {
    const url = `${stack.relayUrl}/twilio/inbound`
    const params = inboundParams({
      accountSid: ACME.accountSid,
      to: ACME.number,
      from: '+15557001005',
      body: 'x',
      messageSid: newMessageSid(),
    })
    const json = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(ACME.authToken, url, params),
      },
      body: JSON.stringify(params),
    })
    expect(json.status).toBe(415)
    const huge = { ...params, Body: 'x'.repeat(1024 * 1024) }
    const big = await postOnce(
      url,
      {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(ACME.authToken, url, huge),
      },
      new URLSearchParams(huge).toString(),
    )
    expect(big.status).toBe(413)
    seen.push(await json.text(), big.text)
    expect(await contactByPhone(stack.demo.acme, '+15557001005')).toBeNull()
  })
})

describe('npm run sms:inbound', () => {
  const cli = (args: string[]) =>
    promisify(execFile)(
      resolve(import.meta.dirname, '../node_modules/.bin/node'),
      ['local-backend/twilio/inbound-cli.ts', ...args],
      // This stack's keys are its own; the CLI's default is the demo key of `npm run stack`.
      {
        cwd: resolve(import.meta.dirname, '..'),
        env: { ...process.env, SUPABASE_SECRET_KEY: stack.backend.secretKey },
      },
    )

  it('posts a signed webhook with the receiving workspace credentials read through the service role', async () => {
    const from = '+15557001099'
    const { stdout } = await cli([
      '--to',
      ACME.number,
      '--from',
      from,
      '--body',
      'Sent from the CLI',
      '--relay-url',
      stack.relayUrl,
      '--supabase-url',
      stack.backend.url,
    ])
    expect(stdout).toMatch(/^200 SM[0-9a-f]{32} /)
    expect(stdout).not.toContain(ACME.authToken)
    expect(await contactByPhone(stack.demo.acme, from)).toMatchObject({
      unread_count: 1,
      last_message_preview: 'Sent from the CLI',
    })
  })

  it('stops with a message naming a bad flag', async () => {
    const failure = (await cli(['--to', ACME.number, '--from', '555', '--body', 'x']).catch(
      (error: unknown) => error,
    )) as {
      code: number
      stderr: string
    }
    expect(failure.code).toBe(2)
    expect(failure.stderr).toContain('--from: must be an E.164 number')
  })
})

describe('POST /twilio/status', () => {
  it('refuses a forged callback with 403 and leaves the status alone', async () => {
    const body = sendBody({ body: 'Forged callback target' })
    const { message } = sendMessageResponseSchema.parse((await send(body)).json)
    await stack.double.settled()
    const params = {
      AccountSid: ACME.accountSid,
      MessageSid: message.twilio_sid!,
      MessageStatus: 'failed',
      ErrorCode: '30007',
    }
    const url = `${stack.relayUrl}/twilio/status`
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(GLOBEX.authToken, url, params),
      },
      body: new URLSearchParams(params),
    })
    expect(response.status).toBe(403)
    seen.push(await response.text())
    expect((await messageRows({ id: message.id }))[0]).toMatchObject({
      status: 'delivered',
      error_code: null,
    })
  })
})

describe('the relay surface', () => {
  it('answers GET /health', async () => {
    const response = await fetch(`${stack.relayUrl}/health`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })

  it('answers unknown routes with a typed 404', async () => {
    const response = await fetch(`${stack.relayUrl}/nope`)
    expect(response.status).toBe(404)
    expect(relayErrorResponseSchema.parse(await response.json()).error.kind).toBe('not_found')
  })

  it('never puts an auth token, the service key or an access token in a response or a log line', () => {
    const secrets = [ACME.authToken, GLOBEX.authToken, stack.backend.secretKey, benToken, cleoToken]
    const everything = [
      ...seen,
      ...stack.logs.relay.lines,
      ...stack.logs.backend.lines,
      ...stack.logs.double.lines,
    ].join('\n')
    expect(stack.logs.relay.lines.length).toBeGreaterThan(20)
    for (const secret of secrets) expect(everything).not.toContain(secret)
    expect(stack.logs.relay.lines.join('\n')).not.toContain('Your order shipped today.')
  })
})
