import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { cliDemoKeys } from './cli-demo-keys.ts'
import { jwtKeysOf } from './keys.ts'
import { keysFileMode, loadOrCreateProjectKeys } from './keys-file.ts'

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
    const jwt = jwtKeysOf(keys)
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
})
