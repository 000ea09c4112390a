import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateProjectKeys, projectKeysSchema, type ProjectKeys } from './keys.ts'

/** Owner read/write only: no other local user may read the keys. */
export const keysFileMode = 0o600

/**
 * The installation's keys, kept in one file readable by its owner only: generated at
 * the first start and read again at every later one, so sessions and API keys
 * outlive restarts. A file that cannot be read as keys is replaced by new keys: the
 * backend must start, and tokens signed with keys nobody can read are lost anyway.
 */
export async function loadOrCreateProjectKeys(
  path: string,
): Promise<{ keys: ProjectKeys; created: boolean }> {
  const stored = await readFile(path, 'utf8')
    .then((text) => projectKeysSchema.safeParse(JSON.parse(text)))
    .catch(() => null)
  if (stored?.success) {
    // A copy or a restore may have widened the mode; the keys stay the owner's only.
    await chmod(path, keysFileMode)
    return { keys: stored.data, created: false }
  }
  const keys = await generateProjectKeys()
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // Written beside and renamed over, so a crash mid-write never leaves half a key file.
  const partial = `${path}.${randomBytes(6).toString('hex')}.partial`
  await writeFile(partial, JSON.stringify(keys), { mode: keysFileMode, flag: 'wx' })
  await rename(partial, path)
  return { keys, created: true }
}
