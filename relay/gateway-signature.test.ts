import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postInboundSms } from '../local-backend/twilio/inbound.ts'
import { relayErrorResponseSchema } from '../src/shared/relay-contract.ts'
import { relayRuntime, startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { ACME } from './demo-accounts.ts'

/*
 * Twilio signs the URL it was told to post to. Behind the functions gateway the relay
 * is handed another one (/<name>/… on the edge runtime, /… when mounted in the
 * backend), so it checks signatures over its configured public URL, never over what
 * it was handed. Each webhook here travels through the gateway
 * (<backend>/functions/v1/<name>/twilio/inbound) and is signed for one URL or another.
 */

let stack: RelayStack
// As when the project's functions sit behind a domain of their own.
const customPublicUrl = 'https://sms.example.com/hooks'
let gatewayUrl: string

beforeAll(async () => {
  stack = await startRelayStack()
  gatewayUrl = (
    await stack.mountRelay({
      name: 'relay-behind-domain',
      twilioApiBaseUrl: stack.double.url,
      publicUrl: customPublicUrl,
    })
  ).relayUrl.replace(customPublicUrl, `${stack.backend.url}/functions/v1/relay-behind-domain`)
}, 60_000)

afterAll(async () => {
  await stack?.stop()
})

let texts = 0
const inboundVia = (relayUrl: string, signedFor?: string) =>
  postInboundSms({
    relayUrl,
    accountSid: ACME.accountSid,
    authToken: ACME.authToken,
    to: ACME.number,
    from: `+1555720${String((texts += 1)).padStart(4, '0')}`,
    body: 'Signed for which URL?',
    ...(signedFor ? { signWith: { url: signedFor } } : {}),
  })

const stored = async (sid: string) =>
  (await stack.service.from('messages').select('id').eq('twilio_sid', sid)).data?.length ?? 0

describe(`Twilio signatures through the functions gateway (relay on ${relayRuntime})`, () => {
  it('stores a webhook signed for the public URL it was posted to', async () => {
    const result = await inboundVia(stack.relayUrl)
    expect(result.status).toBe(200)
    expect(await stored(result.messageSid)).toBe(1)
  })

  it('refuses one signed for the URL the function is handed behind the gateway', async () => {
    const { origin, pathname } = new URL(stack.relayUrl)
    const name = pathname.split('/').at(-1)!
    for (const handed of [`${origin}/twilio/inbound`, `${origin}/${name}/twilio/inbound`]) {
      const result = await inboundVia(stack.relayUrl, handed)
      expect(result.status, handed).toBe(403)
      expect(relayErrorResponseSchema.parse(JSON.parse(result.text)).error.kind).toBe('forbidden')
      expect(await stored(result.messageSid)).toBe(0)
    }
  })

  it('behind a domain of its own, checks the URL its configuration names, not the gateway’s', async () => {
    const signedForDomain = await inboundVia(gatewayUrl, `${customPublicUrl}/twilio/inbound`)
    expect(signedForDomain.status).toBe(200)
    expect(await stored(signedForDomain.messageSid)).toBe(1)
    const signedForGateway = await inboundVia(gatewayUrl)
    expect(signedForGateway.status).toBe(403)
    expect(await stored(signedForGateway.messageSid)).toBe(0)
  })
})
