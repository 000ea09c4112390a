import { fromLaunchDir } from './as-the-backend-runs.ts'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { cliDemoKeys } from '../local-backend/cli-demo-keys.ts'
import { edgeFunctionNames, platformEnv, startEdgeFunction } from '../local-backend/edge-functions.ts'
import { startLocalBackend } from '../local-backend/index.ts'
import { startTwilioDouble } from '../local-backend/twilio/double.ts'
import { openCliLog } from '../logging/app-log.ts'
import { mountRelay } from '../relay/embedded.ts'

/**
 * `npm run stack`: the embedded backend on 127.0.0.1:54321 with the demo seed and a
 * persistent data directory, and, as in the app's embedded stack, the relay mounted
 * at /functions/v1/sms-relay sending through the Twilio double, for running the app
 * or a script (`npm run sms:inbound`) against it, and prints its URLs and keys as
 * `supabase status` does. It composes the local backend and
 * the relay here because neither may import the other. It also serves each Edge
 * Function in supabase/functions at /functions/v1/<name> under Deno, as
 * `supabase functions serve` does (the relay among them, sending through the double). Unlike the app's embedded
 * default it uses the Supabase CLI's public demo keys and answers browsers of any
 * origin, so tools written for `supabase start` work unchanged; it says so on start.
 * Its process runs the backend as the app's child does (as-the-backend-runs.ts, imported
 * first): with V8's default tiering its Postgres peaked at 730 MB.
 */
const usage = 'usage: npm run stack -- [--port 54321] [--data-dir .local-data]'

function options() {
  try {
    const { values } = parseArgs({
      options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    })
    if (values.help) {
      console.log(usage)
      process.exit(0)
    }
    const port = values.port === undefined ? 54321 : Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port must be 0-65535, got ${values.port}`)
    return {
      port,
      dataDir: values['data-dir']
        ? fromLaunchDir(values['data-dir'])
        : resolve(import.meta.dirname, '../.local-data'),
    }
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`)
    process.exit(2)
  }
}

const { port, dataDir } = options()
const log = await openCliLog('local-backend', join(dataDir, 'logs'))
const { logger } = log
const backend = await startLocalBackend({
  port,
  dataDir,
  seed: true,
  logger,
  keys: cliDemoKeys,
  browserOrigins: 'any',
})
// The double knows every seeded workspace's Twilio account, so the relay's sends and signatures check out.
const accounts = await backend.db.query<{ account_sid: string; auth_token: string }>(
  'select account_sid, auth_token from public.workspace_twilio_config',
)
const double = await startTwilioDouble({
  accounts: accounts.rows.map((row) => ({ sid: row.account_sid, authToken: row.auth_token })),
  logger: logger.child({ part: 'twilio-double' }),
})
const relay = mountRelay(backend, { twilioApiBaseUrl: double.url, logger: logger.child({ part: 'relay' }) })
// The functions' secrets, as `supabase secrets set` would hold them: here, where the double listens.
const functionSecrets = { TWILIO_API_BASE_URL: double.url }
const edgeFunctions = await Promise.all(
  edgeFunctionNames().map(async (name) => {
    const edgeFunction = await startEdgeFunction({
      name,
      env: { ...platformEnv(backend), ...functionSecrets },
      logger: logger.child({ part: 'edge-functions' }),
    })
    backend.mountFunction(name, edgeFunction.handler)
    return { name, ...edgeFunction }
  }),
)

console.log(`
Local Supabase-compatible backend is running.

  API URL           ${backend.url}
  REST              ${backend.url}/rest/v1
  Auth              ${backend.url}/auth/v1
  Realtime          ${backend.url.replace('http', 'ws')}/realtime/v1/websocket
  SMS relay         ${relay.relayUrl}
${edgeFunctions.map(({ name }) => `  Edge Function     ${backend.url}/functions/v1/${name} (Deno)\n`).join('')}  Twilio double     ${double.url}
  Data directory    ${dataDir}
  Logs              ${log.dir ?? 'JSON lines on stdout'}

  JWKS URL          ${backend.jwksUrl}
  Publishable key   ${backend.publishableKey}
  Secret key        ${backend.secretKey}

  Legacy keys, still accepted for older clients (HS256):
  anon key          ${backend.anonKey}
  service_role key  ${backend.serviceRoleKey}
  JWT secret        ${backend.jwtSecret}

  Demo accounts (password: inbox-demo-1)
    ava@acme.test      owner, Acme Support
    ben@acme.test      agent, Acme Support
    cleo@globex.test   agent, Globex Care

Developer stack: it uses the Supabase CLI's public demo keys and answers any browser origin (CORS *); never expose it.

Press Ctrl+C to stop.
`)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info('stopping', { signal })
  try {
    await relay.sweeper.stop()
    await Promise.all(edgeFunctions.map((edgeFunction) => edgeFunction.stop()))
    await double.stop()
    await backend.stop()
    process.exit(0)
  } catch (error) {
    logger.error('stop failed', { error })
    process.exit(1)
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
