import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { accessToken } from './demo-accounts.ts'

/*
 * The relay's limits live in Postgres (relay_take_rate_token), so relays sharing one
 * backend draw on one allowance, and a relay started later (a restart, a new Edge
 * Function isolate) finds the count where the others left it. A body of `{}` takes the
 * agent's token and is then refused as invalid (400), so no send reaches Twilio; a
 * refusal by the limit is 429.
 */

let stack: RelayStack
let benToken: string
const roomy = { burst: 1000, perSecond: 100 }
// Refills one token in 100 s: none comes back while a test runs.
const agentLimit = { perAgent: { burst: 4, perSecond: 0.01 }, perIp: roomy }
const ipLimit = { perAgent: roomy, perIp: { burst: 3, perSecond: 0.01 } }

beforeAll(async () => {
  stack = await startRelayStack()
  benToken = await accessToken(stack.backend, 'ben@acme.test')
}, 60_000)

afterAll(async () => {
  await stack?.stop()
})

async function post(relayUrl: string, token: string | null) {
  const response = await fetch(`${relayUrl}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: '{}',
  })
  await response.body?.cancel()
  return response.status
}

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>(
    (counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
    {},
  )

describe('rate limits shared through Postgres', () => {
  it('two relays on one backend hold one agent to one limit together, even when hit at once', async () => {
    const [a, b] = await Promise.all(
      ['limited-a', 'limited-b'].map((name) =>
        stack.mountRelay({ name, twilioApiBaseUrl: stack.double.url, rateLimits: agentLimit }),
      ),
    )
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post((i % 2 === 0 ? a! : b!).relayUrl, benToken)),
    )
    console.log('shared agent limit over two relays:', tally(statuses))
    expect(tally(statuses)).toEqual({ 400: 4, 429: 6 })

    // A relay that starts now, as after a restart, starts from the shared count, not a full bucket.
    const restarted = await stack.mountRelay({
      name: 'limited-restarted',
      twilioApiBaseUrl: stack.double.url,
      rateLimits: agentLimit,
    })
    expect(await post(restarted.relayUrl, benToken)).toBe(429)
  })

  it('the per-address limit is shared too, and is taken before the token is read', async () => {
    const [a, b] = await Promise.all(
      ['ip-limited-a', 'ip-limited-b'].map((name) =>
        stack.mountRelay({ name, twilioApiBaseUrl: stack.double.url, rateLimits: ipLimit }),
      ),
    )
    const statuses = []
    for (const relay of [a!, b!, a!, b!]) statuses.push(await post(relay.relayUrl, null))
    expect(statuses).toEqual([401, 401, 401, 429])
  })
})
