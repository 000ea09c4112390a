import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds } from '../db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'
import { cliDemoKeyClaims, cliDemoKeys } from '../cli-demo-keys.ts'
import { signApiKey, signLegacyJwt } from '../keys.ts'
import { supabaseFolder } from './test-support.ts'

const password = 'inbox-demo-1'
// Their ids are the ones this backend's seed drew, filled in once it has started.
const ava = { id: '', email: 'ava@acme.test' }
const ben = { id: '', email: 'ben@acme.test' }

let backend: LocalBackend
const { logger, lines } = createMemoryLogger('auth-test')

const client = (key = backend.anonKey): SupabaseClient =>
  createClient(backend.url, key, { auth: { persistSession: false, autoRefreshToken: false } })

async function signIn(email: string) {
  const supabase = client()
  const { data, error } = await supabase.auth.signInWithPassword({ email, password })
  expect(error).toBeNull()
  return { supabase, session: data.session! }
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  const demo = await demoIds(backend.db)
  ava.id = demo.ava
  ben.id = demo.ben
})
afterAll(async () => {
  await backend.stop()
})

const signJwt = (claims: Record<string, unknown>) => signLegacyJwt(backend.jwtSecret, claims)

describe('keys', () => {
  it('the CLI demo keys are the Supabase CLI well-known ones, signed with its well-known secret', async () => {
    const demo = cliDemoKeys.jwtSecret
    expect(await signApiKey(demo, 'anon', cliDemoKeyClaims)).toBe(cliDemoKeys.anonKey)
    expect(await signApiKey(demo, 'service_role', cliDemoKeyClaims)).toBe(cliDemoKeys.serviceRoleKey)
  })

  // The repository's config.toml names the CLI's secret for development; the packaged
  // app's resources hold no config.toml, so there the backend's keys are its own.
  it('a backend started without keys, on a folder whose config.toml names no jwt_secret, has its own and refuses tokens forged with the public CLI secret', async () => {
    const folder = supabaseFolder(undefined)
    const own = await startLocalBackend({ port: 0, seed: true, logger, supabaseDir: folder.dir })
    try {
      expect(own.jwtSecret).not.toBe(cliDemoKeys.jwtSecret)
      expect(decodeJwt(own.anonKey)).toMatchObject({ role: 'anon', iss: 'supabase' })
      expect(decodeJwt(own.serviceRoleKey)).toMatchObject({ role: 'service_role', iss: 'supabase' })
      for (const key of [cliDemoKeys.serviceRoleKey, cliDemoKeys.anonKey]) {
        const response = await fetch(`${own.url}/rest/v1/workspace_twilio_config?select=auth_token`, {
          headers: { apikey: key, authorization: `Bearer ${key}` },
        })
        expect(response.status).toBe(401)
        expect(await response.json()).toMatchObject({ code: 'PGRST301' })
      }
      const listed = await fetch(`${own.url}/auth/v1/admin/users/${ava.id}`, {
        headers: {
          apikey: cliDemoKeys.serviceRoleKey,
          authorization: `Bearer ${cliDemoKeys.serviceRoleKey}`,
        },
      })
      expect(listed.status).toBe(401)
    } finally {
      await own.stop()
      folder.remove()
    }
  })
})

describe('password sign-in', () => {
  it('returns a session whose JWT carries Supabase claims and a stored session', async () => {
    const { supabase, session } = await signIn(ava.email)
    expect(session.token_type).toBe('bearer')
    expect(session.expires_in).toBe(3600)
    expect(session.user).toMatchObject({
      id: ava.id,
      email: ava.email,
      aud: 'authenticated',
      role: 'authenticated',
    })
    const claims = decodeJwt(session.access_token)
    expect(claims).toMatchObject({
      sub: ava.id,
      role: 'authenticated',
      aud: 'authenticated',
      email: ava.email,
      iss: `${backend.url}/auth/v1`,
      aal: 'aal1',
      is_anonymous: false,
    })
    expect(claims.exp! - claims.iat!).toBe(3600)
    const stored = await backend.db.query('select 1 from auth.sessions where id = $1 and user_id = $2', [
      claims.session_id,
      ava.id,
    ])
    expect(stored.rows).toHaveLength(1)

    const { data, error } = await supabase.auth.getUser()
    expect(error).toBeNull()
    expect(data.user).toMatchObject({
      id: ava.id,
      email: ava.email,
      user_metadata: { full_name: 'Ava Thompson' },
    })
  })

  it('refuses a wrong password and an unknown email alike with 400 invalid_credentials', async () => {
    for (const email of [ava.email, 'nobody@acme.test']) {
      const { data, error } = await client().auth.signInWithPassword({ email, password: 'wrong-password' })
      expect(data.session).toBeNull()
      expect(error).toMatchObject({
        status: 400,
        code: 'invalid_credentials',
        message: 'Invalid login credentials',
      })
    }
    expect(lines.join('\n')).not.toContain('wrong-password')
  })
})

