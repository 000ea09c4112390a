import { createClient } from '@supabase/supabase-js'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { cliDemoKeys } from './cli-demo-keys.ts'
import { startLocalBackend, type LocalBackend } from './index.ts'
import { generateApiKey, generateProjectKeys, secretKeyPrefix, signLegacyJwt } from './keys.ts'

/**
 * The key model of hosted Supabase today, as the embedded backend serves it: ES256
 * user tokens with a kid published at /auth/v1/.well-known/jwks.json (GoTrue's
 * `internal/api/jwks.go`), and the publishable and secret API keys the gateway maps
 * to the anon and service_role roles (supabase.com/docs/guides/api/api-keys).
 */
let backend: LocalBackend
beforeAll(async () => {
  // Keys as an installation generates them (the repository's config.toml names the CLI's public secret).
  backend = await startLocalBackend({
    port: 0,
    seed: true,
    keys: await generateProjectKeys(),
    logger: createMemoryLogger('api-keys').logger,
  })
})
afterAll(async () => {
  await backend.stop()
})

const noSession = { auth: { persistSession: false, autoRefreshToken: false } }
const browserUserAgent =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

async function signedIn(email: string) {
  const client = createClient(backend.url, backend.publishableKey, noSession)
  const { data, error } = await client.auth.signInWithPassword({ email, password: 'inbox-demo-1' })
  expect(error).toBeNull()
  return { client, session: data.session! }
}

describe('signing keys', () => {
  it('a session signed in with the publishable key has an ES256 token whose kid the JWKS publishes, and it verifies against it', async () => {
    const { session } = await signedIn('ben@acme.test')
    const header = decodeProtectedHeader(session.access_token)
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' })
    const jwks = (await (await fetch(backend.jwksUrl)).json()) as { keys: Record<string, unknown>[] }
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid)
    // Public halves only: no private parameter ever leaves the backend.
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' })
      expect(key).not.toHaveProperty('d')
    }
    const { payload } = await jwtVerify(session.access_token, createRemoteJWKSet(new URL(backend.jwksUrl)), {
      issuer: `${backend.url}/auth/v1`,
    })
    expect(payload).toMatchObject({ sub: session.user.id, role: 'authenticated' })
  })

  it('supabase-js getClaims() verifies the session locally against the JWKS, and refuses a tampered token', async () => {
    const { client, session } = await signedIn('ava@acme.test')
    const { data, error } = await client.auth.getClaims()
    expect(error).toBeNull()
    expect(data?.header).toMatchObject({ alg: 'ES256', kid: decodeProtectedHeader(session.access_token).kid })
    expect(data?.claims).toMatchObject({ sub: session.user.id, email: 'ava@acme.test' })

    const [head, payload, signature] = session.access_token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>
    const forged = [
      head,
      Buffer.from(JSON.stringify({ ...claims, role: 'service_role' })).toString('base64url'),
      signature,
    ].join('.')
    const refused = await client.auth.getClaims(forged)
    expect(refused.data).toBeNull()
    expect(refused.error?.message).toMatch(/signature/i)
  })

  it('REST and auth accept the ES256 session, and legacy HS256 tokens signed with the project secret still work', async () => {
    const { client } = await signedIn('ben@acme.test')
    const { data, error } = await client.from('workspaces').select('name')
    expect(error).toBeNull()
    expect(data).toEqual([{ name: 'Acme Support' }])
    expect((await client.auth.getUser()).data.user?.email).toBe('ben@acme.test')

    const legacy = createClient(backend.url, backend.serviceRoleKey, noSession)
    expect((await legacy.from('workspaces').select('name')).data).toHaveLength(2)
    const forged = await signLegacyJwt(cliDemoKeys.jwtSecret, { role: 'service_role', exp: 2_000_000_000 })
    const refused = await fetch(`${backend.url}/rest/v1/workspaces`, {
      headers: { authorization: `Bearer ${forged}` },
    })
    expect(refused.status).toBe(401)
  })
})

describe('API keys', () => {
  it('the publishable key is the anon role, which the schema grants nothing', async () => {
    const anon = createClient(backend.url, backend.publishableKey, noSession)
    for (const table of ['workspaces', 'workspace_twilio_config']) {
      const { data, error } = await anon.from(table).select('*')
      expect(data).toBeNull()
      expect(error).toMatchObject({ code: '42501', message: `permission denied for table ${table}` })
    }
  })

  it('the secret key is the service role, from a server: past RLS, and the auth admin API', async () => {
    const service = createClient(backend.url, backend.secretKey, noSession)
    expect((await service.from('workspace_twilio_config').select('auth_token')).data).toHaveLength(2)
    // The key alone in `apikey`, as hosted's troubleshooting guide sends it.
    const listed = await fetch(`${backend.url}/auth/v1/admin/users/00000000-0000-4000-8000-000000000000`, {
      headers: { apikey: backend.secretKey },
    })
    expect(listed.status).toBe(404)
  })

  it('a secret key sent from a browser is refused with 401, as hosted refuses it; the publishable key is not', async () => {
    for (const headers of [
      { apikey: backend.secretKey, 'user-agent': browserUserAgent } as Record<string, string>,
      {
        apikey: backend.secretKey,
        authorization: `Bearer ${backend.secretKey}`,
        'user-agent': browserUserAgent,
      },
    ]) {
      const response = await fetch(`${backend.url}/rest/v1/workspace_twilio_config?select=auth_token`, {
        headers,
      })
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({
        message: 'Forbidden use of secret API key in browser',
        hint: expect.stringMatching(/never be used in a browser/),
      })
    }
    const broadcast = await fetch(`${backend.url}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: {
        apikey: backend.secretKey,
        'user-agent': browserUserAgent,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ messages: [{ topic: 'room', event: 'hello', payload: {} }] }),
    })
    expect(broadcast.status).toBe(401)
    expect(await broadcast.json()).toMatchObject({ message: 'Forbidden use of secret API key in browser' })
    // The publishable key passes the gateway and reaches the database, which answers for anon.
    const anon = await fetch(`${backend.url}/rest/v1/workspaces?select=name`, {
      headers: { apikey: backend.publishableKey, 'user-agent': browserUserAgent },
    })
    expect(await anon.json()).toMatchObject({ code: '42501' })
  })

  it('an API key the project does not have is refused, never taken for anon', async () => {
    for (const key of [
      generateApiKey(secretKeyPrefix),
      cliDemoKeys.secretKeys[0]!,
      cliDemoKeys.publishableKeys[0]!,
    ]) {
      const response = await fetch(`${backend.url}/rest/v1/workspaces?select=name`, {
        headers: { apikey: key },
      })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ message: 'Invalid API key' })
    }
  })

  it('realtime takes the publishable key at the handshake and a signed-in ES256 session on the channel', async () => {
    const { client } = await signedIn('ben@acme.test')
    const status = await new Promise<string>((resolve) => {
      client
        .channel('inbox-keys')
        .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'messages' }, () => undefined)
        .subscribe((state) => {
          if (state !== 'CLOSED') resolve(state)
        })
    })
    expect(status).toBe('SUBSCRIBED')
    await client.removeAllChannels()
  })
})
