import { randomUUID } from 'node:crypto'
import { createClient } from '@supabase/supabase-js'
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../local-backend/index.ts'
import { rotatedKeys } from '../local-backend/keys.ts'
import { createAgentVerifier } from './agent-token.ts'
import { accessToken } from './demo-accounts.ts'

/*
 * The relay's copy of the project's JWKS across a signing key rotation in the running
 * backend (supabase.com/docs/guides/auth/signing-keys: a rotated-in key signs at once and
 * the previous one stays published): real backend, real HTTP, each verifier its own copy.
 */
let backend: LocalBackend
const { logger, lines } = createMemoryLogger('agent-token')
const jwksFetches = () =>
  lines.filter((line) => line.includes('"path":"/auth/v1/.well-known/jwks.json"')).length

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
})
afterAll(async () => {
  await backend.stop()
})

const verifier = () =>
  createAgentVerifier({
    supabaseUrl: backend.url,
    supabase: createClient(backend.url, backend.secretKey, { auth: { persistSession: false } }),
  })

/** Ben's claims of `token`, re-signed by a key nobody published, issued `iatSecondsAgo` before now. */
async function forgedLike(token: string, iatSecondsAgo: number): Promise<string> {
  const [, payload] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>
  const now = Math.floor(Date.now() / 1000)
  const { privateKey } = await generateKeyPair('ES256')
  return new SignJWT({ ...claims, iat: now - iatSecondsAgo, exp: now + 600 })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: randomUUID() })
    .sign(privateKey)
}

it('picks up a signing key rotated in without a restart, with one more fetch, and keeps verifying the previous one', async () => {
  const verify = verifier()
  const before = await accessToken(backend, 'ben@acme.test')
  const fetches = jwksFetches()
  expect(await verify(before)).toMatchObject({ ok: true })
  expect(jwksFetches()).toBe(fetches + 1)

  backend.useKeys(rotatedKeys(backend.keys, 'signing'))
  const after = await accessToken(backend, 'ben@acme.test')
  expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid)
  expect(await verify(after)).toMatchObject({ ok: true })
  expect(await verify(before)).toMatchObject({ ok: true })
  expect(jwksFetches()).toBe(fetches + 2)
})

it('refuses an unknown key issued before its copy without a fetch; unknown keys issued now cost one fetch, then are told to retry', async () => {
  const verify = verifier()
  const ben = await accessToken(backend, 'ben@acme.test')
  expect(await verify(ben)).toMatchObject({ ok: true })
  const fetches = jwksFetches()

  // Issued ten minutes ago, its key would have been in the copy just fetched: retired or forged.
  expect(await verify(await forgedLike(ben, 600))).toEqual({ ok: false, kind: 'unauthorized' })
  expect(jwksFetches()).toBe(fetches)

  // Issued now, its key might be newer than the copy: the first is fetched for and then refused,
  // the rest fall within the bound and are told to retry rather than to sign in again.
  const kinds: string[] = []
  for (let sent = 0; sent < 5; sent++) {
    const check = await verify(await forgedLike(ben, 0))
    kinds.push(check.ok ? 'accepted' : check.kind)
  }
  expect(kinds).toEqual(['unauthorized', 'offline', 'offline', 'offline', 'offline'])
  expect(jwksFetches()).toBe(fetches + 1)
})
