// Presence fan-out on a workspace's private channel: 20 agents of one workspace, each
// joined to `workspace:<id>:<channel key>` as the app's main process joins it; one
// tracks what it has open and the time until all 19 others hold it is one sample. The
// floor is the same fan-out without presence, in the same run: a broadcast on the same
// channel from the same agent to the same 19.
import { randomUUID } from 'node:crypto'
import type { RealtimeChannel } from '@supabase/supabase-js'
import {
  currentWorkspaceTopic,
  startRealtimeHarness,
  userToken,
  type RealtimeHarness,
} from '../local-backend/realtime/test-support.ts'
import type { Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'

const AGENTS = 20
const ROUNDS = 200
const SUBSCRIBE_TIMEOUT_MS = 10_000
const ROUND_TIMEOUT_MS = 10_000

/** The workspace's two seeded agents and 18 more, each a member with a profile (the membership trigger makes it). */
async function agentsOf(harness: RealtimeHarness): Promise<string[]> {
  const { rows: seeded } = await harness.db.query<{ user_id: string }>(
    'select user_id from public.workspace_members where workspace_id = $1',
    [harness.demo.acme],
  )
  const extra = Array.from({ length: AGENTS - seeded.length }, () => randomUUID())
  for (const [index, id] of extra.entries()) {
    await harness.db.query(
      `insert into auth.users (instance_id, id, aud, role, email, raw_user_meta_data,
                               confirmation_token, recovery_token, email_change_token_new, email_change)
       values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
               jsonb_build_object('full_name', $3::text), '', '', '', '')`,
      [id, `agent${index}@acme.test`, `Bench Agent ${index}`],
    )
    await harness.db.query(
      `insert into public.workspace_members (workspace_id, user_id, role) values ($1, $2, 'agent')`,
      [harness.demo.acme, id],
    )
  }
  return [...seeded.map((row) => row.user_id), ...extra]
}

interface Desk {
  userId: string
  channel: RealtimeChannel
}

/** Resolves when `count` arrivals of `key` were seen, with the time of the last. */
function fanIn() {
  const waiting = new Map<string, { left: number; resolve(at: number): void }>()
  return {
    expect(key: string, count: number): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fan-out of ${key} incomplete`)), ROUND_TIMEOUT_MS)
        waiting.set(key, {
          left: count,
          resolve: (at) => {
            clearTimeout(timer)
            resolve(at)
          },
        })
      })
    },
    arrived(key: string) {
      const entry = waiting.get(key)
      if (!entry) return
      entry.left -= 1
      if (entry.left === 0) {
        waiting.delete(key)
        entry.resolve(performance.now())
      }
    },
  }
}

async function join(
  harness: RealtimeHarness,
  userId: string,
  arrivals: ReturnType<typeof fanIn>,
): Promise<Desk> {
  const client = await harness.connect(await userToken(userId))
  const channel = client.channel(await currentWorkspaceTopic(harness.db, harness.demo.acme), {
    config: { private: true, presence: { key: userId } },
  })
  channel.on('presence', { event: 'join' }, ({ key, newPresences }) => {
    if (key === userId) return
    for (const meta of newPresences) arrivals.arrived(String((meta as { round?: unknown }).round))
  })
  channel.on('broadcast', { event: 'ping' }, ({ payload }) =>
    arrivals.arrived(String((payload as { round: unknown }).round)),
  )
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('presence channel join timed out')), SUBSCRIBE_TIMEOUT_MS)
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') {
        clearTimeout(timer)
        resolve()
      } else if (status !== 'CLOSED') {
        clearTimeout(timer)
        reject(new Error(`presence channel ${status}: ${error?.message ?? ''}`))
      }
    })
  })
  return { userId, channel }
}

const ms = (samples: number[], p: number) => Math.round(percentile(samples, p) * 100) / 100

export async function run(_scale: Scale): Promise<BenchRow[]> {
  const harness = await startRealtimeHarness()
  try {
    const arrivals = fanIn()
    const users = await agentsOf(harness)
    const desks: Desk[] = []
    for (const userId of users) desks.push(await join(harness, userId, arrivals))
    const { rows } = await harness.db.query<{ id: string }>(
      'select id from public.contacts where workspace_id = $1 order by phone_number limit 24',
      [harness.demo.acme],
    )
    const presence: number[] = []
    const broadcast: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const desk = desks[round % AGENTS]!
      const tracked = `track-${round}`
      const trackDone = arrivals.expect(tracked, AGENTS - 1)
      const trackStarted = performance.now()
      await desk.channel.track({
        user_id: desk.userId,
        conversation_id: rows[round % rows.length]!.id,
        typing: round % 2 === 0,
        round: tracked,
      })
      presence.push((await trackDone) - trackStarted)

      const pinged = `ping-${round}`
      const pingDone = arrivals.expect(pinged, AGENTS - 1)
      const pingStarted = performance.now()
      await desk.channel.send({ type: 'broadcast', event: 'ping', payload: { round: pinged } })
      broadcast.push((await pingDone) - pingStarted)
    }
    return [
      {
        name: `presence fan-out: track → all ${AGENTS - 1} others, ${AGENTS} agents, p50 (n=${ROUNDS})`,
        value: ms(presence, 50),
        unit: 'ms',
        floor: { name: 'broadcast fan-out, same channel and agents, p50', value: ms(broadcast, 50) },
      },
      {
        name: 'presence fan-out p95',
        value: ms(presence, 95),
        unit: 'ms',
        floor: { name: 'broadcast fan-out p95', value: ms(broadcast, 95) },
      },
    ]
  } finally {
    await harness.stop()
  }
}
