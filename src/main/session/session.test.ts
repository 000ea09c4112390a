import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { createAesSecretStore, unavailableSecretStore } from '../secrets.ts'
import type { SecretStore } from '../platform-interface.ts'
import {
  createSessionService,
  fetchWorkspaces,
  heartbeatIntervalFor,
  type SessionService,
} from './session.ts'
import { NO_KEY_STORE_WARNING } from './storage.ts'

let backend: LocalBackend
let demo: DemoIds
let dir: string
const services: SessionService[] = []
const { logger } = createMemoryLogger('session-test')

beforeAll(async () => {
  // An hour-long token, as hosted: supabase-js refreshes by itself any token within 90 s of
  // its expiry, which would hide whether refresh() itself refreshes.
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  demo = await demoIds(backend.db)
  dir = mkdtempSync(join(tmpdir(), 'session-test-'))
})
afterAll(async () => {
  for (const service of services) service.dispose()
  await backend.stop()
  rmSync(dir, { recursive: true, force: true })
})

function open(file: string, secrets: SecretStore, heartbeatIntervalMs?: number): SessionService {
  const service = createSessionService({
    supabaseUrl: backend.url,
    publishableKey: backend.publishableKey,
    storageFile: file,
    secrets,
    logger,
    heartbeatIntervalMs,
  })
  services.push(service)
  return service
}

describe('session', () => {
  it('signs in, persists encrypted, restores after a restart, refreshes, and signs out clearing it', async () => {
    const file = join(dir, 'session-a.bin')
    const secrets = createAesSecretStore(randomBytes(32))
    const first = open(file, secrets)
    await first.ready
    expect(first.state()).toEqual({ status: 'signed-out', reason: null })

    const signedIn = await first.signIn('ava@acme.test', 'inbox-demo-1')
    expect(signedIn).toEqual({
      ok: true,
      value: {
        status: 'signed-in',
        user: { id: demo.ava, email: 'ava@acme.test' },
        persistence: 'encrypted',
        persistenceWarning: null,
      },
    })
    const token = await first.accessToken()
    expect(token).toBeTruthy()
    // Encrypted at rest: neither the token nor the email is readable in the file.
    const stored = readFileSync(file)
    expect(stored.includes(Buffer.from(token!.slice(-20)))).toBe(false)
    expect(stored.includes(Buffer.from('ava@acme.test'))).toBe(false)
    first.dispose()

    const second = open(file, secrets)
    await second.ready
    expect(second.state()).toMatchObject({ status: 'signed-in', user: { email: 'ava@acme.test' } })
    const refreshedEvents: string[] = []
    second.onChange((_state, event) => refreshedEvents.push(event))
    const refreshTokenOf = async () => (await second.client.auth.getSession()).data.session?.refresh_token
    const restoredRefreshToken = await refreshTokenOf()
    expect(restoredRefreshToken).toEqual(expect.any(String))
    expect(await second.refresh()).toBe(true)
    expect(refreshedEvents).toContain('TOKEN_REFRESHED')
    // The server rotates the refresh token on every refresh; an access token issued within
    // the same second as the last one may be identical, as JWTs carry whole seconds.
    expect(await refreshTokenOf()).not.toBe(restoredRefreshToken)
    // The workspaces below are read with the refreshed session.
    const workspaces = await fetchWorkspaces(second.client, second.userId()!)
    expect(workspaces).toEqual({
      ok: true,
      value: [
        {
          id: demo.acme,
          name: 'Acme Support',
          role: 'owner',
          canSend: true,
          sendingNumber: '+15550100001',
          segmentLimit: 3,
        },
      ],
    })

    expect(await second.signOut()).toEqual({ status: 'signed-out', reason: null })
    expect(existsSync(file)).toBe(false)
    second.dispose()
    const third = open(file, secrets)
    await third.ready
    expect(third.state().status).toBe('signed-out')
  })

  it('rejects wrong credentials with a typed error', async () => {
    const service = open(join(dir, 'session-b.bin'), createAesSecretStore(randomBytes(32)))
    await service.ready
    const result = await service.signIn('ava@acme.test', 'wrong-password')
    expect(result).toEqual({
      ok: false,
      error: { kind: 'unauthorized', message: 'Wrong email or password.' },
    })
    expect(service.state().status).toBe('signed-out')
  })

  it('drops a session that another key encrypted and says why', async () => {
    const file = join(dir, 'session-c.bin')
    const writer = open(file, createAesSecretStore(randomBytes(32)))
    await writer.ready
    expect((await writer.signIn('ben@acme.test', 'inbox-demo-1')).ok).toBe(true)
    writer.dispose()
    const reader = open(file, createAesSecretStore(randomBytes(32)))
    await reader.ready
    expect(reader.state()).toEqual({
      status: 'signed-out',
      reason: 'Your saved sign-in could not be read on this computer, so please sign in again.',
    })
    expect(existsSync(file)).toBe(false)
  })

  it('keeps the session in memory only, with a warning, when there is no key store', async () => {
    const file = join(dir, 'session-d.bin')
    const service = open(file, unavailableSecretStore)
    await service.ready
    const result = await service.signIn('cleo@globex.test', 'inbox-demo-1')
    expect(result.ok && result.value).toMatchObject({
      status: 'signed-in',
      persistence: 'memory',
      persistenceWarning: NO_KEY_STORE_WARNING,
    })
    expect(existsSync(file)).toBe(false)
    service.dispose()
    const after = open(file, unavailableSecretStore)
    await after.ready
    expect(after.state()).toEqual({ status: 'signed-out', reason: NO_KEY_STORE_WARNING })
  })
})

describe('the Realtime heartbeat', () => {
  const hosted = {
    mode: 'custom',
    supabaseUrl: 'https://abcdefghijklmnop.supabase.co',
    publishableKey: 'a-hosted-anon-key-of-some-length',
    relayUrl: 'https://abcdefghijklmnop.supabase.co/functions/v1/sms-relay',
  } as const

  it('beats every 2 s against the embedded backend, which can freeze with this machine', () => {
    const service = open(
      join(dir, 'heartbeat-embedded.bin'),
      unavailableSecretStore,
      heartbeatIntervalFor({ mode: 'embedded' }),
    )
    expect(service.client.realtime.heartbeatIntervalMs).toBe(2_000)
  })

  it('keeps supabase-js’s own 25 s against a hosted project', () => {
    expect(heartbeatIntervalFor(hosted)).toBeUndefined()
    const service = open(
      join(dir, 'heartbeat-hosted.bin'),
      unavailableSecretStore,
      heartbeatIntervalFor(hosted),
    )
    expect(service.client.realtime.heartbeatIntervalMs).toBe(25_000)
  })
})
