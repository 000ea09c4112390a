import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SupportedStorage } from '@supabase/supabase-js'
import type { SecretStore } from '../platform-interface.ts'
import type { Logger } from '../../shared/log.ts'

/**
 * supabase-js's auth storage, kept as one file encrypted by the OS key store. Without
 * a key store the session lives in memory only: a plaintext token on disk is worse
 * than asking the agent to sign in again.
 */
export interface SessionStorage extends SupportedStorage {
  readonly persistence: 'encrypted' | 'memory'
  /** Why the session will not survive a restart, or why a stored one was dropped. */
  readonly warning: string | null
  clear(): void
}

export const NO_KEY_STORE_WARNING =
  'This computer has no secure key store (on Linux: no keyring such as GNOME Keyring or KWallet), so your sign-in is kept in memory only and you will need to sign in again after restarting the app.'

/** Deletes a stored session, with the temporary copy a write cut short by a crash leaves (it holds the session too). */
export function removeStoredSession(file: string): void {
  for (const path of [file, `${file}.tmp`]) rmSync(path, { force: true })
}

export function createSessionStorage(file: string, secrets: SecretStore, logger?: Logger): SessionStorage {
  const encrypted = secrets.isAvailable()
  let warning: string | null = encrypted ? null : NO_KEY_STORE_WARNING
  let items: Record<string, string> = {}

  if (encrypted && existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(secrets.decrypt(readFileSync(file)))
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        items = Object.fromEntries(
          Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        )
      }
    } catch (error) {
      // Encrypted by another user or machine, or damaged: it can never be read, so drop it.
      logger?.warn('stored session unreadable, dropping it', { error })
      warning = 'Your saved sign-in could not be read on this computer, so please sign in again.'
      rmSync(file, { force: true })
    }
  }

  const persist = () => {
    if (!encrypted) return
    mkdirSync(dirname(file), { recursive: true })
    const temp = `${file}.tmp`
    writeFileSync(temp, secrets.encrypt(JSON.stringify(items)), { mode: 0o600 })
    renameSync(temp, file)
  }

  return {
    persistence: encrypted ? 'encrypted' : 'memory',
    get warning() {
      return warning
    },
    getItem: (key) => items[key] ?? null,
    setItem: (key, value) => {
      items[key] = value
      persist()
    },
    removeItem: (key) => {
      delete items[key]
      persist()
    },
    clear: () => {
      items = {}
      removeStoredSession(file)
    },
  }
}
