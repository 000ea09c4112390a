import type { SupabaseClient } from '@supabase/supabase-js'
import { startLocalBackend, type LocalBackend } from '../../local-backend/index.ts'
import { startTwilioDouble, type TwilioDouble } from '../../local-backend/twilio/double.ts'
import type { RelayDeps } from '../../relay/app.ts'
import { ACME, GLOBEX } from '../../relay/demo-accounts.ts'
import { mountRelay, serviceClient } from '../../relay/embedded.ts'
import { createMemoryLogger } from '../../logging/logger.ts'

export interface RelayStack {
  backend: LocalBackend
  double: TwilioDouble
  /** The relay as the app reaches it: `<backend url>/functions/v1/sms-relay`. */
  relayUrl: string
  service: SupabaseClient
  /** Each part's log lines, kept so a test can check what was (and was not) written. */
  logs: Record<'backend' | 'double' | 'relay', ReturnType<typeof createMemoryLogger>>
  stop(): Promise<void>
}

/**
 * The seeded local backend, the Twilio double holding both demo accounts (each
 * sending only from its seeded number), and the relay mounted between them.
 */
export async function startRelayStack(
  options: { callbackDelayMs?: number; optedOut?: string[] } & Partial<Pick<RelayDeps, 'retry'>> = {},
): Promise<RelayStack> {
  const logs = {
    backend: createMemoryLogger('local-backend'),
    double: createMemoryLogger('twilio-double'),
    relay: createMemoryLogger('relay'),
  }
  const backend = await startLocalBackend({ port: 0, seed: true, logger: logs.backend.logger })
  const double = await startTwilioDouble({
    accounts: [ACME, GLOBEX].map((workspace) => ({
      sid: workspace.accountSid,
      authToken: workspace.authToken,
      numbers: [workspace.number],
    })),
    logger: logs.double.logger,
    callbackDelayMs: options.callbackDelayMs ?? 0,
    ...(options.optedOut ? { optedOut: options.optedOut } : {}),
  }).catch(async (error: unknown) => {
    await backend.stop()
    throw error
  })
  const { relayUrl } = mountRelay(backend, {
    twilioApiBaseUrl: double.url,
    logger: logs.relay.logger,
    ...(options.retry ? { retry: options.retry } : {}),
  })
  return {
    backend,
    double,
    relayUrl,
    service: serviceClient(backend),
    logs,
    async stop() {
      await double.stop()
      await backend.stop()
    },
  }
}
