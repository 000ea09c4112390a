import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'
import { supabaseFolder } from './test-support.ts'

// A backend configured as auth-js's own test project is (sign-ups on, anonymous sign-ins on),
// once with email confirmations off (autoconfirm) and once with them on.
let open: LocalBackend
let confirming: LocalBackend
const logger = createMemoryLogger('signup-test').logger

const client = (backend: LocalBackend): SupabaseClient =>
  createClient(backend.url, backend.anonKey, { auth: { persistSession: false, autoRefreshToken: false } })

beforeAll(async () => {
  const auth = { signupEnabled: true, anonymousSignInsEnabled: true }
  open = await startLocalBackend({ port: 0, seed: true, logger, auth })
  confirming = await startLocalBackend({
    port: 0,
    seed: true,
    logger,
    auth: { ...auth, mailerAutoconfirm: false },
  })
})
afterAll(async () => {
  await open.stop()
  await confirming.stop()
})

describe('sign-up (GoTrue internal/api/signup.go)', () => {
  it('with autoconfirm, answers a session whose user has an email identity carrying identity_data', async () => {
    const email = 'new.person@example.test'
    const { data, error } = await client(open).auth.signUp({
      email,
      password: 'a-fine-password',
      options: { data: { full_name: 'New Person' } },
    })
    expect(error).toBeNull()
    expect(data.session).not.toBeNull()
    const user = data.user!
    expect(user).toMatchObject({
      email,
      user_metadata: { full_name: 'New Person' },
      app_metadata: { provider: 'email', providers: ['email'] },
      is_anonymous: false,
    })
    expect(user.email_confirmed_at).toEqual(expect.any(String))
    expect(user.identities).toHaveLength(1)
    expect(user.identities![0]).toMatchObject({
      provider: 'email',
      id: user.id,
      user_id: user.id,
      identity_id: expect.any(String),
      identity_data: {
        sub: user.id,
        email,
        email_verified: false,
        phone_verified: false,
        full_name: 'New Person',
      },
    })
    expect(decodeJwt(data.session!.access_token)).toMatchObject({
      sub: user.id,
      amr: [{ method: 'password' }],
    })
  })

  it('refuses the same address twice with user_already_exists, in the body and the x-sb-error-code header', async () => {
    const body = JSON.stringify({ email: 'twice@example.test', password: 'a-fine-password' })
    const post = () =>
      fetch(`${open.url}/auth/v1/signup`, {
        method: 'POST',
        headers: { apikey: open.anonKey, 'content-type': 'application/json' },
        body,
      })
    expect((await post()).status).toBe(200)
    const again = await post()
    expect(again.status).toBe(422)
    expect(again.headers.get('x-sb-error-code')).toBe('user_already_exists')
    expect(await again.json()).toMatchObject({
      error_code: 'user_already_exists',
      msg: 'User already registered',
    })
  })

  it('names what a weak password lacks (password.go checkPasswordStrength) and refuses a malformed address', async () => {
    const weak = await client(open).auth.signUp({ email: 'weak@example.test', password: '123' })
    expect(weak.error).toMatchObject({
      status: 422,
      code: 'weak_password',
      message: 'Password should be at least 6 characters.',
      reasons: ['length'],
    })
    const malformed = await client(open).auth.signUp({ email: 'not-an-address', password: 'a-fine-password' })
    expect(malformed.error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'Unable to validate email address: invalid format',
    })
  })

  it('with confirmations on, answers the bare user and mails a code that verifyOtp trades for a session', async () => {
    const email = 'confirm.me@example.test'
    const supabase = client(confirming)
    const { data, error } = await supabase.auth.signUp({ email, password: 'a-fine-password' })
    expect(error).toBeNull()
    expect(data.session).toBeNull()
    expect(data.user!.email_confirmed_at).toBeUndefined()
    expect(data.user!.confirmation_sent_at).toEqual(expect.any(String))
    const refused = await supabase.auth.signInWithPassword({ email, password: 'a-fine-password' })
    expect(refused.error).toMatchObject({ status: 400, code: 'email_not_confirmed' })

    const [mail] = confirming.outbox.list(email)
    expect(mail).toMatchObject({ kind: 'confirmation', otp: expect.stringMatching(/^\d{6}$/) })
    expect(mail!.link).toContain('type=signup')
    const wrong = await supabase.auth.verifyOtp({ email, token: '000000', type: 'email' })
    expect(wrong.error).toMatchObject({ status: 403, code: 'otp_expired' })
    const verified = await supabase.auth.verifyOtp({ email, token: mail!.otp, type: 'email' })
    expect(verified.error).toBeNull()
    expect(verified.data.user!.email_confirmed_at).toEqual(expect.any(String))
    const reused = await supabase.auth.verifyOtp({ email, token: mail!.otp, type: 'email' })
    expect(reused.error).toMatchObject({ code: 'otp_expired' })
  })

  it('with enable_signup = false in config.toml, refuses with 422 signup_disabled', async () => {
    const folder = supabaseFolder('[auth]\nenable_signup = false\n')
    const closed = await startLocalBackend({ port: 0, seed: true, logger, supabaseDir: folder.dir })
    try {
      const { error } = await client(closed).auth.signUp({
        email: 'x@example.test',
        password: 'a-fine-password',
      })
      expect(error).toMatchObject({ status: 422, code: 'signup_disabled' })
      const anonymous = await client(closed).auth.signInAnonymously()
      expect(anonymous.error).toMatchObject({ status: 422, code: 'anonymous_provider_disabled' })
    } finally {
      await closed.stop()
      folder.remove()
    }
  })
})

describe('anonymous sign-ins (GoTrue internal/api/anonymous.go)', () => {
  it('give an anonymous user, no identities, and an is_anonymous token', async () => {
    const { data, error } = await client(open).auth.signInAnonymously({
      options: { data: { plan: 'trial' } },
    })
    expect(error).toBeNull()
    expect(data.user).toMatchObject({
      is_anonymous: true,
      email: '',
      identities: [],
      user_metadata: { plan: 'trial' },
    })
    expect(decodeJwt(data.session!.access_token)).toMatchObject({ is_anonymous: true, role: 'authenticated' })
  })

  it('are refused with anonymous_provider_disabled when sign-ups are on but anonymous ones are not', async () => {
    const { error } = await client(confirming).auth.signInAnonymously()
    expect(error).toBeNull()
    const strict = await startLocalBackend({ port: 0, seed: true, logger, auth: { signupEnabled: true } })
    try {
      const refused = await client(strict).auth.signInAnonymously()
      expect(refused.error).toMatchObject({ status: 422, code: 'anonymous_provider_disabled' })
    } finally {
      await strict.stop()
    }
  })
})
