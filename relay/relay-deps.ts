import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import type { Logger } from '../src/shared/log.ts'
import type { RelayDeps } from './app.ts'
import type { RelayConfig } from './config.ts'
import { createTwilioClientFactory } from './twilio-client.ts'

/** supabase-js holding a secret key: a server's client, with no session to keep or refresh. */
export function secretKeyClient(url: string, secretKey: string): SupabaseClient {
  return createClient(url, secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  })
}

/** What the relay talks to, as its configuration names them: the same under Node and under Deno. */
export function relayDeps(config: RelayConfig, logger: Logger): RelayDeps {
  return {
    supabase: secretKeyClient(config.supabaseUrl, config.secretKey),
    twilioClient: createTwilioClientFactory({
      ...(config.twilioApiBaseUrl ? { apiBaseUrl: config.twilioApiBaseUrl } : {}),
      timeoutMs: config.twilioTimeoutMs,
    }),
    logger,
  }
}
