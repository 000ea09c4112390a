import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

// The flows GoTrue completes by email (otp.go, magic_link.go, recover.go, reauthenticate.go, verify.go):
// nothing is sent, and backend.outbox holds each message as Inbucket would.
let backend: LocalBackend

const client = (key?: string): SupabaseClient =>
  createClient(backend.url, key ?? backend.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })

async function createUser(email: string) {
  const { data, error } = await client(backend.serviceRoleKey).auth.admin.createUser({
    email,
    password: 'a-fine-password',
    email_confirm: true,
  })
  expect(error).toBeNull()
  return data.user!
}

const lastMail = (email: string) => backend.outbox.list(email).at(-1)!

beforeAll(async () => {
  backend = await startLocalBackend({
    port: 0,
    seed: true,
    logger: createMemoryLogger('emailed-test').logger,
    auth: { passwordChangeNeedsReauthentication: true },
  })
})
afterAll(async () => {
  await backend.stop()
})

describe('emailed codes', () => {
  it('signInWithOtp mails an existing user a magic link code that verifyOtp trades for a session once', async () => {
    const user = await createUser('otp@example.test')
    const supabase = client()
    const sent = await supabase.auth.signInWithOtp({ email: 'otp@example.test' })
    expect(sent.error).toBeNull()
    expect(sent.data).toEqual({ user: null, session: null })
    const mail = lastMail('otp@example.test')
    expect(mail.kind).toBe('magiclink')
    const verified = await supabase.auth.verifyOtp({
      email: 'otp@example.test',
      token: mail.otp,
      type: 'email',
    })
    expect(verified.error).toBeNull()
    expect(verified.data.user!.id).toBe(user.id)
    const again = await client().auth.verifyOtp({ email: 'otp@example.test', token: mail.otp, type: 'email' })
    expect(again.error).toMatchObject({
      status: 403,
      code: 'otp_expired',
      message: 'Token has expired or is invalid',
    })
  })

  it('signInWithOtp with shouldCreateUser off refuses an unknown address (otp_disabled), since sign-ups are off here too', async () => {
    const { error } = await client().auth.signInWithOtp({
      email: 'stranger@example.test',
      options: { shouldCreateUser: false },
    })
    expect(error).toMatchObject({ status: 422, code: 'otp_disabled' })
    expect(backend.outbox.list('stranger@example.test')).toHaveLength(0)
  })

  it('resetPasswordForEmail answers alike for an unknown address, and mails a known one a recovery code', async () => {
    await createUser('forgot@example.test')
    expect((await client().auth.resetPasswordForEmail('nobody-here@example.test')).error).toBeNull()
    expect(backend.outbox.list('nobody-here@example.test')).toHaveLength(0)
    expect((await client().auth.resetPasswordForEmail('forgot@example.test')).error).toBeNull()
    const mail = lastMail('forgot@example.test')
    expect(mail).toMatchObject({ kind: 'recovery' })
    expect(mail.link).toContain('type=recovery')
    const recovered = await client().auth.verifyOtp({ token_hash: mail.tokenHash, type: 'recovery' })
    expect(recovered.error).toBeNull()
  })

  it('with secure_password_change, a new password needs the nonce reauthenticate mails (reauthentication_needed without it)', async () => {
    await createUser('careful@example.test')
    const supabase = client()
    expect(
      (await supabase.auth.signInWithPassword({ email: 'careful@example.test', password: 'a-fine-password' }))
        .error,
    ).toBeNull()
    const bare = await supabase.auth.updateUser({ password: 'a-newer-password' })
    expect(bare.error).toMatchObject({ status: 400, code: 'reauthentication_needed' })
    expect((await supabase.auth.reauthenticate()).error).toBeNull()
    const mail = lastMail('careful@example.test')
    expect(mail.kind).toBe('reauthentication')
    const wrong = await supabase.auth.updateUser({ password: 'a-newer-password', nonce: '000000' })
    expect(wrong.error).toMatchObject({ code: 'reauthentication_not_valid' })
    const changed = await supabase.auth.updateUser({ password: 'a-newer-password', nonce: mail.otp })
    expect(changed.error).toBeNull()
    const signIn = await client().auth.signInWithPassword({
      email: 'careful@example.test',
      password: 'a-newer-password',
    })
    expect(signIn.error).toBeNull()
  })
})