describe('refresh tokens', () => {
  it('rotate, and a reused token revokes the whole session family', async () => {
    const { supabase, session } = await signIn(ben.email)
    const first = session.refresh_token
    const refreshed = await supabase.auth.refreshSession({ refresh_token: first })
    expect(refreshed.error).toBeNull()
    const second = refreshed.data.session!
    expect(second.refresh_token).not.toBe(first)
    expect(decodeJwt(second.access_token).session_id).toBe(decodeJwt(session.access_token).session_id)

    // Past GoTrue's 10 s reuse interval, a replay means the token leaked.
    await backend.db.query(
      `update auth.refresh_tokens set updated_at = now() - interval '11 seconds' where token = $1`,
      [first],
    )
    const replay = await client().auth.refreshSession({ refresh_token: first })
    expect(replay.error).toMatchObject({ status: 400, code: 'refresh_token_already_used' })
    // The leaked token's sibling, issued before the replay, is revoked with it.
    const child = await client().auth.refreshSession({ refresh_token: second.refresh_token })
    expect(child.error).toMatchObject({ status: 400, code: 'refresh_token_already_used' })
    const live = await backend.db.query(
      'select 1 from auth.refresh_tokens where session_id = $1 and not revoked',
      [decodeJwt(session.access_token).session_id],
    )
    expect(live.rows).toHaveLength(0)
  })

  it('gives two refreshes racing with one token the same session, as GoTrue does within its reuse interval', async () => {
    const { session } = await signIn(ben.email)
    const [a, b] = await Promise.all([
      client().auth.refreshSession({ refresh_token: session.refresh_token }),
      client().auth.refreshSession({ refresh_token: session.refresh_token }),
    ])
    expect(a.error).toBeNull()
    expect(b.error).toBeNull()
    expect(b.data.session!.refresh_token).toBe(a.data.session!.refresh_token)
    const sessionId = decodeJwt(session.access_token).session_id
    const live = await backend.db.query<{ token: string }>(
      'select token from auth.refresh_tokens where session_id = $1 and not revoked',
      [sessionId],
    )
    expect(live.rows.map((row) => row.token)).toEqual([a.data.session!.refresh_token])
    // A later rotation is followed too: the replay gets the newest token.
    const next = await client().auth.refreshSession({ refresh_token: a.data.session!.refresh_token })
    const late = await client().auth.refreshSession({ refresh_token: session.refresh_token })
    expect(late.data.session!.refresh_token).toBe(next.data.session!.refresh_token)
  })

  it('does not hand out a signed-out session to a token replayed within the interval', async () => {
    const { supabase, session } = await signIn(ben.email)
    const refreshed = await supabase.auth.refreshSession({ refresh_token: session.refresh_token })
    expect(refreshed.error).toBeNull()
    await supabase.auth.signOut()
    const replay = await client().auth.refreshSession({ refresh_token: session.refresh_token })
    expect(replay.data.session).toBeNull()
    expect(replay.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' })
  })

  it('refuses an unknown refresh token', async () => {
    const { error } = await client().auth.refreshSession({ refresh_token: 'not-a-real-token' })
    expect(error).toMatchObject({ status: 400, code: 'refresh_token_not_found' })
  })
})

describe('sign-out', () => {
  it('revokes the session: its refresh token and its access token stop working', async () => {
    const { supabase, session } = await signIn(ava.email)
    const { error } = await supabase.auth.signOut()
    expect(error).toBeNull()
    const refresh = await client().auth.refreshSession({ refresh_token: session.refresh_token })
    expect(refresh.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' })
    const user = await client().auth.getUser(session.access_token)
    expect(user.error?.name).toBe('AuthSessionMissingError')
  })

  it('scope=others keeps the current session and ends the rest', async () => {
    const one = await signIn(ben.email)
    const two = await signIn(ben.email)
    expect((await two.supabase.auth.signOut({ scope: 'others' })).error).toBeNull()
    expect((await client().auth.getUser(one.session.access_token)).error?.name).toBe(
      'AuthSessionMissingError',
    )
    expect((await client().auth.getUser(two.session.access_token)).data.user?.id).toBe(ben.id)
  })
})

describe('access tokens', () => {
  it('an expired or forged JWT is rejected by auth (403 bad_jwt) and REST (401)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const base = { sub: ava.id, role: 'authenticated', aud: 'authenticated', email: ava.email }
    const expired = await signJwt({ ...base, iat: now - 7200, exp: now - 3600 })
    const { data, error } = await client().auth.getUser(expired)
    expect(data.user).toBeNull()
    expect(error).toMatchObject({ status: 403, code: 'bad_jwt' })

    const [header, payload] = (await signJwt({ ...base, exp: now + 3600 })).split('.')
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`
    expect((await client().auth.getUser(forged)).error).toMatchObject({ status: 403, code: 'bad_jwt' })

    for (const [token, code] of [
      [expired, 'PGRST303'],
      [forged, 'PGRST301'],
    ] as const) {
      const response = await fetch(`${backend.url}/rest/v1/contacts?select=id`, {
        headers: { apikey: backend.anonKey, authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ code })
    }
  })

  it('a token issued over 30 s in the future, or without exp, is refused by auth (403 bad_jwt) and REST (401 PGRST303)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const base = { sub: ava.id, role: 'authenticated', aud: 'authenticated', email: ava.email }
    const refusals = [
      {
        token: await signJwt({ ...base, iat: now + 120, exp: now + 3720 }),
        auth: 'invalid JWT: unable to parse or verify signature, token used before issued',
        rest: 'JWT issued at future',
      },
      {
        token: await signJwt({ ...base, iat: now }),
        auth: 'invalid JWT: unable to parse or verify signature, token is missing required claim: exp claim is required',
        rest: "The JWT 'exp' claim must be a number",
      },
    ]
    for (const { token, auth, rest } of refusals) {
      const { data, error } = await client().auth.getUser(token)
      expect(data.user).toBeNull()
      expect(error).toMatchObject({ status: 403, code: 'bad_jwt', message: auth })
      const response = await fetch(`${backend.url}/rest/v1/contacts?select=id`, {
        headers: { apikey: backend.anonKey, authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({ code: 'PGRST303', message: rest, details: null, hint: null })
    }
    // A clock a few seconds ahead of ours is within PostgREST's 30 s skew.
    const skewed = await signJwt({ ...base, iat: now + 20, exp: now + 3620 })
    expect((await client().auth.getUser(skewed)).data.user?.id).toBe(ava.id)
    const response = await fetch(`${backend.url}/rest/v1/contacts?select=id`, {
      headers: { apikey: backend.anonKey, authorization: `Bearer ${skewed}` },
    })
    expect(response.status).toBe(200)
  })

  it('a token signed by the server stops being accepted when its lifetime ends (the TTL is configurable)', async () => {
    // A zero lifetime ends as the token is issued (exp = iat; a token is good only while now < exp),
    // so the expiry is there to check at once, with no waiting for a clock to pass it.
    const shortLived = await startLocalBackend({ port: 0, seed: true, logger, accessTokenTtlSeconds: 0 })
    try {
      // supabase-js takes a session with expires_in 0 for none, so the grant is asked for directly.
      const response = await fetch(`${shortLived.url}/auth/v1/token?grant_type=password`, {
        method: 'POST',
        headers: { apikey: shortLived.anonKey, 'content-type': 'application/json' },
        body: JSON.stringify({ email: ava.email, password }),
      })
      expect(response.status).toBe(200)
      const session = (await response.json()) as { access_token: string; expires_in: number }
      expect(session.expires_in).toBe(0)
      const token = session.access_token
      const claims = decodeJwt(token)
      expect(claims.exp).toBe(claims.iat)
      const supabase = createClient(shortLived.url, shortLived.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      })
      expect((await supabase.auth.getUser(token)).error).toMatchObject({
        status: 403,
        code: 'bad_jwt',
        message: 'invalid JWT: unable to parse or verify signature, token is expired',
      })
      const rest = await fetch(`${shortLived.url}/rest/v1/contacts?select=id`, {
        headers: { apikey: shortLived.anonKey, authorization: `Bearer ${token}` },
      })
      expect(rest.status).toBe(401)
      expect(await rest.json()).toMatchObject({ code: 'PGRST303' })
    } finally {
      await shortLived.stop()
    }
  })
})

describe('admin users', () => {
  it('the service role creates a user who can sign in, then deletes them', async () => {
    const admin = client(backend.serviceRoleKey)
    const email = 'new.agent@acme.test'
    const created = await admin.auth.admin.createUser({
      email,
      password: 'a-long-password',
      email_confirm: true,
      user_metadata: { full_name: 'New Agent' },
    })
    expect(created.error).toBeNull()
    const id = created.data.user!.id
    expect(created.data.user).toMatchObject({ email, user_metadata: { full_name: 'New Agent' } })
    const hash = await backend.db.query<{ encrypted_password: string }>(
      'select encrypted_password from auth.users where id = $1',
      [id],
    )
    expect(hash.rows[0]!.encrypted_password).toMatch(/^\$2a\$10\$/)

    const duplicate = await admin.auth.admin.createUser({
      email,
      password: 'a-long-password',
      email_confirm: true,
    })
    expect(duplicate.error).toMatchObject({ status: 422, code: 'email_exists' })

    const session = await client().auth.signInWithPassword({ email, password: 'a-long-password' })
    expect(session.error).toBeNull()
    expect(session.data.user?.id).toBe(id)

    expect((await admin.auth.admin.deleteUser(id)).error).toBeNull()
    const after = await client().auth.signInWithPassword({ email, password: 'a-long-password' })
    expect(after.error).toMatchObject({ status: 400, code: 'invalid_credentials' })
    expect((await admin.auth.admin.deleteUser(id)).error).toMatchObject({
      status: 404,
      code: 'user_not_found',
    })
  })

  it('refuses the anon key and a user token', async () => {
    const anon = await client().auth.admin.createUser({ email: 'x@acme.test', password: 'a-long-password' })
    expect(anon.error).toMatchObject({ status: 403, code: 'not_admin' })
    const { session } = await signIn(ben.email)
    const asUser = client(session.access_token)
    expect((await asUser.auth.admin.deleteUser(ava.id)).error).toMatchObject({
      status: 403,
      code: 'not_admin',
    })
    const stillThere = await backend.db.query('select 1 from auth.users where id = $1', [ava.id])
    expect(stillThere.rows).toHaveLength(1)
  })

  it('rejects a weak password and a malformed body with GoTrue errors', async () => {
    const admin = client(backend.serviceRoleKey)
    const weak = await admin.auth.admin.createUser({ email: 'weak@acme.test', password: '123' })
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password' })
    const response = await fetch(`${backend.url}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: backend.anonKey, 'content-type': 'application/json' },
      body: '{"email": "ava@acme.test", "password": ',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error_code: 'bad_json' })
  })
})

