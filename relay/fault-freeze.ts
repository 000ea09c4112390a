import { writeSync } from 'node:fs'
import { z } from 'zod'
import { ConfigError } from './config.ts'
import { faultPoints, type FaultPoint } from './leased-send.ts'

/** The line a frozen relay prints, for the test that kills it there. */
export const FROZEN_MARKER = 'relay frozen at fault point'

const freezeAtSchema = z.enum(faultPoints).optional()

/**
 * For the crash tests only: RELAY_FAULT_FREEZE_AT names a fault point where the relay
 * stops dead (it prints one line, then blocks its only thread for good) so that the
 * test can SIGKILL it exactly there. Unset, as everywhere else, there is no hook.
 */
export function faultFreezeFromEnv(
  env: Record<string, string | undefined>,
): ((point: FaultPoint) => void) | undefined {
  const parsed = freezeAtSchema.safeParse(env.RELAY_FAULT_FREEZE_AT || undefined)
  if (!parsed.success) throw new ConfigError(`RELAY_FAULT_FREEZE_AT must be one of ${faultPoints.join(', ')}`)
  const freezeAt = parsed.data
  if (!freezeAt) return undefined
  return (point) => {
    if (point !== freezeAt) return
    // Written synchronously: nothing after this line runs, not even a stream flush.
    writeSync(1, `${JSON.stringify({ msg: FROZEN_MARKER, point })}\n`)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  }
}
