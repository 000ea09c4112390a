import { createRelayApp } from '../../../relay/app.ts'
import { ConfigError, loadEdgeConfig } from '../../../relay/config.ts'
import { relayDeps } from '../../../relay/relay-deps.ts'
import { createLogger } from '../../../src/shared/log.ts'

/**
 * The relay as a Supabase Edge Function (Deno 2): the same app as `npm run relay`,
 * configured from what the platform provides (SUPABASE_URL, SUPABASE_SECRET_KEYS) and
 * the function's secrets. It keeps no timer, as an isolate lives only while requests come:
 * its sweep of stuck sends runs when a scheduler (pg_cron, README) calls POST /sweep.
 */
declare const Deno: {
  env: { toObject(): Record<string, string> }
  serve(handler: (request: Request, info: unknown) => Response | Promise<Response>): unknown
}

// The platform collects each line a function writes.
const logger = createLogger('relay', (line) => console.log(line))

let handler: (request: Request, info: unknown) => Response | Promise<Response>
try {
  const config = loadEdgeConfig(Deno.env.toObject(), 'relay')
  handler = createRelayApp(config, relayDeps(config, logger)).fetch
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  // Every request is answered with what is missing, as the function's log says too.
  logger.error('relay not configured', { detail: error.message })
  const answer = JSON.stringify({ error: { kind: 'not_configured', message: error.message } })
  handler = () => new Response(answer, { status: 503, headers: { 'content-type': 'application/json' } })
}
Deno.serve(handler)