describe('the agent updates their own account', () => {
  it('changes the password and merges user_metadata (null removes a key), as supabase-js updateUser expects', async () => {
    const admin = client(backend.serviceRoleKey)
    const email = 'dana@acme.test'
    const created = await admin.auth.admin.createUser({
      email,
      password: 'first-password',
      email_confirm: true,
      user_metadata: { full_name: 'Dana', team: 'north' },
    })
    expect(created.error).toBeNull()
    const supabase = client()
    expect((await supabase.auth.signInWithPassword({ email, password: 'first-password' })).error).toBeNull()

    const renamed = await supabase.auth.updateUser({
      data: { full_name: 'Dana Okafor', team: null, shift: 'late' },
    })
    expect(renamed.error).toBeNull()
    expect(renamed.data.user!.user_metadata).toEqual({ full_name: 'Dana Okafor', shift: 'late' })

    const changed = await supabase.auth.updateUser({ password: 'second-password' })
    expect(changed.error).toBeNull()
    expect(
      (await client().auth.signInWithPassword({ email, password: 'first-password' })).error,
    ).toMatchObject({ code: 'invalid_credentials' })
    expect((await client().auth.signInWithPassword({ email, password: 'second-password' })).error).toBeNull()
    expect(lines.join('\n')).not.toContain('second-password')

    expect((await supabase.auth.updateUser({ password: 'second-password' })).error).toMatchObject({
      status: 422,
      code: 'same_password',
    })
    expect((await supabase.auth.updateUser({ password: 'short' })).error).toMatchObject({
      status: 422,
      code: 'weak_password',
    })
    // Email confirmations are off in config.toml, so GoTrue changes the address at once (user.go UserUpdate).
    const moved = await supabase.auth.updateUser({ email: 'elsewhere@acme.test' })
    expect(moved.error).toBeNull()
    expect(moved.data.user!.email).toBe('elsewhere@acme.test')
    await admin.auth.admin.deleteUser(created.data.user!.id)
  })

  it('needs a valid session to update anything', async () => {
    const response = await fetch(`${backend.url}/auth/v1/user`, {
      method: 'PUT',
      headers: {
        apikey: backend.anonKey,
        Authorization: `Bearer ${backend.anonKey}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ password: 'whatever-it-is' }),
    })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ error_code: expect.any(String) })
  })
})

describe('health and settings', () => {
  it('answers the endpoints supabase-js and the CLI probe', async () => {
    const health = await fetch(`${backend.url}/auth/v1/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ name: 'GoTrue' })
    const settings = await fetch(`${backend.url}/auth/v1/settings`, { headers: { apikey: backend.anonKey } })
    expect(await settings.json()).toMatchObject({ external: { email: true } })
  })
})
