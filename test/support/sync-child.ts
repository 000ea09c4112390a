import { join } from 'node:path'
import { createMemoryLogger } from '../../logging/logger.ts'
import { Cache } from '../../src/main/cache/cache.ts'
import { createSyncService } from '../../src/main/sync/sync.ts'
import { signedInSession } from './signed-in-session.ts'

/**
 * The sync service and the cache in a process of their own, so a test can SIGKILL a first
 * sync at a chosen moment. Signs Ben in, syncs one workspace into `<SYNC_DIR>/cache.sqlite`
 * and writes one stdout line per progress report (`{ progress }`) and `{ live: true }` once
 * the workspace is live; then it exits.
 */
const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const dir = env('SYNC_DIR')
const { logger } = createMemoryLogger('sync-child')
const session = await signedInSession(
  { url: env('SYNC_BACKEND_URL'), publishableKey: env('SYNC_PUBLISHABLE_KEY') },
  dir,
  logger,
)
const cache = Cache.open(join(dir, 'cache.sqlite'), { logger })
const sync = createSyncService({
  client: session.client,
  cache,
  logger,
  pageSize: Number(env('SYNC_PAGE_SIZE')),
  onChanges: () => {},
  onProgress: (progress) => process.stdout.write(`${JSON.stringify({ progress })}\n`),
  onState: () => {},
})
sync.setWorkspaces([env('SYNC_WORKSPACE')])
await sync.whenLive()
process.stdout.write(`${JSON.stringify({ live: true })}\n`)
await sync.stop()
session.dispose()
cache.close()
