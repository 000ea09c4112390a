import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

// The admin API as GoTrue serves it (internal/api/admin.go, invite.go, mail.go), through supabase-js's auth.admin.
let backend: LocalBackend
let admin: SupabaseClient['auth']['admin']

const client = (key: string): SupabaseClient =>
  createClient(backend.url, key, { auth: { persistSession: false, autoRefreshToken: false } })

const createUser = async (email: string, extra: Record<string, unknown> = {}) => {
  const { data, error } = await admin.createUser({
    email,
    password: 'a-fine-password',
    email_confirm: true,
    ...extra,
  })
  expect(error).toBeNull()
  return data.user!
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger: createMemoryLogger('admin-test').logger })
  admin = client(backend.serviceRoleKey).auth.admin
})
afterAll(async () => {
  await backend.stop()
})

describe('admin users', () => {
  it('createUser gives an email identity and keeps user_metadata and app_metadata beside the providers', async () => {
    const user = await createUser('meta@example.test', {
      user_metadata: { full_name: 'Meta' },
      app_metadata: { roles: ['editor'] },
    })
    expect(user).toMatchObject({
      user_metadata: { full_name: 'Meta' },
      app_metadata: { provider: 'email', providers: ['email'], roles: ['editor'] },
      identities: [{ provider: 'email', identity_data: { email: 'meta@example.test', sub: user.id } }],
    })
  })

  it('listUsers pages with page/per_page, X-Total-Count and a Link header as pagination.go writes them', async () => {
    for (const n of [1, 2, 3]) await createUser(`page${n}@example.test`)
    const response = await fetch(`${backend.url}/auth/v1/admin/users?page=1&per_page=2`, {
      headers: { apikey: backend.serviceRoleKey, authorization: `Bearer ${backend.serviceRoleKey}` },
    })
    const total = Number(response.headers.get('x-total-count'))
    expect(total).toBeGreaterThanOrEqual(3)
    const lastPage = Math.ceil(total / 2)
    expect(response.headers.get('link')).toBe(
      `</auth/v1/admin/users?page=2&per_page=2>; rel="next", </auth/v1/admin/users?page=${lastPage}&per_page=2>; rel="last"`,
    )
    const body = (await response.json()) as { users: unknown[]; aud: string }
    expect(body.users).toHaveLength(2)
    expect(body.aud).toBe('authenticated')

    const { data, error } = await admin.listUsers({ page: 2, perPage: 2 })
    expect(error).toBeNull()
    expect(data).toMatchObject({ total, lastPage, nextPage: lastPage > 2 ? 3 : null })
    const all = await admin.listUsers({ perPage: 1000 })
    expect(all.data.users.map((u) => u.email)).toEqual(
      expect.arrayContaining(['page1@example.test', 'page3@example.test']),
    )
    const bad = await admin.listUsers({ page: -1, perPage: 10 })
    expect(bad.error).toMatchObject({ status: 400, code: 'validation_failed' })
  })

  it('updateUserById changes email, password, metadata and email_confirm; a ban refuses sign-in until lifted', async () => {
    const user = await createUser('before@example.test', {
      email_confirm: false,
      user_metadata: { a: 1, b: 2 },
    })
    const updated = await admin.updateUserById(user.id, {
      email: 'after@example.test',
      password: 'another-password',
      user_metadata: { b: null, c: 3 },
      app_metadata: { tier: 'gold' },
      email_confirm: true,
    })
    expect(updated.error).toBeNull()
    expect(updated.data.user).toMatchObject({
      email: 'after@example.test',
      user_metadata: { a: 1, c: 3 },
      app_metadata: { tier: 'gold', provider: 'email' },
      email_confirmed_at: expect.any(String),
    })
    const signIn = () =>
      client(backend.anonKey).auth.signInWithPassword({
        email: 'after@example.test',
        password: 'another-password',
      })
    expect((await signIn()).error).toBeNull()

    const banned = await admin.updateUserById(user.id, { ban_duration: '24h' })
    expect(Date.parse(banned.data.user!.banned_until!)).toBeGreaterThan(Date.now() + 23 * 3600_000)
    expect((await signIn()).error).toMatchObject({ status: 400, code: 'user_banned' })
    expect((await admin.updateUserById(user.id, { ban_duration: 'forever' })).error).toMatchObject({
      status: 400,
      code: 'validation_failed',
    })
    await admin.updateUserById(user.id, { ban_duration: 'none' })
    expect((await signIn()).error).toBeNull()
  })

  it('getUserById and deleteUser answer 404 user_not_found for an unknown id; a soft delete keeps the row but not the account', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000'
    expect((await admin.getUserById(unknown)).error).toMatchObject({ status: 404, code: 'user_not_found' })
    expect((await admin.deleteUser(unknown)).error).toMatchObject({ status: 404, code: 'user_not_found' })

    const soft = await createUser('soft@example.test')
    expect((await admin.deleteUser(soft.id, true)).error).toBeNull()
    const row = await backend.db.query<{ deleted_at: Date | null; email: string | null }>(
      'select deleted_at, email from auth.users where id = $1',
      [soft.id],
    )
    expect(row.rows[0]).toMatchObject({ deleted_at: expect.any(Date), email: null })
    expect((await admin.getUserById(soft.id)).error).toMatchObject({ code: 'user_not_found' })

    const hard = await createUser('hard@example.test')
    expect((await admin.deleteUser(hard.id)).error).toBeNull()
    expect((await backend.db.query('select 1 from auth.users where id = $1', [hard.id])).rows).toHaveLength(0)
  })

  it('inviteUserByEmail creates an invited user and mails a link that /verify redeems', async () => {
    const email = 'invited@example.test'
    const { data, error } = await admin.inviteUserByEmail(email, { data: { team: 'north' } })
    expect(error).toBeNull()
    expect(data.user).toMatchObject({
      email,
      invited_at: expect.any(String),
      user_metadata: { team: 'north' },
    })
    const [mail] = backend.outbox.list(email)
    expect(mail).toMatchObject({ kind: 'invite' })
    const followed = await fetch(mail!.link, { redirect: 'manual' })
    expect(followed.status).toBe(303)
    const location = new URL(followed.headers.get('location')!)
    expect(location.origin).toBe('http://127.0.0.1:5173')
    const fragment = new URLSearchParams(location.hash.slice(1))
    expect(fragment.get('type')).toBe('invite')
    const me = await client(fragment.get('access_token')!).auth.getUser(fragment.get('access_token')!)
    expect(me.data.user).toMatchObject({ email, email_confirmed_at: expect.any(String) })
    const invalid = await admin.inviteUserByEmail('not an address')
    expect(invalid.error).toMatchObject({
      status: 400,
      message: 'Unable to validate email address: invalid format',
    })
  })

  it('generateLink hands back the magic link, code and hash without mailing them; an unknown recovery address is 404', async () => {
    const user = await createUser('linked@example.test')
    const before = backend.outbox.list('linked@example.test').length
    const { data, error } = await admin.generateLink({
      type: 'magiclink',
      email: 'linked@example.test',
      options: { redirectTo: 'https://evil.example/steal' },
    })
    expect(error).toBeNull()
    expect(data.user!.id).toBe(user.id)
    expect(data.properties).toMatchObject({
      verification_type: 'magiclink',
      email_otp: expect.stringMatching(/^\d{6}$/),
      hashed_token: expect.stringMatching(/^[0-9a-f]{56}$/),
      // Not in additional_redirect_urls, so GoTrue falls back to site_url.
      redirect_to: 'http://127.0.0.1:5173',
    })
    expect(backend.outbox.list('linked@example.test')).toHaveLength(before)
    const session = await client(backend.anonKey).auth.verifyOtp({
      token_hash: data.properties!.hashed_token,
      type: 'magiclink',
    })
    expect(session.error).toBeNull()
    expect(session.data.user!.id).toBe(user.id)

    const missing = await admin.generateLink({ type: 'recovery', email: 'nobody@example.test' })
    expect(missing.error).toMatchObject({ status: 404, code: 'user_not_found' })
  })

  it('refuses anyone but the service role with 403 not_admin', async () => {
    const anon = await client(backend.anonKey).auth.admin.listUsers()
    expect(anon.error).toMatchObject({ status: 403, code: 'not_admin' })
    const response = await fetch(`${backend.url}/auth/v1/invite`, {
      method: 'POST',
      headers: { apikey: backend.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'sneaky@example.test' }),
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('x-sb-error-code')).toBe('not_admin')
  })
})
