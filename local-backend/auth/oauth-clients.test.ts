import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

// The OAuth 2.1 server's client registry as GoTrue answers it, through supabase-js's
// auth.admin.oauth: supabase/auth internal/api/oauthserver/handlers.go (responses, 201/204),
// service.go (validation, defaults, secrets), api.go (the /admin/oauth routes and their order).
let open: LocalBackend
let off: LocalBackend
let oauth: SupabaseClient['auth']['admin']['oauth']
const logger = createMemoryLogger('oauth-clients').logger

const client = (backend: LocalBackend, key: string): SupabaseClient =>
  createClient(backend.url, key, { auth: { persistSession: false, autoRefreshToken: false } })

beforeAll(async () => {
  open = await startLocalBackend({ port: 0, logger, auth: { oauthServerEnabled: true } })
  off = await startLocalBackend({ port: 0, logger })
  oauth = client(open, open.secretKey).auth.admin.oauth
})
afterAll(async () => {
  await open.stop()
  await off.stop()
})

const registration = {
  client_name: 'Shift planner',
  redirect_uris: ['https://planner.example.test/callback', 'http://localhost:3000/callback'],
}

describe('registering a client (AdminOAuthServerClientRegister)', () => {
  it('answers 201 with a confidential client, its secret once, and the defaults service.go applies', async () => {
    const { data, error } = await oauth.createClient(registration)
    expect(error).toBeNull()
    expect(data).toMatchObject({
      client_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      client_secret: expect.stringMatching(/^[\w-]{43}$/),
      client_type: 'confidential',
      client_name: 'Shift planner',
      redirect_uris: registration.redirect_uris,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      registration_type: 'manual',
    })
    expect(data).not.toHaveProperty('logo_uri')
  })

  it('makes a public client, with no secret, when its auth method is none', async () => {
    const { data } = await oauth.createClient({ ...registration, token_endpoint_auth_method: 'none' })
    expect(data).toMatchObject({ client_type: 'public', token_endpoint_auth_method: 'none' })
    expect(data).not.toHaveProperty('client_secret')
  })

  it.each([
    [{ ...registration, redirect_uris: [] }, '400: redirect_uris is required'],
    [
      { ...registration, redirect_uris: ['http://planner.example.test/cb'] },
      "400: invalid redirect_uri 'http://planner.example.test/cb': HTTP scheme only allowed for localhost",
    ],
    [
      { ...registration, redirect_uris: ['https://planner.example.test/cb#x'] },
      "400: invalid redirect_uri 'https://planner.example.test/cb#x': fragment not allowed in redirect URI",
    ],
    [
      { ...registration, grant_types: ['password'] },
      "400: grant_types must only contain 'authorization_code' and/or 'refresh_token'",
    ],
    [
      { ...registration, client_type: 'public', token_endpoint_auth_method: 'client_secret_post' },
      "400: client_type 'public' is inconsistent with token_endpoint_auth_method 'client_secret_post' (expected client_type 'confidential')",
    ],
  ])('refuses %j with 400 validation_failed: %s', async (params, message) => {
    const { data, error } = await oauth.createClient(params as Parameters<typeof oauth.createClient>[0])
    expect(data).toBeNull()
    expect(error).toMatchObject({ status: 400, code: 'validation_failed', message })
  })
})

describe('a registered client (OAuthServerClientGet, Update, Delete, RegenerateSecret, List)', () => {
  const registered = async () => (await oauth.createClient(registration)).data!

  it('reads back without its secret', async () => {
    const made = await registered()
    const { data, error } = await oauth.getClient(made.client_id)
    expect(error).toBeNull()
    expect(data).toEqual({ ...made, client_secret: undefined })
    expect(data).not.toHaveProperty('client_secret')
  })

  it('updates only the fields sent, and refuses an update that sends none', async () => {
    const made = await registered()
    const { data } = await oauth.updateClient(made.client_id, {
      logo_uri: 'https://planner.example.test/logo.png',
    })
    expect(data).toMatchObject({
      client_name: 'Shift planner',
      logo_uri: 'https://planner.example.test/logo.png',
    })
    const empty = await oauth.updateClient(made.client_id, {})
    expect(empty.error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'No fields provided for update',
    })
  })

  it('regenerates a confidential client’s secret, and refuses a public client’s', async () => {
    const made = await registered()
    const { data } = await oauth.regenerateClientSecret(made.client_id)
    expect(data!.client_secret).toMatch(/^[\w-]{43}$/)
    expect(data!.client_secret).not.toBe(made.client_secret)
    const publicClient = (await oauth.createClient({ ...registration, token_endpoint_auth_method: 'none' }))
      .data!
    const refused = await oauth.regenerateClientSecret(publicClient.client_id)
    expect(refused.error).toMatchObject({
      status: 400,
      message: 'Cannot regenerate secret for public client',
    })
  })

  it('deletes with 204; the client is then not found, and left out of the list', async () => {
    const kept = await registered()
    const made = await registered()
    const deleted = await fetch(`${open.url}/auth/v1/admin/oauth/clients/${made.client_id}`, {
      method: 'DELETE',
      headers: { apikey: open.secretKey },
    })
    expect(deleted.status).toBe(204)
    const gone = await oauth.getClient(made.client_id)
    expect(gone.error).toMatchObject({ status: 404, code: 'oauth_client_not_found' })
    const ids = (await oauth.listClients()).data.clients.map((listed) => listed.client_id)
    expect(ids).toContain(kept.client_id)
    expect(ids).not.toContain(made.client_id)
  })

  it('lists the newest first', async () => {
    const first = await registered()
    const second = await registered()
    const ids = (await oauth.listClients()).data.clients.map((listed) => listed.client_id)
    expect(ids.indexOf(second.client_id)).toBeLessThan(ids.indexOf(first.client_id))
  })

  it('answers 400 for a client id that is not a uuid, 404 for one that names nobody', async () => {
    const malformed = await oauth.getClient('not-a-uuid')
    expect(malformed.error).toMatchObject({ status: 400, message: 'invalid client_id format' })
    const unknown = await oauth.getClient('00000000-0000-4000-8000-000000000000')
    expect(unknown.error).toMatchObject({ status: 404, code: 'oauth_client_not_found' })
  })
})

describe('who may reach the registry (api.go: requireAdmin, then requireOAuthServerEnabled)', () => {
  it('refuses the publishable key before anything else', async () => {
    const { error } = await client(open, open.publishableKey).auth.admin.oauth.listClients()
    expect(error).toMatchObject({ status: 403, code: 'not_admin' })
  })

  it('answers 404 feature_disabled where [auth.oauth_server] is off, as the CLI’s default config has it', async () => {
    const { error } = await client(off, off.secretKey).auth.admin.oauth.listClients()
    expect(error).toMatchObject({
      status: 404,
      code: 'feature_disabled',
      message: 'OAuth server is disabled',
    })
  })
})
