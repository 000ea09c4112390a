import { dirname, join } from 'node:path'
import { z } from 'zod'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { loadOrCreateProjectKeys, watchKeysFile } from '../../../local-backend/keys-file.ts'
import { startTwilioDouble, type TwilioDouble } from '../../../local-backend/twilio/double.ts'
import { postInboundSms } from '../../../local-backend/twilio/inbound.ts'
import { createStdoutLogger } from '../../../logging/logger.ts'
import { mountRelay } from '../../../relay/embedded.ts'
import type { Sweeper } from '../../../relay/sweeper.ts'
import { appError, type AppError } from '../../shared/errors.ts'
import { reclaimHeapSoon } from '../core/heap.ts'
import { parentMessageSchema, twilioJournalFile, type HostMessage } from './host-messages.ts'
import { parentChannel } from './parent-channel.ts'

/**
 * The embedded default's child process: the local backend with its data under the
 * app's userData, the relay mounted at /functions/v1/sms-relay as on Supabase, and
 * the Twilio double the relay sends through. It reports its URLs to the app and
 * serves "simulate an inbound SMS" for the dev menu. The installation's keys live
 * beside the data in a file only its owner can read; this process alone reads it,
 * so the app hears of the publishable key only, and the secret key stays with the relay.
 * Its JSON log lines go to stdout, where the launcher files them in the app's log.
 */
const logger = createStdoutLogger('embedded-stack')
const dataDir = process.env.EMBEDDED_DATA_DIR
const port = Number(process.env.EMBEDDED_PORT ?? 54321)
// A packaged app has no repository around its bundle: the Electron layer passes the
// migrations it ships as resources, and the snapshot cache goes beside the data.
const supabaseDir = process.env.EMBEDDED_SUPABASE_DIR || undefined
const snapshotDir =
  process.env.EMBEDDED_SNAPSHOT_DIR || (dataDir ? join(dirname(dataDir), 'pglite-snapshots') : undefined)

// Beside the data rather than in it: the data directory is the database's own.
const keysFile = dataDir ? join(dirname(dataDir), 'embedded-backend-keys.json') : undefined
const parent = parentChannel()
const reply = (message: HostMessage) => parent.send(message)

/**
 * EMBEDDED_RELAY_SENDS_PER_SECOND lifts the relay's send limits (per agent and per
 * address, bursts of ten seconds' worth), so a load test of this stack measures what
 * it is testing rather than the hosted relay's one send a second. Unset: those limits.
 */
function rateLimits() {
  const raw = process.env.EMBEDDED_RELAY_SENDS_PER_SECOND
  if (!raw) return {}
  const perSecond = z.coerce.number().positive().parse(raw)
  const limit = { burst: perSecond * 10, perSecond }
  return { rateLimits: { perAgent: limit, perIp: limit } }
}

interface TwilioAccountRow {
  workspace_id: string
  account_sid: string
  auth_token: string
}

async function start(): Promise<{
  backend: LocalBackend
  double: TwilioDouble
  relayUrl: string
  sweeper: Sweeper
  stopWatchingKeys: () => void
}> {
  if (!dataDir || !keysFile) throw new Error('EMBEDDED_DATA_DIR is not set')
  const { keys, created } = await loadOrCreateProjectKeys(keysFile)
  if (created) logger.info('generated the keys of this installation', { keysFile })
  const backend = await startLocalBackend({
    port,
    dataDir,
    supabaseDir,
    snapshotDir,
    seed: true,
    logger,
    keys,
  })
  // PGlite lets one process open the data, so this child's relay is the only one there is:
  // a lease found now was its killed predecessor's. Waiting it out would hold every reply
  // it left in doubt (and the replies queued behind them) for the lease's whole length.
  await backend.db.query('delete from private.message_leases')
  const accounts = await backend.db.query<TwilioAccountRow>(
    'select workspace_id, account_sid, auth_token from public.workspace_twilio_config',
  )
  const double = await startTwilioDouble({
    accounts: accounts.rows.map((row) => ({ sid: row.account_sid, authToken: row.auth_token })),
    logger: logger.child({ part: 'twilio-double' }),
    // Beside the data (PGDATA holds only Postgres' files), so the double remembers across a crash as Twilio would.
    journalFile: twilioJournalFile(dataDir),
  })
  const { relayUrl, sweeper } = mountRelay(backend, {
    twilioApiBaseUrl: double.url,
    logger: logger.child({ part: 'relay' }),
    ...rateLimits(),
  })
  // A rotation stored in the keys file applies at once. The relay mounted here keeps the
  // secret key it started with, which stays accepted until the second API key rotation from now.
  const stopWatchingKeys = watchKeysFile(keysFile, keys, (rotated) => backend.useKeys(rotated))
  return { backend, double, relayUrl, sweeper, stopWatchingKeys }
}

async function simulateInbound(
  backend: LocalBackend,
  relayUrl: string,
  input: { workspaceId: string; from: string; body: string },
): Promise<AppError | null> {
  const found = await backend.db.query<{ number: string; account_sid: string; auth_token: string }>(
    `select n.phone_number as number, c.account_sid, c.auth_token
       from public.twilio_numbers n join public.workspace_twilio_config c on c.workspace_id = n.workspace_id
      where n.workspace_id = $1 order by n.created_at limit 1`,
    [input.workspaceId],
  )
  const row = found.rows[0]
  if (!row) return appError('not_configured', 'This workspace has no Twilio number to receive on.')
  const result = await postInboundSms({
    relayUrl,
    accountSid: row.account_sid,
    authToken: row.auth_token,
    to: row.number,
    from: input.from,
    body: input.body,
  })
  return result.status < 300
    ? null
    : appError('upstream', `The relay refused the simulated SMS (HTTP ${result.status}).`)
}

try {
  const { backend, double, relayUrl, sweeper, stopWatchingKeys } = await start()
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    stopWatchingKeys()
    await sweeper.stop()
    await double.stop().catch(() => undefined)
    await backend.stop().catch(() => undefined)
    process.exit(0)
  }
  parent.onMessage((raw) => {
    const parsed = parentMessageSchema.safeParse(raw)
    if (!parsed.success) return
    const message = parsed.data
    if (message.type === 'stop') {
      void stop()
      return
    }
    if (message.type === 'reclaimMemory') {
      if (!stopping) reclaimHeapSoon(logger)
      return
    }
    simulateInbound(backend, relayUrl, message)
      .catch((error: unknown) => {
        logger.error('simulated inbound failed', { error })
        return appError('internal', 'The simulated SMS could not be posted.')
      })
      .then((error) => reply({ type: 'result', id: message.id, error }))
  })
  // The app went away without saying goodbye: do not linger holding the port and the database.
  parent.onGone(() => void stop())
  reply({ type: 'ready', supabaseUrl: backend.url, publishableKey: backend.publishableKey, relayUrl })
  logger.info('embedded stack ready', { url: backend.url, relayUrl })
} catch (error) {
  // A taken port is the person's to settle, and the app tells them in one line (the
  // port, and how to choose another); a log line here would only repeat it.
  const portInUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? port : null
  if (portInUse === null) logger.error('embedded stack failed to start', { error })
  const failed: HostMessage = {
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
    portInUse,
  }
  // Exit only once the parent has the reason: an exit right after a send can drop it.
  parent.sendLast(failed, 1)
}
