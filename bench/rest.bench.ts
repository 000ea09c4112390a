// REST throughput as a signed-in agent (RLS in the path), 8 requests in flight, on
// a workspace of 1k/20k or 10k/200k contacts/messages (scale.ts, volume.ts):
// inbox pages (a status, newest activity first, 50 rows, paged through the first
// 1,000) and message inserts. Beside each figure, Debian's PostgreSQL 15 in the
// same run with the same data running the very SQL our REST layer generates for
// those requests (same planner, same role, claims and bounds setup, one
// transaction each, prepared, through postgres.js), and the ratio. The two sides take
// turns, round by round, and the ratio is the median of the rounds'. Postgres has no
// HTTP in its path, yet the ratio depends on the machine as much as on our code:
// between two build machines (an Intel Xeon and an AMD EPYC, README) Postgres' CPU per
// inbox read, its processes' and its client's, differed 2.4- to 5.2-fold and the
// embedded side's 1.0- to 1.4-fold, and on the EPYC the embedded side answered more reads.
// The HTTP requests come from their own thread (http-load.ts), as the app's come
// from another process. Also the floors of the embedded side: /health on the same
// server (HTTP alone) and the inbox SQL in-process (database alone).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Sql } from 'postgres'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../local-backend/index.ts'
import { callerSetup, type Caller, type TransactionSettings } from '../local-backend/rest/caller.ts'
import { loadCatalog } from '../local-backend/rest/catalog.ts'
import { createStatementPlanner } from '../local-backend/rest/handlers.ts'
import { watchRoleSettings } from '../local-backend/rest/role-settings.ts'
import { runPipelined, type Statement } from '../local-backend/rest/pipeline.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { loadFromWorker, type HttpRequestSpec, type Load } from './http-load.ts'
import { startPostgres15, transactorOf, type Postgres15 } from './postgres15.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'
import { addVolume, type Volume } from './volume.ts'

const READS = 6000
const INSERTS = 4000
/**
 * Each side's requests are measured in this many rounds, the embedded backend's and
 * Postgres' taking turns, and the ratio is the median of the rounds' ratios: on a
 * shared machine each side's speed drifts (the same PostgreSQL 15 answered from 1,731
 * to 2,141 inserts/s in runs an hour apart), and two rounds side by side drift alike.
 * Rounds of a fifth of the requests were too short: Postgres' lasted 0.2 s, and the
 * embedded side's CPU per insert rose from 2.1 to 2.45 ms as it switched so often.
 */
const ROUNDS = 3
const CONCURRENCY = 8
const WARMUP = 200
const PAGE = 50
const PAGES = 20
const STATUSES = ['Open', 'Pending', 'Done']

/** Runs `count` operations in this thread, `concurrency` at a time; `once(i)` is the i-th. Says how long it took, as the 10× run is long. */
async function load(
  what: string,
  count: number,
  concurrency: number,
  once: (i: number) => Promise<void>,
): Promise<Load> {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        const at = performance.now()
        await once(i)
        latencies.push(performance.now() - at)
      }
    }),
  )
  const used = process.cpuUsage(cpu)
  const seconds = (performance.now() - started) / 1000
  process.stderr.write(`rest bench: ${what}: ${count} in ${seconds.toFixed(1)} s\n`)
  return {
    perSecond: count / seconds,
    latencies,
    cpuMsPerOp: (used.user + used.system) / 1000 / count,
  }
}

/** The i-th inbox page: statuses in turn, each paged through its first PAGES × PAGE conversations. */
const inboxPath = (workspace: string, i: number) =>
  `/contacts?select=id,name,phone_number,conversation_status,unread_count,last_message_at,last_message_preview` +
  `&workspace_id=eq.${workspace}&conversation_status=eq.${STATUSES[i % STATUSES.length]}` +
  `&order=last_message_at.desc.nullslast&limit=${PAGE}&offset=${PAGE * (Math.floor(i / STATUSES.length) % PAGES)}`

interface Workload {
  restUrl: string
  workspace: string
  caller: Caller
  /** The agent's role's settings as the server applies them, so the floors run the same setup. */
  settings: TransactionSettings
  token: string
  apiKey: string
  contacts: string[]
  /** The agent's new reply, as the app posts it. */
  reply(i: number): string
}

