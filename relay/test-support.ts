import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import type { Logger } from '../src/shared/log.ts'
import { createRelayApp, type RelayDeps } from './app.ts'
import type { RelayConfig } from './config.ts'
import { createTwilioClientFactory } from './twilio-client.ts'

/**
 * Wires a relay to a running local backend and Twilio double the way the
 * embedded stack does (mounted as a function), for the relay's tests and bench.
 * The backend and double are passed in, so the relay never imports them.
 */
export interface BackendLike {
  url: string
  anonKey: string
  serviceRoleKey: string
  mountFunction(name: string, handler: (request: Request) => Response | Promise<Response>): void
}

export const ACME = {
  workspaceId: '11111111-1111-4111-8111-111111111111',
  number: '+15550100001',
  accountSid: 'AC11111111111111111111111111111111',
  authToken: 'test_token_acme_not_a_secret_0001',
}
export const GLOBEX = {
  workspaceId: '22222222-2222-4222-8222-222222222222',
  number: '+15550100002',
  accountSid: 'AC22222222222222222222222222222222',
  authToken: 'test_token_globex_not_a_secret_02',
}
export const USERS = {
  ava: 'aaaaaaaa-0000-4000-8000-000000000001',
  ben: 'aaaaaaaa-0000-4000-8000-000000000002',
  cleo: 'bbbbbbbb-0000-4000-8000-000000000001',
}
export const DEMO_PASSWORD = 'inbox-demo-1'

export function serviceClient(backend: BackendLike): SupabaseClient {
  return createClient(backend.url, backend.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  })
}

export async function accessToken(backend: BackendLike, email: string): Promise<string> {
  const client = createClient(backend.url, backend.anonKey, { auth: { persistSession: false, autoRefreshToken: false } })
  const { data, error } = await client.auth.signInWithPassword({ email, password: DEMO_PASSWORD })
  if (error || !data.session) throw new Error(`Sign-in of ${email} failed: ${error?.message}`)
  return data.session.access_token
}

export function mountRelay(
  backend: BackendLike,
  options: { name?: string; twilioApiBaseUrl: string; logger: Logger } & Partial<Pick<RelayDeps, 'retry' | 'rateLimits'>>,
) {
  const name = options.name ?? 'sms-relay'
  const relayUrl = `${backend.url}/functions/v1/${name}`
  const config: RelayConfig = {
    supabaseUrl: backend.url,
    serviceRoleKey: backend.serviceRoleKey,
    publicUrl: relayUrl,
    port: 0,
    host: '127.0.0.1',
    twilioApiBaseUrl: options.twilioApiBaseUrl,
    trustProxy: false,
  }
  const app = createRelayApp(config, {
    supabase: serviceClient(backend),
    twilioClient: createTwilioClientFactory({ apiBaseUrl: options.twilioApiBaseUrl }),
    logger: options.logger,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  })
  backend.mountFunction(name, app.fetch)
  return { app, relayUrl, config }
}
