import type { SupabaseClient } from '@supabase/supabase-js'
import type { Logger } from '../src/shared/log.ts'
import { createRelayApp } from './app.ts'
import { relayTimingDefaults, type RelayConfig } from './config.ts'
import { relayDeps, secretKeyClient } from './relay-deps.ts'
import { startSweeper } from './sweeper.ts'

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
  return secretKeyClient(backend.url, backend.secretKey)
}

export interface EmbeddedRelayOptions {
  name?: string
  twilioApiBaseUrl: string
  /** Where Twilio posts, when a proxy or domain of its own is in front; default the backend's /functions/v1/<name>. */
  publicUrl?: string
  timing?: Partial<typeof relayTimingDefaults>
  retry?: RelayConfig['retry']
  rateLimits?: RelayConfig['rateLimits']
}

/** The configuration of a relay served by `backend` under /functions/v1/<name>. */
export function embeddedRelayConfig(
  backend: Pick<FunctionHost, 'url' | 'secretKey'>,
  options: EmbeddedRelayOptions,
) {
  const name = options.name ?? 'sms-relay'
  const config: RelayConfig = {
    supabaseUrl: backend.url,
    secretKey: backend.secretKey,
    publicUrl: options.publicUrl ?? `${backend.url}/functions/v1/${name}`,
    twilioApiBaseUrl: options.twilioApiBaseUrl,
    trustProxy: false,
    // The embedded backend listens on 127.0.0.1; its relay answers nothing else either.
    localOnly: true,
    ...relayTimingDefaults,
    ...options.timing,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  }
  return { name, config }
}

export function mountRelay(backend: FunctionHost, options: EmbeddedRelayOptions & { logger: Logger }) {
  const { name, config } = embeddedRelayConfig(backend, options)
  const deps = relayDeps(config, options.logger)
  const app = createRelayApp(config, deps)
  backend.mountFunction(name, app.fetch)
  return { app, relayUrl: config.publicUrl, config, sweeper: startSweeper(config, deps) }
}