async function prepareEmbedded(
  volume: Volume,
  dataDir: string,
): Promise<{ backend: LocalBackend; workload: Workload }> {
  // The bench is one user flooding on purpose, to measure throughput rather than the rate limits.
  const unlimited = { burst: 1_000_000, perSecond: 1_000_000 }
  // On disk, as the app keeps it (an in-memory database runs with a test's 2 MB of shared buffers).
  const backend = await startLocalBackend({
    port: 0,
    seed: true,
    dataDir,
    logger: createMemoryLogger('bench').logger,
    rateLimits: { perUser: unlimited, perIp: unlimited },
  })
  try {
    return { backend, workload: await loadWorkload(backend, volume) }
  } catch (error) {
    await backend.stop()
    throw error
  }
}

/** Both databases are analyzed after the bulk load, so each plans with its statistics. */
const analyze = 'analyze public.contacts, public.messages'

async function loadWorkload(backend: LocalBackend, volume: Volume): Promise<Workload> {
  const demo = await demoIds(backend.db)
  await addVolume(backend.db, demo.acme, volume)
  await backend.db.exec(analyze)
  const response = await fetch(`${backend.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: backend.publishableKey, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ben@acme.test', password: 'inbox-demo-1' }),
  })
  const { access_token: token } = (await response.json()) as { access_token: string }
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Caller['claims']
  // The busiest conversations, so inserts land where a team works.
  const { rows } = await backend.db.query<{ id: string }>(
    `select id from public.contacts where workspace_id = $1 order by last_message_at desc nulls last limit 200`,
    [demo.acme],
  )
  const contacts = rows.map((row) => row.id)
  const roleSettings = await watchRoleSettings(backend.db, createMemoryLogger('bench').logger)
  const { statementTimeout, applied } = await roleSettings.of('authenticated')
  const settings = { statementTimeout, roleSettings: applied }
  await roleSettings.stop()
  return {
    restUrl: `${backend.url}/rest/v1`,
    workspace: demo.acme,
    caller: { role: 'authenticated', claims },
    settings,
    token,
    apiKey: backend.publishableKey,
    contacts,
    reply: (i) =>
      JSON.stringify({
        workspace_id: demo.acme,
        contact_id: contacts[i % contacts.length],
        content: `Reply ${i}: your order ships tomorrow.`,
        direction: 'outbound',
        created_by: demo.ben,
      }),
  }
}

type Kind = 'reads' | 'inserts'

/** One round of one kind of request on one side: the `count` requests from the `from`-th on. */
type Round = (kind: Kind, from: number, count: number) => Promise<Load>

function embeddedRounds(backend: LocalBackend, w: Workload): Round {
  const headers = { apikey: w.apiKey, authorization: `Bearer ${w.token}`, accept: 'application/json' }
  const request = (kind: Kind, i: number): HttpRequestSpec =>
    kind === 'reads'
      ? { url: w.restUrl + inboxPath(w.workspace, i), method: 'GET', headers, expectedStatus: 200 }
      : {
          url: `${w.restUrl}/messages`,
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', prefer: 'return=minimal' },
          body: w.reply(i),
          expectedStatus: 201,
        }
  return (kind, from, count) =>
    loadFromWorker(`embedded ${kind}`, {
      warmup: Array.from({ length: WARMUP }, (_, i) => request(kind, i)),
      measured: Array.from({ length: count }, (_, i) => request(kind, from + i)),
      concurrency: CONCURRENCY,
    })
}

/** The floors of the embedded side: HTTP alone (/health) and the inbox SQL alone, in-process. */
async function embeddedFloors(backend: LocalBackend, w: Workload): Promise<BenchRow[]> {
  const health = (): HttpRequestSpec => ({
    url: `${backend.url}/health`,
    method: 'GET',
    headers: {},
    expectedStatus: 200,
  })
  const bareHttp = await loadFromWorker('/health', {
    warmup: Array.from({ length: WARMUP }, health),
    measured: Array.from({ length: READS }, health),
    concurrency: CONCURRENCY,
  })
  const planner = createStatementPlanner(await loadCatalog(backend.db))
  const direct = async (i: number) => {
    const { statements } = planner.read(new Request(w.restUrl + inboxPath(w.workspace, i)), 'contacts')
    const result = await runPipelined(
      backend.db,
      callerSetup(w.caller, w.settings, statements),
      statements,
      () => true,
    )
    if (!result.ok) throw new Error(result.error.message)
  }
  await load('warm-up', WARMUP, 1, direct)
  const database = await load('in-process SQL', READS, 1, direct)
  const round = (value: number) => Math.round(value * 100) / 100
  return [
    {
      name: 'floor: GET /health reads/s (same server)',
      value: Math.round(bareHttp.perSecond),
      unit: 'req/s',
    },
    { name: 'floor: GET /health CPU per request', value: round(bareHttp.cpuMsPerOp), unit: 'ms' },
    {
      name: 'floor: inbox SQL in-process as the agent, 1 in flight',
      value: Math.round(database.perSecond),
      unit: 'q/s',
    },
    { name: 'floor: inbox SQL in-process CPU per query', value: round(database.cpuMsPerOp), unit: 'ms' },
  ]
}

/** The statements of one request run on Postgres as PostgREST would: one transaction, the setup first. */
async function runOnPostgres(
  sql: Sql,
  caller: Caller,
  settings: TransactionSettings,
  statements: Statement[],
): Promise<void> {
  const setup = callerSetup(caller, settings, statements)
  // Handed over as one array, postgres.js pipelines the statements inside BEGIN … COMMIT.
  await sql.begin((tx) =>
    [setup, ...statements].map((statement) => tx.unsafe(statement.sql, statement.params, { prepare: true })),
  )
}

/** The same requests' SQL on PostgreSQL 15, grown to the same volume, one round at a time. */
async function postgresRounds(
  server: Postgres15,
  volume: Volume,
  embedded: LocalBackend,
  w: Workload,
): Promise<{ round: Round; close(): Promise<void> }> {
  const sql = server.connect(CONCURRENCY)
  // Postgres drew its own ids when it was seeded; the requests name them.
  const [ids] = await sql<[{ acme: string; ben: string }]>`
    select (select id from public.workspaces where name = 'Acme Support')::text as acme,
           (select id from auth.users where email = 'ben@acme.test')::text as ben`
  await addVolume(transactorOf(sql), ids.acme, volume)
  await sql.unsafe(analyze)
  const contacts = (
    await sql<{ id: string }[]>`select id::text from public.contacts where workspace_id = ${ids.acme}
                                 order by last_message_at desc nulls last limit 200`
  ).map((row) => row.id)
  const caller: Caller = { role: 'authenticated', claims: { ...w.caller.claims, sub: ids.ben } }
  const planner = createStatementPlanner(await loadCatalog(embedded.db))
  const once: Record<Kind, (i: number) => Promise<void>> = {
    reads: async (i) => {
      const { statements } = planner.read(new Request(w.restUrl + inboxPath(ids.acme, i)), 'contacts')
      await runOnPostgres(sql, caller, w.settings, statements)
    },
    inserts: async (i) => {
      const body = JSON.stringify({
        workspace_id: ids.acme,
        contact_id: contacts[i % contacts.length],
        content: `Reply ${i}: your order ships tomorrow.`,
        direction: 'outbound',
        created_by: ids.ben,
      })
      const request = new Request(`${w.restUrl}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'return=minimal' },
        body,
      })
      const { statement } = await planner.mutate(request, 'insert', 'messages')
      await runOnPostgres(sql, caller, w.settings, [statement!])
    },
  }
  const warm = new Set<Kind>()
  return {
    async round(kind, from, count) {
      if (!warm.has(kind)) {
        await load('Postgres warm-up', WARMUP, CONCURRENCY, once[kind])
        warm.add(kind)
      }
      // Its client's CPU (this process) and its server's, as the embedded figure counts both.
      const before = server.cpuMs()
      const measured = await load(`Postgres ${kind}`, count, CONCURRENCY, (i) => once[kind](from + i))
      return { ...measured, cpuMsPerOp: measured.cpuMsPerOp + (server.cpuMs() - before) / count }
    },
    close: () => sql.end(),
  }
}

