import { randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import {
  generateProjectKeys,
  legacyProjectKeysSchema,
  projectKeysSchema,
  rotatedKeys,
  withAsymmetricKeys,
  type ProjectKeys,
} from './keys.ts'

/** Owner read/write only: no other local user may read the keys. */
export const keysFileMode = 0o600

async function writeKeys(path: string, keys: ProjectKeys): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // Written beside and renamed over, so a crash mid-write never leaves half a key file.
  const partial = `${path}.${randomBytes(6).toString('hex')}.partial`
  await writeFile(partial, JSON.stringify(keys), { mode: keysFileMode, flag: 'wx' })
  await rename(partial, path)
}

type Stored = { kind: 'current'; keys: ProjectKeys } | { kind: 'legacy'; keys: ProjectKeys } | null

async function readKeys(path: string): Promise<Stored> {
  const raw = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => null)
  const current = projectKeysSchema.safeParse(raw)
  if (current.success) return { kind: 'current', keys: current.data }
  const legacy = legacyProjectKeysSchema.safeParse(raw)
  return legacy.success ? { kind: 'legacy', keys: withAsymmetricKeys(legacy.data) } : null
}

/**
 * The installation's keys, kept in one file readable by its owner only: generated at
 * the first start and read again at every later one, so sessions and API keys
 * outlive restarts. A file of an older version, holding the HS256 keys alone, gains
 * signing and API keys beside them, so nobody is signed out by the upgrade. A file
 * that cannot be read as keys is replaced by new keys: the backend must start, and
 * tokens signed with keys nobody can read are lost anyway.
 */
export async function loadOrCreateProjectKeys(
  path: string,
): Promise<{ keys: ProjectKeys; created: boolean }> {
  const stored = await readKeys(path)
  if (stored?.kind === 'current') {
    // A copy or a restore may have widened the mode; the keys stay the owner's only.
    await chmod(path, keysFileMode)
    return { keys: stored.keys, created: false }
  }
  const keys = stored?.keys ?? (await generateProjectKeys())
  await writeKeys(path, keys)
  return { keys, created: stored === null }
}

/** Rotates the stored signing key or API keys (see `rotatedKeys`); a backend watching the file (`watchKeysFile`) uses them at once. */
export async function rotateStoredKeys(path: string, part: 'signing' | 'api'): Promise<ProjectKeys> {
  const { keys } = await loadOrCreateProjectKeys(path)
  const rotated = rotatedKeys(keys, part)
  await writeKeys(path, rotated)
  return rotated
}

/**
 * Hands `onKeys` the stored keys each time a rotation replaces the file (it renames a
 * new file over the old), so a running backend takes them without a restart. The
 * folder is watched, not the file, since a rename leaves a watch on the old file behind.
 * Keys equal to those last handed on (or to `current`) are not handed on again.
 * Returns what stops the watching.
 */
export function watchKeysFile(
  path: string,
  current: ProjectKeys,
  onKeys: (keys: ProjectKeys) => void,
): () => void {
  let last = JSON.stringify(current)
  const watcher = watch(dirname(path), (_event, name) => {
    if (name !== basename(path)) return
    void readKeys(path).then((stored) => {
      if (stored?.kind !== 'current') return
      const text = JSON.stringify(stored.keys)
      if (text === last) return
      last = text
      onKeys(stored.keys)
    })
  })
  return () => watcher.close()
}
