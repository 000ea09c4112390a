import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accountNumbersResponseSchema,
  configureNumberResponseSchema,
  relayErrorResponseSchema,
  twilioConnectionResponseSchema,
  type AccountNumber,
} from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME, GLOBEX, accessToken } from './demo-accounts.ts'

/*
 * Connecting Twilio from the app (issue 20, parts 3 and 4): Ava (Acme's owner) connects
 * the account with an API key, lists its numbers, imports some and points one's webhooks
 * at the relay; Ben (an agent) may do none of it. The secrets never come back out.
 */
const API_KEY = { sid: `SK${'a1'.repeat(16)}`, secret: 'test_key_secret_acme_not_a_secret' }
/** A key Twilio shows no auth token to: the admin enters the token beside it. */
const STANDARD_KEY = {
  sid: `SK${'b2'.repeat(16)}`,
  secret: 'test_standard_key_secret_acme_not_a_secret',
  standard: true,
}
const WRONG_AUTH_TOKEN = 'test_wrong_auth_token_typed_by_an_admin'
const SERVICE_SID = `MG${'c3'.repeat(16)}`
const ELSEWHERE = 'https://old-helpdesk.example/sms'
const IN_SERVICE = '+15550100031'
const POINTS_ELSEWHERE = '+15550100032'
const GLOBEX_HOLDS = '+15550100033'
/** More numbers than one page of Twilio's list holds (50 by default, 100 as the relay asks). */
const MANY = Array.from({ length: 120 }, (_, index) => `+1555020${String(index).padStart(4, '0')}`)
const SECRETS = [API_KEY.secret, STANDARD_KEY.secret, WRONG_AUTH_TOKEN, ACME.authToken, GLOBEX.authToken]

let stack: RelayStack
let ava: string
let ben: string
/** Every body the relay answered in this file, to check that none carries a secret. */
const answers: string[] = []

