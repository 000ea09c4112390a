// REST throughput as a signed-in agent (RLS in the path), 8 requests in flight, on
// a workspace of 1k/20k or 10k/200k contacts/messages (scale.ts, volume.ts):
// inbox pages (a status, newest activity first, 50 rows, paged through the first
// 1,000) and message inserts. Beside each figure, Debian's PostgreSQL 15 in the
// same run with the same data running the very SQL our REST layer generates for
// those requests (same planner, same role, claims and bounds setup, one
// transaction each, prepared, through postgres.js), and the ratio. Postgres has no
// HTTP in its path, so its figure is a floor the embedded backend cannot pass.
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

const READS = 3000
const INSERTS = 2000
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
  const settings = { statementTimeout: await roleSettings.statementTimeout('authenticated') }
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

interface Figures {
  reads: Load
  inserts: Load
}

async function measureEmbedded(
  backend: LocalBackend,
  w: Workload,
): Promise<Figures & { floors: BenchRow[] }> {
  const headers = { apikey: w.apiKey, authorization: `Bearer ${w.token}`, accept: 'application/json' }
  const read = (i: number): HttpRequestSpec => ({
    url: w.restUrl + inboxPath(w.workspace, i),
    method: 'GET',
    headers,
    expectedStatus: 200,
  })
  const insert = (i: number): HttpRequestSpec => ({
    url: `${w.restUrl}/messages`,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', prefer: 'return=minimal' },
    body: w.reply(i),
    expectedStatus: 201,
  })
  const health = (): HttpRequestSpec => ({
    url: `${backend.url}/health`,
    method: 'GET',
    headers: {},
    expectedStatus: 200,
  })
  const spec = (request: (i: number) => HttpRequestSpec, count: number) => ({
    warmup: Array.from({ length: WARMUP }, (_, i) => request(i)),
    measured: Array.from({ length: count }, (_, i) => request(i)),
    concurrency: CONCURRENCY,
  })
  const reads = await loadFromWorker('embedded reads', spec(read, READS))
  const inserts = await loadFromWorker('embedded inserts', spec(insert, INSERTS))
  const bareHttp = await loadFromWorker('/health', spec(health, READS))
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
  return {
    reads,
    inserts,
    floors: [
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
    ],
  }
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

/** Postgres 15's figures for the same workload, or why there are none. */
async function postgresFigures(
  volume: Volume,
  embedded: LocalBackend,
  w: Workload,
): Promise<Figures | string> {
  const postgres = await startPostgres15()
  if (!postgres.ok) {
    process.stderr.write(`rest bench: skipping the PostgreSQL 15 column: ${postgres.reason}\n`)
    return postgres.reason
  }
  try {
    return await measurePostgres(postgres.server, volume, embedded, w)
  } finally {
    await postgres.server.stop()
  }
}

async function measurePostgres(
  server: Postgres15,
  volume: Volume,
  embedded: LocalBackend,
  w: Workload,
): Promise<Figures> {
  const sql = server.connect(CONCURRENCY)
  try {
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
    const read = async (i: number) => {
      const { statements } = planner.read(new Request(w.restUrl + inboxPath(ids.acme, i)), 'contacts')
      await runOnPostgres(sql, caller, w.settings, statements)
    }
    const insert = async (i: number) => {
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
    }
    // Its client's CPU (this process) and its server's, as the embedded figure counts both.
    const withServerCpu = async (what: string, count: number, once: (i: number) => Promise<void>) => {
      const before = server.cpuMs()
      const measured = await load(what, count, CONCURRENCY, once)
      return { ...measured, cpuMsPerOp: measured.cpuMsPerOp + (server.cpuMs() - before) / count }
    }
    await load('Postgres warm-up', WARMUP, CONCURRENCY, read)
    const reads = await withServerCpu('Postgres reads', READS, read)
    await load('Postgres warm-up', WARMUP, CONCURRENCY, insert)
    const inserts = await withServerCpu('Postgres inserts', INSERTS, insert)
    return { reads, inserts }
  } finally {
    await sql.end()
  }
}

/** Each figure with Postgres 15's beside it as its floor, and the ratio the issue sets a goal for. */
function rows(embedded: Figures, postgres: Figures | string): BenchRow[] {
  const round = (value: number) => Math.round(value * 100) / 100
  const pg = typeof postgres === 'string' ? undefined : postgres
  const figure = (what: string, ours: Load, theirs: Load | undefined, goal: number): BenchRow[] => {
    const out: BenchRow[] = [
      {
        name: `${what}/s (${CONCURRENCY} in flight; floor: PostgreSQL 15, same SQL, no HTTP)`,
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
    if (theirs) {
      const ratio = round(ours.perSecond / theirs.perSecond)
      out.push(
        {
          name: `${what}: embedded ÷ PostgreSQL 15 throughput`,
          value: ratio,
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
  return [
    ...figure('inbox page reads', embedded.reads, pg?.reads, 0.5),
    ...figure('message inserts', embedded.inserts, pg?.inserts, 0.3),
  ]
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  const volume = atScale(seedSizes.backend, scale)
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-rest-'))
  try {
    const { backend, workload } = await prepareEmbedded(volume, dataDir)
    try {
      const embedded = await measureEmbedded(backend, workload)
      const theirs = await postgresFigures(volume, backend, workload)
      return [...rows(embedded, theirs), ...embedded.floors]
    } finally {
      await backend.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
