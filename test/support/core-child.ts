import { createInterface } from 'node:readline'
import { openAppLog } from '../../logging/app-log.ts'
import { createAppCore } from '../../src/main/core/app-core.ts'
import { forkService } from '../../src/main/embedded-stack/fork-service.ts'
import { createAesSecretStore } from '../../src/main/secrets.ts'

/**
 * The real core in a process of its own, so a test can SIGKILL it at a chosen moment.
 * It logs to `<data dir>/logs` as the app does, keeps its session encrypted under
 * the key it is given, and takes one request per stdin line, `{ id, channel, payload }`,
 * answering each with a stdout line `{ id, reply }`.
 */
const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const userDataDir = env('CORE_USER_DATA_DIR')
const log = await openAppLog({ component: 'main', dir: `${userDataDir}/logs` })
const core = createAppCore(
  {
    userDataDir,
    appVersion: '0.0.0-child',
    secretStore: createAesSecretStore(Buffer.from(env('CORE_SECRET_KEY'), 'hex')),
    notify: () => {},
    setBadge: () => {},
    onResume: () => () => {},
    onNetworkChange: () => () => {},
    openExternal: async () => {},
    startService: forkService,
  },
  {
    logger: log.logger,
    backend: {
      mode: 'custom',
      supabaseUrl: env('CORE_SUPABASE_URL'),
      publishableKey: env('CORE_PUBLISHABLE_KEY'),
      relayUrl: env('CORE_RELAY_URL'),
    },
  },
)

for await (const line of createInterface({ input: process.stdin })) {
  const { id, channel, payload } = JSON.parse(line) as { id: number; channel: string; payload: unknown }
  void core.dispatch(channel, payload).then((reply) => {
    process.stdout.write(`${JSON.stringify({ id, reply })}\n`)
  })
}
await core.dispose()
await log.close()
