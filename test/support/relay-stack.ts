import { randomUUID } from 'node:crypto'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startLocalBackend, type LocalBackend } from '../../local-backend/index.ts'
import {
  startTwilioDouble,
  type TwilioDouble,
  type TwilioDoubleAccount,
} from '../../local-backend/twilio/double.ts'
import { demoIds, type DemoIds } from '../../local-backend/db/demo-callers.ts'
import { ACME, GLOBEX } from '../../relay/demo-accounts.ts'
import { startEdgeFunction, platformEnv, type EdgeFunction } from '../../local-backend/edge-functions.ts'
import { edgeSecrets } from '../../relay/config.ts'
import {
  embeddedRelayConfig,
  mountRelay,
  serviceClient,
  type EmbeddedRelayOptions,
} from '../../relay/embedded.ts'
import { createMemoryLogger } from '../../logging/logger.ts'
import { scheduleSweeps, type Sweeper } from '../../relay/sweeper.ts'
import { sweepCountsSchema, type SweepCounts } from '../../src/shared/relay-contract.ts'

/**
 * Where the relay under test runs: `node` (default) mounts it in the backend's own
 * process, sweeping on its own timer; `deno` runs supabase/functions/relay under Deno,
 * as an Edge Function behind the backend's /functions/v1 gateway, and sweeps it as
 * pg_cron does on the platform: a timer here POSTs the function's /sweep.
 */
export const relayRuntime = runtimeFromEnv(process.env.RELAY_RUNTIME)

function runtimeFromEnv(value: string | undefined): 'node' | 'deno' {
  if (!value || value === 'node') return 'node'
  if (value === 'deno') return 'deno'
  throw new Error(`RELAY_RUNTIME must be node or deno, got ${value}`)
}

export interface RelayStack {
  backend: LocalBackend
  /** The ids this backend's seed drew. */
  demo: DemoIds
  double: TwilioDouble
  /** The relay as the app reaches it: `<backend url>/functions/v1/sms-relay`. */
  relayUrl: string
  service: SupabaseClient
  /** The mounted relay's sweep (its timer runs at the relay's sweep interval). */
  sweeper: Sweeper
  /** Each part's log lines, kept so a test can check what was (and was not) written. */
  logs: Record<'backend' | 'double' | 'relay', ReturnType<typeof createMemoryLogger>>
  /** A stored message's delivery state, read with the service role. */
  messageState(id: string): Promise<MessageState>
  /**
   * An outbound reply by Ben to an Acme contact, written straight into messages with the
   * service role as no relay writes one: pending, no SID and no lease. Resolves with its id.
   */
  outboundAroundRelay(contactId: string, content: string): Promise<string>
  /** Another relay on the same backend, under its own name, logging with the first; stopped with the stack. */
  mountRelay(options: EmbeddedRelayOptions & { name: string }): Promise<{ relayUrl: string }>
  stop(): Promise<void>
}

export interface MessageState {
  status: string
  twilio_sid: string | null
  error_code: string | null
}

/** What pg_cron does through pg_net on the platform: POST the relay's /sweep with the secret key. */
function sweepOverHttp(relayUrl: string, secretKey: string): () => Promise<SweepCounts> {
  return async () => {
    const response = await fetch(`${relayUrl}/sweep`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${secretKey}` },
    })
    if (!response.ok) throw new Error(`POST /sweep answered ${response.status}: ${await response.text()}`)
    return sweepCountsSchema.parse(await response.json())
  }
}

/**
 * The seeded local backend, the Twilio double holding both demo accounts (each
 * sending only from the numbers it owns: its seeded one and any unclaimed ones),
 * and the relay mounted between them.
 */
export async function startRelayStack(
  options: {
    callbackDelayMs?: number
    optedOut?: string[]
    /** Numbers each demo account owns on Twilio besides its seeded one, held by no workspace yet. */
    unclaimedNumbers?: Partial<Record<'acme' | 'globex', string[]>>
    /** What else each demo account has on Twilio: API keys, webhooks set elsewhere, Messaging Services. */
    twilioAccounts?: Partial<
      Record<'acme' | 'globex', Pick<TwilioDoubleAccount, 'apiKeys' | 'webhooks' | 'messagingServices'>>
    >
  } & Pick<EmbeddedRelayOptions, 'retry' | 'rateLimits' | 'timing'> = {},
): Promise<RelayStack> {
  const logs = {
    backend: createMemoryLogger('local-backend'),
    double: createMemoryLogger('twilio-double'),
    relay: createMemoryLogger('relay'),
  }
  const backend = await startLocalBackend({ port: 0, seed: true, logger: logs.backend.logger })
  const demo = await demoIds(backend.db)
  const double = await startTwilioDouble({
    accounts: (
      [
        [ACME, options.unclaimedNumbers?.acme, options.twilioAccounts?.acme],
        [GLOBEX, options.unclaimedNumbers?.globex, options.twilioAccounts?.globex],
      ] as const
    ).map(([workspace, unclaimed = [], more]) => ({
      ...more,
      sid: workspace.accountSid,
      authToken: workspace.authToken,
      numbers: [workspace.number, ...unclaimed],
    })),
    logger: logs.double.logger,
    callbackDelayMs: options.callbackDelayMs ?? 0,
    ...(options.optedOut ? { optedOut: options.optedOut } : {}),
  }).catch(async (error: unknown) => {
    await backend.stop()
    throw error
  })
  const sweepers: Sweeper[] = []
  const functions: EdgeFunction[] = []
  const mount = async (mountOptions: EmbeddedRelayOptions) => {
    if (relayRuntime === 'node') {
      const mounted = mountRelay(backend, { ...mountOptions, logger: logs.relay.logger })
      sweepers.push(mounted.sweeper)
      return mounted
    }
    const { name, config } = embeddedRelayConfig(backend, mountOptions)
    const edgeFunction = await startEdgeFunction({
      name: 'relay',
      env: { ...platformEnv(backend), ...edgeSecrets({ ...config, trustProxy: true, localOnly: false }) },
      logger: logs.relay.logger,
    })
    functions.push(edgeFunction)
    backend.mountFunction(name, edgeFunction.handler)
    sweepers.push(
      scheduleSweeps(
        sweepOverHttp(config.publicUrl, config.secretKey),
        config.sweepIntervalMs,
        logs.relay.logger.child({ part: 'sweep' }),
      ),
    )
    return { relayUrl: config.publicUrl, sweeper: sweepers.at(-1)! }
  }
  const stopAll = async () => {
    await Promise.all([...sweepers.map((mounted) => mounted.stop()), ...functions.map((fn) => fn.stop())])
    await double.stop()
    await backend.stop()
  }
  const { relayUrl, sweeper } = await mount({
    twilioApiBaseUrl: double.url,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.timing ? { timing: options.timing } : {}),
  }).catch(async (error: unknown) => {
    await stopAll()
    throw error
  })
  const service = serviceClient(backend)
  return {
    backend,
    demo,
    double,
    relayUrl,
    service,
    sweeper,
    logs,
    mountRelay: mount,
    async messageState(id) {
      const { data } = await service
        .from('messages')
        .select('status, twilio_sid, error_code')
        .eq('id', id)
        .single()
        .throwOnError()
      return data as MessageState
    },
    async outboundAroundRelay(contactId, content) {
      const id = randomUUID()
      await service
        .from('messages')
        .insert({
          id,
          workspace_id: demo.acme,
          contact_id: contactId,
          content,
          direction: 'outbound',
          status: 'pending',
          created_by: demo.ben,
        })
        .throwOnError()
      return id
    },
    stop: stopAll,
  }
}