/** One kind of request, measured round by round on each side. */
interface Measured {
  ours: Load
  theirs?: Load
  /** The median of the rounds' ratios of throughput, ours to theirs. */
  ratio?: number
}

/** Rounds as one figure: the median round's throughput, every latency, the mean CPU per request. */
function together(rounds: Load[]): Load {
  return {
    perSecond: percentile(
      rounds.map((round) => round.perSecond),
      50,
    ),
    latencies: rounds.flatMap((round) => round.latencies),
    cpuMsPerOp: rounds.reduce((sum, round) => sum + round.cpuMsPerOp, 0) / rounds.length,
  }
}

async function measure(kind: Kind, total: number, ours: Round, theirs: Round | undefined): Promise<Measured> {
  const count = Math.ceil(total / ROUNDS)
  const oursRounds: Load[] = []
  const theirsRounds: Load[] = []
  for (let round = 0; round < ROUNDS; round++) {
    oursRounds.push(await ours(kind, round * count, count))
    if (theirs) theirsRounds.push(await theirs(kind, round * count, count))
  }
  if (!theirs) return { ours: together(oursRounds) }
  const ratios = oursRounds.map((round, i) => round.perSecond / theirsRounds[i]!.perSecond)
  process.stderr.write(
    `rest bench: ${kind}, embedded ÷ PostgreSQL 15 by round: ${ratios.map((r) => r.toFixed(2)).join(' ')}\n`,
  )
  return { ours: together(oursRounds), theirs: together(theirsRounds), ratio: percentile(ratios, 50) }
}

