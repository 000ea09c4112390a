import type { Logger } from '../src/shared/log.ts'
import type { SweepCounts } from '../src/shared/relay-contract.ts'
import type { RelayDeps } from './app.ts'
import type { RelayConfig } from './config.ts'
import { createLeasedSender, systemClock } from './leased-send.ts'
import { createStore } from './store.ts'
import { statusChange } from './twilio-send.ts'

/** Rows claimed at once, and batches per pass: a pass does bounded work however much is due. */
const BATCH_SIZE = 25
const MAX_BATCHES = 8
/** Twilio settles a message within hours; one still `sent` after three days never reports delivery. */
const STATUS_MAX_AGE_MS = 3 * 24 * 60 * 60 * 1000

export interface Sweeper {
  /** One pass now; the timer's passes run the same. */
  sweep(): Promise<SweepCounts>
  /** No new pass starts; resolves when the running one has finished. */
  stop(): Promise<void>
}

/**
 * One pass of the relay's recovery: sends whose relay died before storing Twilio's
 * answer are matched against Twilio's list or sent, under a lease; messages whose
 * status callbacks never came are fetched from Twilio. Any number of passes may run at
 * once, in any number of relays: the database's claims hand each row to one of them.
 */
export function createSweep(config: RelayConfig, deps: RelayDeps): () => Promise<SweepCounts> {
  const clock = deps.clock ?? systemClock
  const store = createStore(deps.supabase)
  const sender = createLeasedSender(config, deps, store)
  const logger = deps.logger.child({ part: 'sweep' })

  async function inBatches(claim: () => Promise<number>): Promise<number> {
    let total = 0
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const claimed = await claim()
      total += claimed
      if (claimed < BATCH_SIZE) break
    }
    return total
  }

  const resolveInDoubt = () =>
    inBatches(async () => {
      const leaseFrom = clock.now()
      const claimed = await store.claimInDoubt(config.sendLeaseMs, BATCH_SIZE)
      await Promise.all(
        claimed.map(async (message) => {
          const messageLogger = logger.child({ workspaceId: message.workspace_id, messageId: message.id })
          try {
            const route = await sender.route(message)
            if ('problem' in route) await sender.fail(message, route.problem)
            else await sender.send(message, route, { leaseFrom, inDoubt: true }, messageLogger)
          } catch (error) {
            messageLogger.error('send left in doubt not resolved', { error })
          }
        }),
      )
      return claimed.length
    })

  const checkStatuses = () =>
    inBatches(async () => {
      const claimed = await store.claimStatusChecks(config.statusCheckAfterMs, STATUS_MAX_AGE_MS, BATCH_SIZE)
      await Promise.all(
        claimed.map(async (message) => {
          const messageLogger = logger.child({ workspaceId: message.workspace_id, messageId: message.id })
          try {
            const credentials = await store.credentials(message.workspace_id)
            if (!credentials) return
            const fetched = await deps.twilioClient(credentials).messages(message.twilio_sid).fetch()
            const change = statusChange(
              fetched.status,
              fetched.errorCode === null || fetched.errorCode === undefined
                ? null
                : String(fetched.errorCode),
            )
            if (change && change.status !== 'pending') {
              await store.applyStatus({ sid: message.twilio_sid, messageId: message.id }, change)
            }
            messageLogger.info('status fetched from Twilio', { twilioStatus: fetched.status })
          } catch (error) {
            messageLogger.warn('status check failed', { error })
          }
        }),
      )
      return claimed.length
    })

  return async function sweep(): Promise<SweepCounts> {
    const counts = { inDoubt: await resolveInDoubt(), statusChecks: await checkStatuses() }
    if (counts.inDoubt > 0 || counts.statusChecks > 0) logger.info('sweep', counts)
    return counts
  }
}

/** The relay's recovery every `sweepIntervalMs`, in a process that lives on (the Node relay). */
export function startSweeper(config: RelayConfig, deps: RelayDeps): Sweeper {
  return scheduleSweeps(
    createSweep(config, deps),
    config.sweepIntervalMs,
    deps.logger.child({ part: 'sweep' }),
  )
}

/**
 * Runs `sweep` every `intervalMs` after the previous pass ended, never two at once from
 * here. Also what a test stands in for pg_cron with, calling an Edge Function's /sweep.
 */
export function scheduleSweeps(
  sweep: () => Promise<SweepCounts>,
  intervalMs: number,
  logger: Logger,
): Sweeper {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<unknown> | undefined
  const schedule = () => {
    timer = setTimeout(() => {
      running = sweep()
        .catch((error: unknown) => logger.error('sweep failed', { error }))
        .finally(() => {
          running = undefined
          if (!stopped) schedule()
        })
    }, intervalMs)
    // The sweep never keeps a process alive on its own.
    timer.unref()
  }
  schedule()

  return {
    sweep,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
