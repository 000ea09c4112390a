import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { BackendSettings } from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'
import { Cache } from '../cache/cache.ts'
import { removeStoredSession } from './storage.ts'

/**
 * What an agent leaves on disk for one backend: the cache (with the outbox) and the
 * encrypted session, plus the marker that says a sign-out has begun.
 *
 * Sign-out writes the marker before anything else and removes it last, so a sign-out
 * cut short (the app killed, the machine off) is finished on the next start before
 * the cache or the session is opened. The app never trusts a half-wiped cache: it
 * finds either no marker and everything intact, or the marker and wipes the rest.
 */
export interface AgentFiles {
  cache: string
  session: string
  signOutMarker: string
}

/** Each backend keeps its own cache and session, so switching back finds them again. */
const storageKey = (backend: BackendSettings) =>
  backend.mode === 'embedded'
    ? 'embedded'
    : createHash('sha256').update(backend.supabaseUrl).digest('hex').slice(0, 16)

export function agentFiles(userDataDir: string, backend: BackendSettings): AgentFiles {
  const key = storageKey(backend)
  return {
    cache: join(userDataDir, 'cache', `${key}.sqlite`),
    session: join(userDataDir, 'session', `${key}.bin`),
    signOutMarker: join(userDataDir, 'session', `${key}.signing-out`),
  }
}

/** Durably records that a sign-out has begun; nothing is deleted before this returns. */
export function beginSignOut(files: AgentFiles): void {
  mkdirSync(dirname(files.signOutMarker), { recursive: true })
  const fd = openSync(files.signOutMarker, 'w')
  try {
    writeSync(fd, new Date().toISOString())
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Every file of the agent is gone: the sign-out is complete. */
export function endSignOut(files: AgentFiles): void {
  rmSync(files.signOutMarker, { force: true })
}

/**
 * Run before the cache and the session are opened: a sign-out that was cut short is
 * finished now. Returns whether there was one.
 */
export function finishInterruptedSignOut(files: AgentFiles, logger: Logger): boolean {
  if (!existsSync(files.signOutMarker)) return false
  logger.warn('a sign-out was interrupted; finishing it before anything is opened')
  Cache.remove(files.cache)
  removeStoredSession(files.session)
  endSignOut(files)
  return true
}
