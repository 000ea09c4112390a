import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DEMO_PASSWORD } from '../../../relay/test-support.ts'
import type { Logger } from '../../shared/log.ts'
import { createAesSecretStore } from '../secrets.ts'
import { createSessionService, type SessionService } from '../session/session.ts'

/** A session service keeping its session in `dir`, signed in as a seeded demo user (Ben, an Acme agent, unless told). */
export async function signedInSession(
  backend: { url: string; anonKey: string },
  dir: string,
  logger: Logger,
  email = 'ben@acme.test',
): Promise<SessionService> {
  const session = createSessionService({
    supabaseUrl: backend.url,
    anonKey: backend.anonKey,
    storageFile: join(dir, 'session.bin'),
    secrets: createAesSecretStore(randomBytes(32)),
    logger,
  })
  await session.ready
  const signIn = await session.signIn(email, DEMO_PASSWORD)
  if (!signIn.ok) throw new Error(signIn.error.message)
  return session
}

/** Polls until `condition` holds; the bound turns a hang into a named failure. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
