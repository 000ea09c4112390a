import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { cliDemoKeys } from './cli-demo-keys.ts'
import { jwtKeysOf, signApiKey, signLegacyJwt, type ProjectKeys } from './keys.ts'
import { keysFileMode, loadOrCreateProjectKeys, rotateStoredKeys, watchKeysFile } from './keys-file.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function keysPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keys-file-test-'))
  dirs.push(dir)
  return join(dir, 'nested', 'keys.json')
}
const modeOf = (path: string) => statSync(path).mode & 0o777

describe('the installation keys file', () => {
  it('is created at the first start with keys of its own, readable by its owner only', async () => {
    const path = keysPath()
    const { keys, created } = await loadOrCreateProjectKeys(path)
    expect(created).toBe(true)
    expect(modeOf(path)).toBe(keysFileMode)
    expect(keys.jwtSecret).not.toBe(cliDemoKeys.jwtSecret)
    expect(Buffer.from(keys.jwtSecret, 'base64url')).toHaveLength(32)
    expect(keys.signingKeys[0]!.privateJwk).not.toEqual(cliDemoKeys.signingKeys[0]!.privateJwk)
    expect(keys.secretKeys).not.toEqual(cliDemoKeys.secretKeys)
    const jwt = jwtKeysOf(keys)
    expect(jwt.apiKeyRole(keys.publishableKeys[0]!)).toBe('anon')
    expect(jwt.apiKeyRole(keys.secretKeys[0]!)).toBe('service_role')
    expect(await jwt.verify(keys.anonKey)).toMatchObject({ ok: true, claims: { role: 'anon' } })
    expect(await jwt.verify(keys.serviceRoleKey)).toMatchObject({
      ok: true,
      claims: { role: 'service_role' },
    })
    expect(decodeJwt(keys.anonKey).exp).toBeGreaterThan(Date.now() / 1000 + 5 * 365 * 24 * 3600)
    // Another installation's keys sign nothing this one accepts.
    const other = await loadOrCreateProjectKeys(keysPath())
    expect(other.keys.jwtSecret).not.toBe(keys.jwtSecret)
    expect(await jwt.verify(other.keys.serviceRoleKey)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('is read again at later starts, so tokens signed before still verify', async () => {
    const path = keysPath()
    const first = await loadOrCreateProjectKeys(path)
    const token = await jwtKeysOf(first.keys).sign({
      role: 'authenticated',
      sub: 'agent',
      exp: Math.floor(Date.now() / 1000) + 3600,
    })
    const again = await loadOrCreateProjectKeys(path)
    expect(again).toEqual({ keys: first.keys, created: false })
    expect(await jwtKeysOf(again.keys).verify(token)).toMatchObject({ ok: true })
  })

  it('of an older version, holding HS256 keys alone, gains signing and API keys and keeps its legacy keys valid', async () => {
    const path = keysPath()
    const jwtSecret = 'an-older-installation-secret-of-32-characters-at-least'
    const legacy = {
      kind: 'hs256',
      jwtSecret,
      anonKey: await signApiKey(jwtSecret, 'anon', { iss: 'supabase', exp: 2_000_000_000 }),
      serviceRoleKey: await signApiKey(jwtSecret, 'service_role', { iss: 'supabase', exp: 2_000_000_000 }),
    }
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, JSON.stringify(legacy), { mode: 0o644 })
    const session = await signLegacyJwt(jwtSecret, {
      role: 'authenticated',
      sub: 'agent',
      exp: 2_000_000_000,
    })

    const { keys, created } = await loadOrCreateProjectKeys(path)
    expect(created).toBe(false)
    expect(keys).toMatchObject({ ...legacy, kind: 'es256' })
    expect(keys.signingKeys).toHaveLength(1)
    expect(keys.publishableKeys[0]).toMatch(/^sb_publishable_/)
    expect(keys.secretKeys[0]).toMatch(/^sb_secret_/)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(keys)
    expect(modeOf(path)).toBe(keysFileMode)
    // Nobody signed in before the upgrade is signed out by it.
    expect(await jwtKeysOf(keys).verify(session)).toMatchObject({ ok: true, claims: { sub: 'agent' } })
    expect(await loadOrCreateProjectKeys(path)).toEqual({ keys, created: false })
  })

  it('is narrowed back to owner-only when a copy widened it', async () => {
    const path = keysPath()
    await loadOrCreateProjectKeys(path)
    chmodSync(path, 0o644)
    await loadOrCreateProjectKeys(path)
    expect(modeOf(path)).toBe(keysFileMode)
  })

  it('is replaced by new keys when it does not hold keys', async () => {
    const path = keysPath()
    const first = await loadOrCreateProjectKeys(path)
    writeFileSync(path, '{"kind":"hs256","jwtSecret":"short"')
    const replaced = await loadOrCreateProjectKeys(path)
    expect(replaced.created).toBe(true)
    expect(replaced.keys.jwtSecret).not.toBe(first.keys.jwtSecret)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(replaced.keys)
    expect(modeOf(path)).toBe(keysFileMode)
  })

  it('tells whoever watches it of each rotation stored in it, once', async () => {
    const path = keysPath()
    const { keys } = await loadOrCreateProjectKeys(path)
    const handed: ProjectKeys[] = []
    let next: (keys: ProjectKeys) => void = () => {}
    const stop = watchKeysFile(path, keys, (rotated) => {
      handed.push(rotated)
      next(rotated)
    })
    const heard = () => new Promise<ProjectKeys>((resolve) => (next = resolve))
    try {
      let hearing = heard()
      const signing = await rotateStoredKeys(path, 'signing')
      expect(await hearing).toEqual(signing)
      hearing = heard()
      const api = await rotateStoredKeys(path, 'api')
      expect(await hearing).toEqual(api)
      // A rename may be reported more than once; the same keys are handed on once.
      expect(handed).toEqual([signing, api])
    } finally {
      stop()
    }
  })
})
