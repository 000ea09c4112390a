import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openCliLog } from '../logging/app-log.ts'
import { startLocalBackend } from './index.ts'

/**
 * `npm run stack`: the embedded backend alone on 127.0.0.1:54321 with the demo
 * seed and a persistent data directory, for running the app or a script against it.
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
    return { port, dataDir: resolve(values['data-dir'] ?? resolve(import.meta.dirname, '../.local-data')) }
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`)
    process.exit(2)
  }
}

const { port, dataDir } = options()
const log = await openCliLog('local-backend', join(dataDir, 'logs'))
const { logger } = log
const backend = await startLocalBackend({ port, dataDir, seed: true, logger })

console.log(`
Local Supabase-compatible backend is running.

  API URL           ${backend.url}
  REST              ${backend.url}/rest/v1
  Auth              ${backend.url}/auth/v1
  Realtime          ${backend.url.replace('http', 'ws')}/realtime/v1/websocket
  Data directory    ${dataDir}
  Logs              ${log.dir ?? 'JSON lines on stdout'}

  anon key          ${backend.anonKey}
  service_role key  ${backend.serviceRoleKey}
  JWT secret        ${backend.jwtSecret}

  Demo accounts (password: inbox-demo-1)
    ava@acme.test      owner, Acme Support
    ben@acme.test      agent, Acme Support
    cleo@globex.test   agent, Globex Care

Press Ctrl+C to stop.
`)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info('stopping', { signal })
  try {
    await backend.stop()
    process.exit(0)
  } catch (error) {
    logger.error('stop failed', { error })
    process.exit(1)
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
