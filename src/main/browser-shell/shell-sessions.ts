import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'
import type { Logger } from '../../shared/log.ts'

/**
 * The browser tabs let in by a launch link. Each gets a random tab secret; the
 * file (0600, in the data folder) keeps only their SHA-256, so it can recognise a tab
 * after the app restarts (the open tab reconnects by itself) but holds nothing a
 * reader could offer as a secret.
 */
export interface ShellSessions {
  /** A new tab's secret. */
  issue(): string
  has(secret: string): boolean
}

const sessionFileSchema = z.object({
  sessions: z.array(z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), issuedAt: z.number() })),
})
type SessionFile = z.infer<typeof sessionFileSchema>

/** A tab left open longer than this signs in again with a fresh launch link. */
const sessionLifetimeMs = 30 * 86_400_000
/** Enough for every browser profile a person uses; the oldest goes first. */
const maxSessions = 20

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex')

function read(file: string, logger: Logger): SessionFile['sessions'] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  try {
    return sessionFileSchema.parse(JSON.parse(text)).sessions
  } catch (error) {
    // A damaged file costs the open tabs their way back, never the app its start.
    logger.warn('browser shell sessions unreadable; starting without them', { error })
    return []
  }
}

export function openShellSessions(file: string, logger: Logger, now = Date.now): ShellSessions {
  let sessions = read(file, logger).filter((session) => now() - session.issuedAt < sessionLifetimeMs)

  const save = () => {
    mkdirSync(dirname(file), { recursive: true })
    const temp = `${file}.tmp`
    writeFileSync(temp, JSON.stringify({ sessions } satisfies SessionFile), { mode: 0o600 })
    renameSync(temp, file)
  }

  return {
    issue() {
      const value = randomBytes(32).toString('base64url')
      sessions = [...sessions, { hash: hashOf(value), issuedAt: now() }].slice(-maxSessions)
      save()
      return value
    },
    has(secret) {
      const given = Buffer.from(hashOf(secret), 'hex')
      return sessions.some(
        (session) =>
          now() - session.issuedAt < sessionLifetimeMs &&
          timingSafeEqual(given, Buffer.from(session.hash, 'hex')),
      )
    },
  }
}
