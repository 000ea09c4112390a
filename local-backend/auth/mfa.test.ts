import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { decodeJwt } from 'jose'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

// TOTP factors as GoTrue serves them (internal/api/mfa.go), through supabase-js's auth.mfa.
let backend: LocalBackend

async function signedInUser(email: string) {
  const created = await client(backend.serviceRoleKey).auth.admin.createUser({
    email,
    password: 'a-fine-password',
    email_confirm: true,
  })
  expect(created.error).toBeNull()
  const supabase = client()
  expect((await supabase.auth.signInWithPassword({ email, password: 'a-fine-password' })).error).toBeNull()
  return { supabase, userId: created.data.user!.id }
}

const client = (key = backend.anonKey): SupabaseClient =>
  createClient(backend.url, key, { auth: { persistSession: false, autoRefreshToken: false } })

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger: createMemoryLogger('mfa-test').logger })
})
afterAll(async () => {
  await backend.stop()
})

describe('TOTP factors', () => {
  it('enrol gives a secret, an otpauth URI and an SVG QR code; a right code raises the session to aal2', async () => {
    const { supabase } = await signedInUser('totp@example.test')
    const enrolled = await supabase.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone app' })
    expect(enrolled.error).toBeNull()
    const { id: factorId, totp } = enrolled.data!
    expect(totp.uri).toMatch(/^otpauth:\/\/totp\/.*secret=/)
    expect(totp.qr_code).toMatch(/^data:image\/svg\+xml;utf-8,<svg/)

    const wrong = await supabase.auth.mfa.challengeAndVerify({ factorId, code: '000000' })
    expect(wrong.error).toMatchObject({
      status: 422,
      code: 'mfa_verification_failed',
      message: 'Invalid TOTP code entered',
    })

    const code = new TOTP({ secret: Secret.fromBase32(totp.secret) }).generate()
    const verified = await supabase.auth.mfa.challengeAndVerify({ factorId, code })
    expect(verified.error).toBeNull()
    const claims = decodeJwt(verified.data!.access_token)
    expect(claims).toMatchObject({ aal: 'aal2', amr: [{ method: 'totp' }, { method: 'password' }] })
    const level = await supabase.auth.mfa.getAuthenticatorAssuranceLevel()
    expect(level.data).toMatchObject({ currentLevel: 'aal2', nextLevel: 'aal2' })
    const factors = await supabase.auth.mfa.listFactors()
    expect(factors.data!.totp).toEqual([expect.objectContaining({ id: factorId, status: 'verified' })])
  })

  it('a second factor with the same friendly name is refused; unenrolling an unverified one removes it', async () => {
    const { supabase } = await signedInUser('names@example.test')
    const first = await supabase.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'same' })
    expect(first.error).toBeNull()
    const second = await supabase.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'same' })
    expect(second.error).toMatchObject({ status: 422, code: 'mfa_factor_name_conflict' })
    expect((await supabase.auth.mfa.unenroll({ factorId: first.data!.id })).error).toBeNull()
    expect((await supabase.auth.mfa.listFactors()).data!.all).toHaveLength(0)
  })

  it('the admin API lists and deletes a user’s factors, and enrolling needs a session', async () => {
    const { supabase, userId } = await signedInUser('admin-mfa@example.test')
    await supabase.auth.mfa.enroll({ factorType: 'totp' })
    const admin = client(backend.serviceRoleKey).auth.admin.mfa
    const listed = await admin.listFactors({ userId })
    expect(listed.data!.factors).toHaveLength(1)
    const deleted = await admin.deleteFactor({ userId, id: listed.data!.factors[0]!.id })
    expect(deleted.error).toBeNull()
    expect((await admin.listFactors({ userId })).data!.factors).toHaveLength(0)

    const anonymous = await fetch(`${backend.url}/auth/v1/factors`, {
      method: 'POST',
      headers: { apikey: backend.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ factor_type: 'totp' }),
    })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('x-sb-error-code')).toBe('no_authorization')
  })
})