/** Each figure with Postgres 15's beside it as its floor, and the ratio the issue sets a goal for. */
function rows(reads: Measured, inserts: Measured): BenchRow[] {
  const round = (value: number) => Math.round(value * 100) / 100
  const figure = (what: string, { ours, theirs, ratio }: Measured, goal: number): BenchRow[] => {
    const out: BenchRow[] = [
      {
        name: `${what}/s (${CONCURRENCY} in flight, median of ${ROUNDS} rounds; floor: PostgreSQL 15, same SQL, no HTTP)`,
        value: Math.round(ours.perSecond),
        unit: 'req/s',
        ...(theirs && { floor: { name: 'PostgreSQL 15', value: Math.round(theirs.perSecond) } }),
      },
      {
        name: `${what} p95 (floor: PostgreSQL 15)`,
        value: round(percentile(ours.latencies, 95)),
        unit: 'ms',
        ...(theirs && { floor: { name: 'PostgreSQL 15', value: round(percentile(theirs.latencies, 95)) } }),
      },
      {
        name: `${what} CPU per request, client and server (floor: PostgreSQL 15's processes and its client)`,
        value: round(ours.cpuMsPerOp),
        unit: 'ms',
        ...(theirs && { floor: { name: 'PostgreSQL 15', value: round(theirs.cpuMsPerOp) } }),
      },
    ]
    if (theirs && ratio !== undefined) {
      out.push(
        {
          name: `${what}: embedded ÷ PostgreSQL 15 throughput (median of the rounds side by side)`,
          // Three places, so that a ratio just under the goal never reads as the goal itself.
          value: Math.round(ratio * 1000) / 1000,
          unit: '×',
          target: `>= ${goal}`,
          meetsTarget: ratio >= goal,
        },
        {
          // Per CPU second, so the one thread PGlite runs on and the cores Postgres spreads over count alike.
          name: `${what}: embedded ÷ PostgreSQL 15 requests per CPU second`,
          value: round(theirs.cpuMsPerOp / ours.cpuMsPerOp),
          unit: '×',
        },
      )
    }
    return out
  }
  return [...figure('inbox page reads', reads, 0.5), ...figure('message inserts', inserts, 0.3)]
}

/** Both sides round by round (Postgres 15's when it is installed), then the embedded side's floors. */
async function measureBoth(volume: Volume, backend: LocalBackend, w: Workload): Promise<BenchRow[]> {
  const ours = embeddedRounds(backend, w)
  const postgres = await startPostgres15()
  if (!postgres.ok)
    process.stderr.write(`rest bench: skipping the PostgreSQL 15 column: ${postgres.reason}\n`)
  try {
    const theirs = postgres.ok ? await postgresRounds(postgres.server, volume, backend, w) : undefined
    try {
      const reads = await measure('reads', READS, ours, theirs?.round)
      const inserts = await measure('inserts', INSERTS, ours, theirs?.round)
      return [...rows(reads, inserts), ...(await embeddedFloors(backend, w))]
    } finally {
      await theirs?.close()
    }
  } finally {
    if (postgres.ok) await postgres.server.stop()
  }
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  const volume = atScale(seedSizes.backend, scale)
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-rest-'))
  try {
    const { backend, workload } = await prepareEmbedded(volume, dataDir)
    try {
      return await measureBoth(volume, backend, workload)
    } finally {
      await backend.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
