import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from './index.ts'

// Limits small enough to reach in a test, and far apart so each test meets only its own.
// Every test speaks from its own loopback addresses (127.0.0.0/8 is all local), so the
// server sees a different socket address per client, as it would on a network.
const limits = {
  perUser: { burst: 5, perSecond: 0.001 },
  perIp: { burst: 20, perSecond: 0.001 },
  tokenPerIp: { burst: 4, perSecond: 0.001 },
  signInPerEmail: { burst: 3, perSecond: 0.001 },
}
let backend: LocalBackend

beforeAll(async () => {
  backend = await startLocalBackend({
    port: 0,
    seed: true,
    rateLimits: limits,
    logger: createMemoryLogger('rate-limits').logger,
  })
})
afterAll(async () => {
  await backend.stop()
})

interface Answer {
  status: number
  retryAfter: string | undefined
  body: unknown
}

/** One HTTP request sent from `from`, a loopback address of the test's choosing. */
function send(
  from: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body)
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${backend.url}${path}`,
      {
        method: options.method ?? 'GET',
        localAddress: from,
        headers: {
          apikey: backend.anonKey,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          resolve({
            status: incoming.statusCode ?? 0,
            retryAfter: incoming.headers['retry-after'],
            body: text ? (JSON.parse(text) as unknown) : null,
          })
        })
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

const signIn = (from: string, email: string, password = 'inbox-demo-1') =>
  send(from, '/auth/v1/token?grant_type=password', { method: 'POST', body: { email, password } })

async function tokenOf(from: string, email: string): Promise<string> {
  const answer = await signIn(from, email)
  expect(answer.status).toBe(200)
  return (answer.body as { access_token: string }).access_token
}

const contacts = '/rest/v1/contacts?select=id&limit=1'
const restRefusal = { message: 'API rate limit exceeded' }
const authRefusal = { code: 429, error_code: 'over_request_rate_limit', msg: 'Request rate limit reached' }

describe('rate limits count each user and each address on its own', () => {
  it('one user past the limit gets 429; another user at the same address still gets 200', async () => {
    const from = '127.0.0.20'
    const ben = await tokenOf(from, 'ben@acme.test')
    const cleo = await tokenOf(from, 'cleo@globex.test')
    for (let i = 0; i < limits.perUser.burst; i++)
      expect((await send(from, contacts, { token: ben })).status).toBe(200)
    const refused = await send(from, contacts, { token: ben })
    expect(refused).toMatchObject({ status: 429, body: restRefusal })
    expect(Number(refused.retryAfter)).toBeGreaterThan(0)
    // The same user is the same bucket whichever address it comes from, and auth counts too.
    expect((await send('127.0.0.21', contacts, { token: ben })).status).toBe(429)
    expect(await send('127.0.0.21', '/auth/v1/user', { token: ben })).toMatchObject({
      status: 429,
      body: authRefusal,
    })
    expect((await send(from, contacts, { token: cleo })).status).toBe(200)
  })

  it('one address past the limit gets 429; another address still gets 200; the service role is not counted', async () => {
    const from = '127.0.0.30'
    for (let i = 0; i < limits.perIp.burst; i++) expect((await send(from, contacts)).status).toBe(401)
    expect(await send(from, contacts)).toMatchObject({ status: 429, body: restRefusal })
    expect(await send(from, '/auth/v1/settings')).toMatchObject({ status: 429, body: authRefusal })
    expect((await send('127.0.0.31', contacts)).status).toBe(401)
    expect((await send(from, contacts, { token: backend.serviceRoleKey })).status).toBe(200)
  })

  it('limits /auth/v1/token per address: the next sign-in gets GoTrue’s 429, another address signs in', async () => {
    const from = '127.0.0.40'
    const refresh = () =>
      send(from, '/auth/v1/token?grant_type=refresh_token', {
        method: 'POST',
        body: { refresh_token: 'guess' },
      })
    for (let i = 0; i < limits.tokenPerIp.burst; i++) expect((await refresh()).status).toBe(400)
    expect(await signIn(from, 'cleo@globex.test')).toMatchObject({ status: 429, body: authRefusal })
    expect((await signIn('127.0.0.41', 'cleo@globex.test')).status).toBe(200)
  })

  it('limits password guesses per email from any address; other accounts still sign in', async () => {
    for (const from of ['127.0.0.50', '127.0.0.51', '127.0.0.52'])
      expect(await signIn(from, 'Ava@Acme.test', 'wrong guess')).toMatchObject({
        status: 400,
        body: { error_code: 'invalid_credentials' },
      })
    // Even the right password waits now: a guesser cannot tell it was right.
    expect(await signIn('127.0.0.53', 'ava@acme.test')).toMatchObject({ status: 429, body: authRefusal })
    expect((await signIn('127.0.0.50', 'ben@acme.test')).status).toBe(200)
  })
})