async function call(token: string, path: string, body: unknown) {
  const response = await fetch(`${stack.relayUrl}/admin/twilio/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  answers.push(text)
  return { status: response.status, json: JSON.parse(text) as unknown }
}

const refusal = (json: unknown) => relayErrorResponseSchema.parse(json).error

async function trail(action: string) {
  const { data } = await stack.service
    .from('audit_events')
    .select('actor_id, details')
    .eq('workspace_id', stack.demo.acme)
    .eq('action', action)
    .order('created_at', { ascending: true })
    .throwOnError()
  return data as { actor_id: string | null; details: Record<string, unknown> }[]
}

async function storedConfig() {
  const { data } = await stack.service
    .from('workspace_twilio_config')
    .select('account_sid, auth_token, api_key_sid, api_key_secret')
    .eq('workspace_id', stack.demo.acme)
    .single()
    .throwOnError()
  return data
}

const numberOf = (numbers: AccountNumber[], phone: string) => numbers.find((n) => n.phone_number === phone)!

beforeAll(async () => {
  stack = await startRelayStack({
    unclaimedNumbers: { acme: [IN_SERVICE, POINTS_ELSEWHERE, GLOBEX_HOLDS, ...MANY] },
    twilioAccounts: {
      acme: {
        apiKeys: [API_KEY, STANDARD_KEY],
        webhooks: { [POINTS_ELSEWHERE]: { smsUrl: ELSEWHERE, statusCallback: null } },
        messagingServices: [{ sid: SERVICE_SID, friendlyName: 'Acme support', numbers: [IN_SERVICE] }],
      },
    },
  })
  // Globex held this number before Acme's account came to own it (a port between accounts).
  await stack.service
    .from('twilio_numbers')
    .insert({
      workspace_id: stack.demo.globex,
      phone_number: GLOBEX_HOLDS,
      twilio_sid: `PN${'d4'.repeat(16)}`,
    })
    .throwOnError()
  ava = await accessToken(stack.backend, 'ava@acme.test')
  ben = await accessToken(stack.backend, 'ben@acme.test')
}, 60_000)

afterAll(async () => {
  await stack?.stop()
})

describe('connecting the Twilio account', () => {
  it('refuses an agent every action, whatever the body', async () => {
    const workspace = { workspace_id: stack.demo.acme }
    for (const [path, body] of [
      ['connection', workspace],
      ['connect', { ...workspace, account_sid: ACME.accountSid, api_key_sid: null, secret: ACME.authToken }],
      ['numbers', workspace],
      ['import', { ...workspace, number_sids: [`PN${'0'.repeat(32)}`] }],
      ['configure', { ...workspace, number_sid: `PN${'0'.repeat(32)}` }],
    ] as const) {
      const { status, json } = await call(ben, path, body)
      expect({ path, status, kind: refusal(json).kind }).toEqual({ path, status: 403, kind: 'forbidden' })
    }
  })

  it('refuses a wrong secret after asking Twilio, saying so, changing nothing and recording the refusal', async () => {
    const before = await storedConfig()
    const { status, json } = await call(ava, 'connect', {
      workspace_id: stack.demo.acme,
      account_sid: ACME.accountSid,
      api_key_sid: API_KEY.sid,
      secret: 'not-the-secret',
    })
    expect({ status, error: refusal(json) }).toEqual({
      status: 400,
      error: {
        kind: 'invalid_input',
        message:
          'Twilio refused this Account SID, API key SID and secret. Check that the key belongs to this account and copy its secret again.',
      },
    })
    expect(await storedConfig()).toEqual(before)
    expect(await trail('twilio.connection_refused')).toEqual([
      {
        actor_id: stack.demo.ava,
        details: { account_sid: ACME.accountSid, api_key_sid: API_KEY.sid, twilio_code: 20003 },
      },
    ])
    const asked = stack.double.requests.filter(
      (r) => r.path === `/2010-04-01/Accounts/${ACME.accountSid}.json`,
    )
    expect(asked.map((r) => r.status)).toEqual([401])
  })

  it('accepts the auth token instead of a key; another workspace’s owner is refused first', async () => {
    const globex = await call(ava, 'connect', {
      workspace_id: stack.demo.globex,
      account_sid: GLOBEX.accountSid,
      api_key_sid: null,
      secret: GLOBEX.authToken,
    })
    expect(globex.status).toBe(403)
    const { status, json } = await call(ava, 'connect', {
      workspace_id: stack.demo.acme,
      account_sid: ACME.accountSid,
      api_key_sid: null,
      secret: ACME.authToken,
    })
    expect({ status, json }).toEqual({
      status: 200,
      json: { connection: { account_sid: ACME.accountSid, api_key_sid: null } },
    })
  })

  it('refuses a key Twilio shows no auth token, naming the field to fill, and stores nothing', async () => {
    const before = await storedConfig()
    const { status, json } = await call(ava, 'connect', {
      workspace_id: stack.demo.acme,
      account_sid: ACME.accountSid,
      api_key_sid: STANDARD_KEY.sid,
      secret: STANDARD_KEY.secret,
    })
    expect({ status, error: refusal(json) }).toEqual({
      status: 400,
      error: {
        kind: 'invalid_input',
        message:
          "Twilio did not show this API key the account's auth token, which the relay needs to check that texts come from Twilio. Fill in Auth token as well (from the Twilio Console's Account info).",
      },
    })
    expect(await storedConfig()).toEqual(before)
  })

  it('checks an auth token entered beside the key with Twilio, refusing a wrong one and storing the right one', async () => {
    const before = await storedConfig()
    const body = {
      workspace_id: stack.demo.acme,
      account_sid: ACME.accountSid,
      api_key_sid: STANDARD_KEY.sid,
      secret: STANDARD_KEY.secret,
    }
    const accountFetches = () =>
      stack.double.requests
        .filter((r) => r.path === `/2010-04-01/Accounts/${ACME.accountSid}.json`)
        .map((r) => r.status)
    const fetchedBefore = accountFetches().length

    const wrong = await call(ava, 'connect', { ...body, auth_token: WRONG_AUTH_TOKEN })
    expect({ status: wrong.status, error: refusal(wrong.json) }).toEqual({
      status: 400,
      error: {
        kind: 'invalid_input',
        message:
          "Twilio refused this auth token for the account. Copy it again from the Twilio Console's Account info.",
      },
    })
    expect(await storedConfig()).toEqual(before)
    expect((await trail('twilio.connection_refused')).at(-1)).toEqual({
      actor_id: stack.demo.ava,
      details: { account_sid: ACME.accountSid, api_key_sid: null, twilio_code: 20003 },
    })
    const withoutKey = await call(ava, 'connect', { ...body, api_key_sid: null, auth_token: ACME.authToken })
    expect(refusal(withoutKey.json).kind).toBe('invalid_input')

    const { status, json } = await call(ava, 'connect', { ...body, auth_token: ACME.authToken })
    expect({ status, json }).toEqual({
      status: 200,
      json: { connection: { account_sid: ACME.accountSid, api_key_sid: STANDARD_KEY.sid } },
    })
    expect(await storedConfig()).toEqual({
      account_sid: ACME.accountSid,
      auth_token: ACME.authToken,
      api_key_sid: STANDARD_KEY.sid,
      api_key_secret: STANDARD_KEY.secret,
    })
    // Each attempt asked Twilio with the key, and each entered token was asked about in turn.
    expect(accountFetches().slice(fetchedBefore)).toEqual([200, 401, 200, 200])
  })

  it('stores an API key Twilio accepted, with the auth token Twilio showed it, and answers only who', async () => {
    const { status, json } = await call(ava, 'connect', {
      workspace_id: stack.demo.acme,
      account_sid: ACME.accountSid,
      api_key_sid: API_KEY.sid,
      secret: API_KEY.secret,
    })
    expect({ status, body: twilioConnectionResponseSchema.parse(json) }).toEqual({
      status: 200,
      body: { connection: { account_sid: ACME.accountSid, api_key_sid: API_KEY.sid } },
    })
    expect(await storedConfig()).toEqual({
      account_sid: ACME.accountSid,
      auth_token: ACME.authToken,
      api_key_sid: API_KEY.sid,
      api_key_secret: API_KEY.secret,
    })
    expect((await trail('twilio.config_changed')).at(-1)).toEqual({
      actor_id: stack.demo.ava,
      details: { columns: ['api_key_secret', 'api_key_sid'] },
    })
    const reread = await call(ava, 'connection', { workspace_id: stack.demo.acme })
    expect(reread.json).toEqual(json)
  })
})

describe('the account’s numbers', () => {
  it('lists every page of them, where each webhook points, its Messaging Service and who holds it', async () => {
    const { status, json } = await call(ava, 'numbers', { workspace_id: stack.demo.acme })
    expect(status).toBe(200)
    const listed = accountNumbersResponseSchema.parse(json)
    expect(listed.numbers).toHaveLength(4 + MANY.length)
    expect(listed.relay_sms_url).toBe(`${stack.relayUrl}/twilio/inbound`)
    expect(listed.messaging_services).toEqual([{ sid: SERVICE_SID, friendly_name: 'Acme support' }])
    expect(numberOf(listed.numbers, ACME.number)).toMatchObject({
      held_by: 'this_workspace',
      webhook: 'unset',
    })
    expect(numberOf(listed.numbers, POINTS_ELSEWHERE)).toMatchObject({
      held_by: 'none',
      webhook: 'elsewhere',
      sms_url: ELSEWHERE,
    })
    expect(numberOf(listed.numbers, IN_SERVICE)).toMatchObject({ messaging_service_sid: SERVICE_SID })
    expect(numberOf(listed.numbers, GLOBEX_HOLDS)).toMatchObject({ held_by: 'another_workspace' })
    // The relay read them with the API key, page after page.
    const pages = stack.double.requests.filter((r) => r.path.endsWith('/IncomingPhoneNumbers.json'))
    expect(pages.length).toBeGreaterThanOrEqual(2)
  })

  it('imports the chosen ones with their Messaging Service, for the admin who chose them; never another workspace’s', async () => {
    const { json } = await call(ava, 'numbers', { workspace_id: stack.demo.acme })
    const numbers = accountNumbersResponseSchema.parse(json).numbers
    const chosen = [IN_SERVICE, POINTS_ELSEWHERE].map((phone) => numberOf(numbers, phone).sid)
    const imported = await call(ava, 'import', { workspace_id: stack.demo.acme, number_sids: chosen })
    expect(imported.status).toBe(200)
    const after = accountNumbersResponseSchema.parse(imported.json).numbers
    expect([IN_SERVICE, POINTS_ELSEWHERE].map((phone) => numberOf(after, phone).held_by)).toEqual([
      'this_workspace',
      'this_workspace',
    ])
    const { data } = await stack.service
      .from('twilio_numbers')
      .select('phone_number, messaging_service_sid, workspace_id')
      .in('phone_number', [IN_SERVICE, POINTS_ELSEWHERE])
      .order('phone_number')
      .throwOnError()
    expect(data).toEqual([
      { phone_number: IN_SERVICE, messaging_service_sid: SERVICE_SID, workspace_id: stack.demo.acme },
      { phone_number: POINTS_ELSEWHERE, messaging_service_sid: null, workspace_id: stack.demo.acme },
    ])
    const added = (await trail('number.added')).filter((row) =>
      [IN_SERVICE, POINTS_ELSEWHERE].includes(String(row.details.phone_number)),
    )
    expect(added.map((row) => row.actor_id)).toEqual([stack.demo.ava, stack.demo.ava])

    const taken = await call(ava, 'import', {
      workspace_id: stack.demo.acme,
      number_sids: [numberOf(numbers, GLOBEX_HOLDS).sid],
    })
    expect({ status: taken.status, error: refusal(taken.json) }).toEqual({
      status: 409,
      error: { kind: 'conflict', message: `${GLOBEX_HOLDS} is already in use by another workspace.` },
    })
    const foreign = await call(ava, 'import', {
      workspace_id: stack.demo.acme,
      number_sids: [`PN${'e5'.repeat(16)}`],
    })
    expect(foreign.status).toBe(400)
  })

  it('points an imported number’s webhooks at the relay through Twilio, answering what they were; a text then arrives', async () => {
    const { json } = await call(ava, 'numbers', { workspace_id: stack.demo.acme })
    const number = numberOf(accountNumbersResponseSchema.parse(json).numbers, POINTS_ELSEWHERE)
    const configured = await call(ava, 'configure', { workspace_id: stack.demo.acme, number_sid: number.sid })
    expect(configured.status).toBe(200)
    const answer = configureNumberResponseSchema.parse(configured.json)
    expect(answer.before).toEqual({ sms_url: ELSEWHERE, status_callback: null })
    expect(answer.number).toMatchObject({
      webhook: 'relay',
      sms_url: `${stack.relayUrl}/twilio/inbound`,
      status_callback: `${stack.relayUrl}/twilio/status`,
    })
    expect(stack.double.webhooksOf(ACME.accountSid, POINTS_ELSEWHERE)).toEqual({
      smsUrl: `${stack.relayUrl}/twilio/inbound`,
      statusCallback: `${stack.relayUrl}/twilio/status`,
    })
    expect((await trail('number.webhook_configured')).map((row) => row.actor_id)).toEqual([stack.demo.ava])
    expect((await trail('number.webhook_configured'))[0]!.details).toEqual({
      phone_number: POINTS_ELSEWHERE,
      sms_url: { from: ELSEWHERE, to: `${stack.relayUrl}/twilio/inbound` },
      status_callback: { from: null, to: `${stack.relayUrl}/twilio/status` },
    })

    // Twilio now posts a customer's text to the URL set on the number.
    const text = await stack.double.receiveSms({
      accountSid: ACME.accountSid,
      from: '+15557654321',
      to: POINTS_ELSEWHERE,
      body: 'Is my order on its way?',
    })
    expect(text.status).toBe(200)
    const { data } = await stack.service
      .from('messages')
      .select('workspace_id, workspace_number, content')
      .eq('twilio_sid', text.messageSid)
      .single()
      .throwOnError()
    expect(data).toEqual({
      workspace_id: stack.demo.acme,
      workspace_number: POINTS_ELSEWHERE,
      content: 'Is my order on its way?',
    })
  })

  it('configures only a number the workspace imported', async () => {
    const { json } = await call(ava, 'numbers', { workspace_id: stack.demo.acme })
    const notImported = numberOf(accountNumbersResponseSchema.parse(json).numbers, MANY[0]!)
    const { status, json: body } = await call(ava, 'configure', {
      workspace_id: stack.demo.acme,
      number_sid: notImported.sid,
    })
    expect({ status, kind: refusal(body).kind }).toEqual({ status: 404, kind: 'not_found' })
    expect(stack.double.webhooksOf(ACME.accountSid, MANY[0]!).smsUrl).toBeNull()
  })
})

describe('the secrets', () => {
  const userClient = (token: string): SupabaseClient =>
    createClient(stack.backend.url, stack.backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { Authorization: `Bearer ${token}` } },
    })

  it('cannot be read by a page holding the owner’s or an agent’s session, by any column or function', async () => {
    for (const token of [ava, ben]) {
      const client = userClient(token)
      for (const columns of ['*', 'api_key_secret', 'auth_token', 'account_sid']) {
        const { data, error } = await client.from('workspace_twilio_config').select(columns)
        expect({ columns, data, code: error?.code }).toEqual({ columns, data: null, code: '42501' })
      }
      const save = await client.rpc('relay_save_twilio_config', {
        workspace_id: stack.demo.acme,
        actor_id: stack.demo.ava,
        account_sid: ACME.accountSid,
        auth_token: 'attacker',
        api_key_sid: null,
        api_key_secret: null,
      })
      expect(save.error?.code).toBe('42501')
      const audit = await client.rpc('relay_audit', {
        workspace_id: stack.demo.acme,
        actor_id: stack.demo.ava,
        action: 'number.webhook_configured',
        subject_id: null,
        details: {},
      })
      expect(audit.error?.code).toBe('42501')
    }
    expect((await storedConfig()).auth_token).toBe(ACME.authToken)
  })

  it('never appear in an answer of the relay, nor in its logs or the audit trail', async () => {
    expect(answers.length).toBeGreaterThan(10)
    for (const secret of SECRETS) {
      expect(answers.filter((text) => text.includes(secret))).toEqual([])
      expect(stack.logs.relay.lines.filter((line) => line.includes(secret))).toEqual([])
    }
    const { data } = await stack.service.from('audit_events').select('details').throwOnError()
    const details = JSON.stringify(data)
    for (const secret of SECRETS) expect(details).not.toContain(secret)
  })
})
