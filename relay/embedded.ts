import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import type { Logger } from '../src/shared/log.ts'
import { createRelayApp, type RelayDeps } from './app.ts'
import { relayTimingDefaults, type RelayConfig } from './config.ts'
import { startSweeper } from './sweeper.ts'
import { createTwilioClientFactory } from './twilio-client.ts'

/**
 * The relay mounted beside a running Supabase-compatible backend, as the
 * embedded stack serves it: under /functions/v1/<name>, with the Twilio client
 * pointed at the double, and its sweep running until `sweeper.stop()`. The backend
 * is passed in, so the relay imports none of it.
 */
export interface FunctionHost {
  url: string
  secretKey: string
  /** `env` carries the Node server's socket, which the relay's per-address limit reads. */
  mountFunction(name: string, handler: (request: Request, env: unknown) => Response | Promise<Response>): void
}

export function serviceClient(backend: Pick<FunctionHost, 'url' | 'secretKey'>): SupabaseClient {
  return createClient(backend.url, backend.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  })
}

export function mountRelay(
  backend: FunctionHost,
  options: {
    name?: string
    twilioApiBaseUrl: string
    logger: Logger
    timing?: Partial<typeof relayTimingDefaults>
  } & Partial<Pick<RelayDeps, 'retry' | 'rateLimits'>>,
) {
  const name = options.name ?? 'sms-relay'
  const relayUrl = `${backend.url}/functions/v1/${name}`
  const config: RelayConfig = {
    supabaseUrl: backend.url,
    secretKey: backend.secretKey,
    publicUrl: relayUrl,
    port: 0,
    host: '127.0.0.1',
    twilioApiBaseUrl: options.twilioApiBaseUrl,
    trustProxy: false,
    // The embedded backend listens on 127.0.0.1; its relay answers nothing else either.
    localOnly: true,
    ...relayTimingDefaults,
    ...options.timing,
  }
  const deps: RelayDeps = {
    supabase: serviceClient(backend),
    twilioClient: createTwilioClientFactory({
      apiBaseUrl: options.twilioApiBaseUrl,
      timeoutMs: config.twilioTimeoutMs,
    }),
    logger: options.logger,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  }
  const app = createRelayApp(config, deps)
  backend.mountFunction(name, app.fetch)
  return { app, relayUrl, config, sweeper: startSweeper(config, deps) }
}
