import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { createTwilioClientFactory, type TwilioLogin } from '../../relay/twilio-client.ts'
import { startTwilioDouble, type TwilioDouble } from './double.ts'

const apiKey = { sid: `SK${'a'.repeat(32)}`, secret: 'test_key_secret_not_a_secret_0001' }
const standardKey = {
  sid: `SK${'c'.repeat(32)}`,
  secret: 'test_key_secret_not_a_secret_0002',
  standard: true,
}
const serviceSid = `MG${'b'.repeat(32)}`
const account = {
  sid: 'AC11111111111111111111111111111111',
  authToken: 'test_token_acme_not_a_secret_0001',
  numbers: ['+15550100001', '+15550100011'],
  apiKeys: [apiKey, standardKey],
  webhooks: { '+15550100011': { smsUrl: 'https://old-host.example/sms', statusCallback: null } },
  messagingServices: [{ sid: serviceSid, friendlyName: 'Support line', numbers: ['+15550100011'] }],
}
const other = { sid: 'AC22222222222222222222222222222222', authToken: 'test_token_globex_not_a_secret_02' }

interface Received {
  signatureValid: boolean
  params: Record<string, string>
}

describe('Twilio double', () => {
  let double: TwilioDouble
  let receiver: Server
  let callbackUrl: string
  const received: Received[] = []
  const memory = createMemoryLogger('twilio-double')

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
        const signature = String(request.headers['x-twilio-signature'] ?? '')
        received.push({
          signatureValid: twilio.validateRequest(account.authToken, signature, callbackUrl, params),
          params,
        })
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/status?workspace=acme`
    double = await startTwilioDouble({
      accounts: [account, other],
      optedOut: ['+15557770000'],
      undeliverable: ['+15557770001'],
      logger: memory.logger,
      callbackDelayMs: 5,
    })
  })

  afterAll(async () => {
    await double.stop()
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
  })

  const client = (credentials: TwilioLogin = { accountSid: account.sid, authToken: account.authToken }) =>
    createTwilioClientFactory({ apiBaseUrl: double.url })(credentials)

  const sendBy = (
    credentials = { accountSid: account.sid, authToken: account.authToken },
    to = '+15551230000',
  ) =>
    client(credentials).messages.create({
      to,
      from: '+15550100001',
      body: 'Hello 👋',
      statusCallback: callbackUrl,
    })

  it('answers a send through the official client with a Message resource the description allows, then signed callbacks in order', async () => {
    const before = received.length
    const message = await sendBy()
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/)
    expect(message.status).toBe('queued')
    expect(message.to).toBe('+15551230000')

    const stored = double.messages.get(message.sid)
    const create = double.api.match('POST', `/2010-04-01/Accounts/${account.sid}/Messages.json`)!
    expect(double.api.validateResponse(create, 201, stored)).toEqual({ ok: true, value: stored })
    const request = double.requests.at(-1)!
    expect(request).toMatchObject({ method: 'POST', accountSid: account.sid, status: 201 })
    expect(request.params).toMatchObject({
      To: '+15551230000',
      From: '+15550100001',
      Body: 'Hello 👋',
      StatusCallback: callbackUrl,
    })

    await double.settled()
    const callbacks = received.slice(before)
    expect(callbacks.map((callback) => callback.params.MessageStatus)).toEqual([
      'queued',
      'sent',
      'delivered',
    ])
    expect(
      callbacks.every((callback) => callback.signatureValid && callback.params.MessageSid === message.sid),
    ).toBe(true)

    const fetched = await client().messages(message.sid).fetch()
    expect(fetched.status).toBe('delivered')
    expect(fetched.dateSent).toBeInstanceOf(Date)
  })

  it('ends an undeliverable recipient with an undelivered callback carrying ErrorCode 30003', async () => {
    const before = received.length
    await sendBy(undefined, '+15557770001')
    await double.settled()
    const last = received.slice(before).at(-1)!
    expect(last.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30003' })
    expect(last.signatureValid).toBe(true)
  })

  it('refuses a wrong auth token, and an account reaching into another account, with 401 / 20003', async () => {
    await expect(sendBy({ accountSid: account.sid, authToken: 'wrong' })).rejects.toMatchObject({
      status: 401,
      code: 20003,
    })
    const response = await fetch(`${double.url}/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${other.sid}:${other.authToken}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ To: '+15551230000', From: '+15550100001', Body: 'x' }),
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 20003 })
  })

  it.each([
    ['+15005550001', 21211],
    ['+15005550009', 21614],
    ['+15557770000', 21610],
    ['5551230000', 21211],
  ])('refuses a send to %s with %i, as Twilio does', async (to, code) => {
    await expect(sendBy(undefined, to)).rejects.toMatchObject({ status: 400, code })
  })

  it('refuses a From number the account does not own (21606)', async () => {
    await expect(
      client().messages.create({ to: '+15551230000', from: '+15550100002', body: 'x' }),
    ).rejects.toMatchObject({ status: 400, code: 21606 })
  })

  it('validates every request against the description: unknown fields, bad formats and types, bad path parameters', async () => {
    const post = (path: string, params: Record<string, string>) =>
      fetch(`${double.url}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(params),
      })
    const messages = `/2010-04-01/Accounts/${account.sid}/Messages.json`

    const unknown = await post(messages, {
      To: '+15551230000',
      From: '+15550100001',
      Body: 'x',
      Bodyy: 'typo',
    })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as { message: string }).message).toContain('Bodyy is not a parameter')

    const badTypes = await post(messages, {
      To: '+15551230000',
      From: '+15550100001',
      Body: 'x',
      StatusCallback: 'not a url',
      SmartEncoded: 'maybe',
    })
    const badTypesBody = (await badTypes.json()) as { message: string }
    expect(badTypes.status).toBe(400)
    expect(badTypesBody.message).toContain('StatusCallback must match format "uri"')
    expect(badTypesBody.message).toContain('SmartEncoded must be boolean')

    const noTo = await post(messages, { From: '+15550100001', Body: 'x' })
    expect(await noTo.json()).toMatchObject({ code: 21604, status: 400 })

    const unknownPath = await post(`/2010-04-01/Accounts/${account.sid}/Nothing.json`, {})
    expect(unknownPath.status).toBe(404)
    expect(double.requests.filter((request) => request.status === 201)).toHaveLength(
      [...double.messages.values()].length,
    )
  })

  it('fails the next requests on demand (500, 429), then works again', async () => {
    double.setFaults({ failNext: { count: 2, status: 500 } })
    await expect(sendBy()).rejects.toMatchObject({ status: 500 })
    await expect(sendBy()).rejects.toMatchObject({ status: 500 })
    await expect(sendBy()).resolves.toMatchObject({ status: 'queued' })
    double.setFaults({ failNext: { count: 1, status: 429 } })
    await expect(sendBy()).rejects.toMatchObject({ status: 429, code: 20429 })
    await expect(sendBy()).resolves.toMatchObject({ status: 'queued' })
    await double.settled()
  })

  it('carries out a send whose answer it then loses (500 or a dropped connection)', async () => {
    for (const answer of [500, 'drop'] as const) {
      const before = double.messages.size
      double.setFaults({ loseNextAnswers: { count: 1, answer } })
      const error = await sendBy().catch((caught: unknown) => caught)
      if (answer === 500) expect(error).toMatchObject({ status: 500 })
      else expect(error).not.toBeInstanceOf(twilio.RestException)
      expect(double.messages.size).toBe(before + 1)
      await expect(sendBy()).resolves.toMatchObject({ status: 'queued' })
    }
    await double.settled()
  })

  it('loses or reorders status callbacks on demand, while the message itself still reaches its final status', async () => {
    // A fixed sequence: drop the first callback, keep the other two, then swap them.
    const draws = [0.1, 0.9, 0.9, 0]
    double.setFaults({ unreliableCallbacks: { dropShare: 0.5, random: () => draws.shift() ?? 0.9 } })
    const before = received.length
    const message = await sendBy()
    await double.settled()
    double.setFaults({})
    expect(double.droppedCallbacks).toContainEqual({ sid: message.sid, status: 'queued' })
    expect(received.slice(before).map((callback) => callback.params.MessageStatus)).toEqual([
      'delivered',
      'sent',
    ])
    expect((await client().messages(message.sid).fetch()).status).toBe('delivered')
  })

  it('lists an account’s messages newest first, filtered by To and From, through the official client', async () => {
    const first = await sendBy(undefined, '+15551239001')
    const second = await sendBy(undefined, '+15551239001')
    await sendBy(undefined, '+15551239002')
    const listed = await client({ accountSid: account.sid, authToken: account.authToken }).messages.list({
      to: '+15551239001',
      from: '+15550100001',
      limit: 20,
    })
    expect(listed.map((message) => message.sid)).toEqual([second.sid, first.sid])
    expect(listed[0]).toMatchObject({ body: 'Hello 👋', to: '+15551239001' })
    expect(listed[0]!.dateCreated).toBeInstanceOf(Date)
    const otherAccount = await client({ accountSid: other.sid, authToken: other.authToken }).messages.list({
      to: '+15551239001',
      limit: 20,
    })
    expect(otherAccount).toEqual([])
    await double.settled()
  })

  it('lists only the account’s own numbers as IncomingPhoneNumbers, filtered by part of the number, through the official client', async () => {
    const owned = (
      phoneNumber: string,
      credentials = { accountSid: account.sid, authToken: account.authToken },
    ) =>
      client(credentials)
        .incomingPhoneNumbers.list({ phoneNumber, limit: 20 })
        .then((numbers) => numbers.map((number) => number.phoneNumber))
    expect(await owned('+15550100011')).toEqual(['+15550100011'])
    // As on Twilio, PhoneNumber matches a part of the number, `*` standing for any digit.
    expect(await owned('555010001')).toEqual(['+15550100011'])
    expect(await owned('+1555010*0*1')).toEqual(['+15550100001', '+15550100011'])
    expect(await owned('+15550100002')).toEqual([])
    expect(await owned('+15550100001', { accountSid: other.sid, authToken: other.authToken })).toEqual([])

    const path = `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`
    const response = await fetch(`${double.url}${path}?PhoneNumber=%2B15550100001`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`,
      },
    })
    const body = (await response.json()) as { incoming_phone_numbers: { sid: string; account_sid: string }[] }
    expect(double.api.validateResponse(double.api.match('GET', path)!, 200, body)).toEqual({
      ok: true,
      value: body,
    })
    expect(body.incoming_phone_numbers).toEqual([
      expect.objectContaining({ account_sid: account.sid, sid: expect.stringMatching(/^PN[0-9a-f]{32}$/) }),
    ])
  })

  it('authenticates an API key as its account: the Account resource, auth token included, as the description allows', async () => {
    const byKey = client({ accountSid: account.sid, apiKey })
    const fetched = await byKey.api.v2010.accounts(account.sid).fetch()
    expect({ sid: fetched.sid, authToken: fetched.authToken, status: fetched.status }).toEqual({
      sid: account.sid,
      authToken: account.authToken,
      status: 'active',
    })
    const path = `/2010-04-01/Accounts/${account.sid}.json`
    const basic = (user: string, secret: string) =>
      `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
    const response = await fetch(`${double.url}${path}`, {
      headers: { Authorization: basic(apiKey.sid, apiKey.secret) },
    })
    const body: unknown = await response.json()
    expect(double.api.validateResponse(double.api.match('GET', path)!, 200, body)).toEqual({
      ok: true,
      value: body,
    })

    const wrong = await fetch(`${double.url}${path}`, {
      headers: { Authorization: basic(apiKey.sid, 'not-the-secret') },
    })
    expect({ status: wrong.status, body: await wrong.json() }).toEqual({
      status: 401,
      body: {
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      },
    })
    // A key authenticates only as its own account.
    const elsewhere = await fetch(`${double.url}/2010-04-01/Accounts/${other.sid}.json`, {
      headers: { Authorization: basic(apiKey.sid, apiKey.secret) },
    })
    expect(elsewhere.status).toBe(401)
    // A Standard key reads the account, but is not shown its auth token.
    const standard = await fetch(`${double.url}${path}`, {
      headers: { Authorization: basic(standardKey.sid, standardKey.secret) },
    })
    const shown = (await standard.json()) as Record<string, unknown>
    expect({ status: standard.status, sid: shown.sid, hasToken: 'auth_token' in shown }).toEqual({
      status: 200,
      sid: account.sid,
      hasToken: false,
    })
    expect((body as Record<string, unknown>).auth_token).toBe(account.authToken)
  })

  it('pages IncomingPhoneNumbers as Twilio does, and the official client follows next_page_uri', async () => {
    const path = `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`
    const auth = `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`
    const first = (await (
      await fetch(`${double.url}${path}?PageSize=1`, { headers: { Authorization: auth } })
    ).json()) as {
      incoming_phone_numbers: { phone_number: string }[]
      next_page_uri: string | null
    }
    expect(double.api.validateResponse(double.api.match('GET', path)!, 200, first)).toEqual({
      ok: true,
      value: first,
    })
    expect(first.incoming_phone_numbers.map((number) => number.phone_number)).toEqual(['+15550100001'])
    expect(first.next_page_uri).toMatch(
      /^\/2010-04-01\/Accounts\/AC1{32}\/IncomingPhoneNumbers\.json\?.*Page=1/,
    )
    const second = (await (
      await fetch(`${double.url}${first.next_page_uri}`, { headers: { Authorization: auth } })
    ).json()) as typeof first
    expect(second.incoming_phone_numbers.map((number) => number.phone_number)).toEqual(['+15550100011'])
    expect(second.next_page_uri).toBeNull()

    const all = await client().incomingPhoneNumbers.list({ pageSize: 1 })
    expect(all.map((number) => [number.phoneNumber, number.smsUrl])).toEqual([
      ['+15550100001', null],
      ['+15550100011', 'https://old-host.example/sms'],
    ])
  })

  it('sets a number’s SmsUrl and StatusCallback, answering the updated resource, and posts the next text to it', async () => {
    const number = (await client().incomingPhoneNumbers.list({ phoneNumber: '+15550100011' }))[0]!
    const smsUrl = `${callbackUrl.replace('/hooks/status?workspace=acme', '')}/hooks/inbound`
    const updated = await client({ accountSid: account.sid, apiKey })
      .incomingPhoneNumbers(number.sid)
      .update({
        smsUrl,
        statusCallback: callbackUrl,
      })
    expect({ smsUrl: updated.smsUrl, statusCallback: updated.statusCallback }).toEqual({
      smsUrl,
      statusCallback: callbackUrl,
    })
    expect(double.webhooksOf(account.sid, '+15550100011')).toEqual({ smsUrl, statusCallback: callbackUrl })
    // FriendlyName alone leaves the webhooks as they are.
    await client().incomingPhoneNumbers(number.sid).update({ friendlyName: 'Support' })
    expect(double.webhooksOf(account.sid, '+15550100011').smsUrl).toBe(smsUrl)
    await expect(
      client({ accountSid: other.sid, authToken: other.authToken })
        .incomingPhoneNumbers(number.sid)
        .update({ smsUrl }),
    ).rejects.toMatchObject({ status: 404, code: 20404 })

    const before = received.length
    const result = await double.receiveSms({
      accountSid: account.sid,
      from: '+15551234567',
      to: '+15550100011',
      body: 'Hi',
    })
    expect(result.status).toBe(204)
    expect(received.slice(before)).toEqual([
      expect.objectContaining({ params: expect.objectContaining({ To: '+15550100011', Body: 'Hi' }) }),
    ])
    await expect(
      double.receiveSms({ accountSid: account.sid, from: '+15551234567', to: '+15550100001', body: 'Hi' }),
    ).rejects.toThrow('+15550100001 has no SmsUrl')
  })

  it('lists Messaging Services and their sender pools from messaging.twilio.com/v1, as the description allows', async () => {
    const services = await client({ accountSid: account.sid, apiKey }).messaging.v1.services.list()
    expect(services.map((service) => [service.sid, service.friendlyName])).toEqual([
      [serviceSid, 'Support line'],
    ])
    const pool = await client().messaging.v1.services(serviceSid).phoneNumbers.list()
    expect(pool.map((number) => number.phoneNumber)).toEqual(['+15550100011'])
    const response = await fetch(`${double.url}/v1/Services`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`,
      },
    })
    const body: unknown = await response.json()
    expect(double.api.validateResponse(double.api.match('GET', '/v1/Services')!, 200, body)).toEqual({
      ok: true,
      value: body,
    })
    expect(
      await client({ accountSid: other.sid, authToken: other.authToken }).messaging.v1.services.list(),
    ).toEqual([])
  })

  it('drops every connection while down', async () => {
    double.setFaults({ down: true })
    const error = await sendBy().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(twilio.RestException)
    double.setFaults({})
    await expect(sendBy()).resolves.toMatchObject({ status: 'queued' })
    await double.settled()
  })

  it('never logs an auth token or a message body', () => {
    const log = memory.lines.join('\n')
    expect(log).not.toContain(account.authToken)
    expect(log).not.toContain(other.authToken)
    expect(log).not.toContain(apiKey.secret)
    expect(log).not.toContain('Hello')
  })
})
