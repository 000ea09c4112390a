import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type Session } from '@supabase/supabase-js'
import { decodeProtectedHeader } from 'jose'
import { afterAll, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from './index.ts'
import { loadOrCreateProjectKeys, rotateStoredKeys } from './keys-file.ts'

/**
 * Rotation as hosted does it (supabase.com/docs/guides/auth/signing-keys: "rotating
 * does not sign anyone out"): a new signing key signs while the previous one stays
 * published, so sessions signed before verify to the end; new API keys are handed
 * out while the previous ones keep working. A key rotated out twice is retired.
 */
const dir = mkdtempSync(join(tmpdir(), 'key-rotation-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
/** Each test's installation: its keys file and data. */
const installation = (name: string) => ({
  keysFile: join(dir, name, 'keys.json'),
  dataDir: join(dir, name, 'data'),
})

const noSession = { auth: { persistSession: false, autoRefreshToken: false } }

async function start({ keysFile, dataDir }: ReturnType<typeof installation>): Promise<LocalBackend> {
  const { keys } = await loadOrCreateProjectKeys(keysFile)
  return startLocalBackend({
    port: 0,
    dataDir,
    seed: true,
    keys,
    logger: createMemoryLogger('rotation').logger,
  })
}

async function signIn(backend: LocalBackend): Promise<Session> {
  const client = createClient(backend.url, backend.publishableKey, noSession)
  const { data, error } = await client.auth.signInWithPassword({
    email: 'ben@acme.test',
    password: 'inbox-demo-1',
  })
  expect(error).toBeNull()
  return data.session!
}

/** The session as a client that holds it sees the backend: its user, its rows, its claims checked on the JWKS. */
async function useSession(backend: LocalBackend, apiKey: string, session: Session) {
  const client = createClient(backend.url, apiKey, noSession)
  await client.auth.setSession({ access_token: session.access_token, refresh_token: session.refresh_token })
  const [user, rows, claims] = await Promise.all([
    client.auth.getUser(session.access_token),
    client.from('workspaces').select('name'),
    client.auth.getClaims(session.access_token),
  ])
  return {
    user: user.data.user?.email,
    rows: rows.data,
    rowsError: rows.error?.code,
    claimsError: claims.error?.message,
  }
}

/** The session from before a rotation works through each of `publishableKeys`, and each of `secretKeys` reads past RLS. */
async function expectKeptWorking(
  backend: LocalBackend,
  session: Session,
  keys: { publishableKeys: string[]; secretKeys: string[] },
) {
  for (const key of keys.publishableKeys) {
    expect(await useSession(backend, key, session)).toEqual({
      user: 'ben@acme.test',
      rows: [{ name: 'Acme Support' }],
      rowsError: undefined,
      claimsError: undefined,
    })
  }
  for (const key of keys.secretKeys) {
    const service = createClient(backend.url, key, noSession)
    expect((await service.from('workspaces').select('name')).data).toHaveLength(2)
  }
}

/** A key rotated out twice: the session it signed and the secret key are both refused. */
async function expectRetired(backend: LocalBackend, session: Session, secretKey: string) {
  const retired = await fetch(`${backend.url}/rest/v1/workspaces?select=name`, {
    headers: { apikey: backend.publishableKey, authorization: `Bearer ${session.access_token}` },
  })
  expect(retired.status).toBe(401)
  const oldKey = await fetch(`${backend.url}/rest/v1/workspaces?select=name`, {
    headers: { apikey: secretKey },
  })
  expect(oldKey.status).toBe(401)
  expect(await oldKey.json()).toMatchObject({ message: 'Invalid API key' })
}

it('rotating the signing key and the API keys signs nobody out; a key rotated out twice is retired', async () => {
  const restarted = installation('restarted')
  const { keysFile } = restarted
  let backend = await start(restarted)
  const before = await signIn(backend)
  const firstKid = decodeProtectedHeader(before.access_token).kid
  const firstPublishable = backend.publishableKey
  const firstSecret = backend.secretKey
  await backend.stop()

  await rotateStoredKeys(keysFile, 'signing')
  await rotateStoredKeys(keysFile, 'api')
  backend = await start(restarted)
  try {
    const jwks = (await (await fetch(backend.jwksUrl)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((key) => key.kid)).toHaveLength(2)
    expect(jwks.keys[1]!.kid).toBe(firstKid)
    expect(backend.publishableKey).not.toBe(firstPublishable)

    await expectKeptWorking(backend, before, {
      publishableKeys: [firstPublishable, backend.publishableKey],
      secretKeys: [firstSecret, backend.secretKey],
    })
    const after = await signIn(backend)
    expect(decodeProtectedHeader(after.access_token).kid).toBe(jwks.keys[0]!.kid)
  } finally {
    await backend.stop()
  }

  await rotateStoredKeys(keysFile, 'signing')
  await rotateStoredKeys(keysFile, 'api')
  backend = await start(restarted)
  try {
    const jwks = (await (await fetch(backend.jwksUrl)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((key) => key.kid)).not.toContain(firstKid)
    await expectRetired(backend, before, firstSecret)
  } finally {
    await backend.stop()
  }
})

it('a rotation applies to the running backend: the new key signs, a session from before keeps working and refreshing', async () => {
  const running = installation('running')
  const { keysFile } = running
  const backend = await start(running)
  try {
    const before = await signIn(backend)
    const oldKid = decodeProtectedHeader(before.access_token).kid
    const oldPublishable = backend.publishableKey
    const oldSecret = backend.secretKey
    await rotateStoredKeys(keysFile, 'signing')
    backend.useKeys(await rotateStoredKeys(keysFile, 'api'))

    const jwks = (await (await fetch(backend.jwksUrl)).json()) as { keys: { kid: string }[] }
    const newKid = jwks.keys[0]!.kid
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid])
    expect(newKid).not.toBe(oldKid)
    expect(decodeProtectedHeader((await signIn(backend)).access_token).kid).toBe(newKid)

    expect(backend.publishableKey).not.toBe(oldPublishable)
    await expectKeptWorking(backend, before, {
      publishableKeys: [oldPublishable, backend.publishableKey],
      secretKeys: [oldSecret, backend.secretKey],
    })
    const client = createClient(backend.url, oldPublishable, noSession)
    const refreshed = await client.auth.refreshSession({ refresh_token: before.refresh_token })
    expect(refreshed.error).toBeNull()
    expect(decodeProtectedHeader(refreshed.data.session!.access_token).kid).toBe(newKid)

    // Rotated out twice, the old key is retired at once: its tokens, even those verified before, are refused.
    await rotateStoredKeys(keysFile, 'signing')
    backend.useKeys(await rotateStoredKeys(keysFile, 'api'))
    await expectRetired(backend, before, oldSecret)
  } finally {
    await backend.stop()
  }
})
