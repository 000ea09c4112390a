// REST read throughput and latency for the inbox query (one workspace, a status,
// newest activity first, 50 rows) as a signed-in agent, so RLS is in the path.
// Beside it, floors measured in the same run: the same HTTP server answering
// /health (HTTP cost alone) and the same SQL run in-process as the agent's role
// (database cost alone, through the same pipelined transaction REST uses).
import { createClient } from '@supabase/supabase-js'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { startLocalBackend } from '../local-backend/index.ts'
import { runPipelined } from '../local-backend/rest/pipeline.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'
import { addVolume } from './volume.ts'

const REQUESTS = 3000
const CONCURRENCY = 8
const WARMUP = 200

interface Load {
  perSecond: number
  latencies: number[]
  /** CPU time of this process per operation: robust to other processes sharing the cores. */
  cpuMsPerOp: number
}

async function load(count: number, concurrency: number, once: () => Promise<void>): Promise<Load> {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++
        const at = performance.now()
        await once()
        latencies.push(performance.now() - at)
      }
    }),
  )
  const used = process.cpuUsage(cpu)
  return {
    perSecond: (count / (performance.now() - started)) * 1000,
    latencies,
    cpuMsPerOp: (used.user + used.system) / 1000 / count,
  }
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  // The bench is one user flooding on purpose, to measure throughput rather than the rate limits.
  const unlimited = { burst: 1_000_000, perSecond: 1_000_000 }
  const backend = await startLocalBackend({
    port: 0,
    seed: true,
    logger: createMemoryLogger('bench').logger,
    rateLimits: { perUser: unlimited, perIp: unlimited },
  })
  try {
    const ACME = (await demoIds(backend.db)).acme
    await addVolume(backend.db, ACME, atScale(seedSizes.backend, scale))
    const supabase = createClient(backend.url, backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const { data, error } = await supabase.auth.signInWithPassword({
      email: 'ben@acme.test',
      password: 'inbox-demo-1',
    })
    if (error || !data.session) throw new Error(`sign-in failed: ${error?.message ?? 'no session'}`)
    const token = data.session.access_token
    const claims = JSON.stringify(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()))

    const url =
      `${backend.url}/rest/v1/contacts?select=id,name,phone_number,conversation_status,unread_count,last_message_at,last_message_preview` +
      `&workspace_id=eq.${ACME}&conversation_status=eq.Open&order=last_message_at.desc.nullslast&limit=50`
    const headers = {
      apikey: backend.publishableKey,
      authorization: `Bearer ${token}`,
      accept: 'application/json',
    }
    const inbox = async () => {
      const response = await fetch(url, { headers })
      if (response.status !== 200) throw new Error(`inbox query answered ${response.status}`)
      await response.arrayBuffer()
    }
    const health = async () => {
      await (await fetch(`${backend.url}/health`)).arrayBuffer()
    }
    // The database path REST itself uses (one pipelined transaction as the agent), without HTTP.
    const setup = {
      sql: `select set_config('role', $1::text, true), set_config('request.jwt.claims', $2::text, true)`,
      params: ['authenticated', claims],
    }
    const inboxSql = `select coalesce(json_agg(_r), '[]')::text from (
         select id, name, phone_number, conversation_status, unread_count, last_message_at, last_message_preview
           from public.contacts where workspace_id = $1::text::uuid and conversation_status = 'Open'
          order by last_message_at desc nulls last limit 50) _r`
    const direct = async () => {
      const result = await runPipelined(backend.db, setup, [{ sql: inboxSql, params: [ACME] }], () => true)
      if (!result.ok) throw new Error(result.error.message)
    }

    await load(WARMUP, CONCURRENCY, inbox)
    const rest = await load(REQUESTS, CONCURRENCY, inbox)
    await load(WARMUP, CONCURRENCY, health)
    const bareHttp = await load(REQUESTS, CONCURRENCY, health)
    await load(WARMUP, 1, direct)
    const database = await load(REQUESTS, 1, direct)

    const round = (value: number) => Math.round(value * 100) / 100
    return [
      {
        name: `inbox query reads/s (${CONCURRENCY} in flight, ${REQUESTS} requests)`,
        value: Math.round(rest.perSecond),
        unit: 'req/s',
        target: '>= 500',
        meetsTarget: rest.perSecond >= 500,
      },
      {
        name: 'inbox query CPU per request (server and client in this process)',
        value: round(rest.cpuMsPerOp),
        unit: 'ms',
        target: '<= 2 (500/s on one core)',
        meetsTarget: rest.cpuMsPerOp <= 2,
      },
      { name: 'inbox query p50 latency', value: round(percentile(rest.latencies, 50)), unit: 'ms' },
      { name: 'inbox query p95 latency', value: round(percentile(rest.latencies, 95)), unit: 'ms' },
      {
        name: 'floor: GET /health reads/s (same server)',
        value: Math.round(bareHttp.perSecond),
        unit: 'req/s',
      },
      { name: 'floor: GET /health CPU per request', value: round(bareHttp.cpuMsPerOp), unit: 'ms' },
      {
        name: 'floor: same SQL in-process as the agent, per second',
        value: Math.round(database.perSecond),
        unit: 'q/s',
      },
      {
        name: 'floor: same SQL in-process p95',
        value: round(percentile(database.latencies, 95)),
        unit: 'ms',
      },
      { name: 'floor: same SQL in-process CPU per query', value: round(database.cpuMsPerOp), unit: 'ms' },
    ]
  } finally {
    await backend.stop()
  }
}
