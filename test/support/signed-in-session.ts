import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DEMO_PASSWORD } from '../../relay/demo-accounts.ts'
import type { Logger } from '../../src/shared/log.ts'
import { createAesSecretStore } from '../../src/main/secrets.ts'
import { createSessionService, type SessionService } from '../../src/main/session/session.ts'

/** A session service keeping its session in `dir`, signed in as a seeded demo user (Ben, an Acme agent, unless told). */
export async function signedInSession(
  backend: { url: string; publishableKey: string },
  dir: string,
  logger: Logger,
  email = 'ben@acme.test',
): Promise<SessionService> {
  const session = createSessionService({
    supabaseUrl: backend.url,
    publishableKey: backend.publishableKey,
    storageFile: join(dir, 'session.bin'),
    secrets: createAesSecretStore(randomBytes(32)),
    logger,
  })
  await session.ready
  const signIn = await session.signIn(email, DEMO_PASSWORD)
  if (!signIn.ok) throw new Error(signIn.error.message)
  return session
}
