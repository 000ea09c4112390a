import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { openCliLog } from '../logging/app-log.ts'
import type { LifecycleEvent } from '../src/shared/log.ts'
import { createRelayApp, type RelayDeps } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { faultFreezeFromEnv } from './fault-freeze.ts'
import { relayDeps } from './relay-deps.ts'
import { startSweeper } from './sweeper.ts'

// A deployed relay logs JSON lines on stdout; run by hand in a terminal, to .local-data/logs.
const { logger } = await openCliLog('relay', resolve(import.meta.dirname, '../.local-data/logs'))

let config
let faultHook
try {
  config = loadConfig()
  faultHook = faultFreezeFromEnv(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

const deps: RelayDeps = { ...relayDeps(config, logger), ...(faultHook ? { faultHook } : {}) }
const app = createRelayApp(config, deps)
const sweeper = startSweeper(config, deps)

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  logger.info('relay listening', {
    lifecycle: 'relay.listening' satisfies LifecycleEvent,
    host: info.address,
    port: info.port,
    url: `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
    publicUrl: config.publicUrl,
  })
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info('relay stopping', { signal })
    void sweeper.stop().then(() => server.close(() => process.exit(0)))
  })
}
