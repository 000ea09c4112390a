// Realtime delivery latency from commit to every supabase-js subscriber that may
// see the row, beside the floors measured in the same run: a bare loopback
// WebSocket echo, a bare PGlite insert (the same statement on a database without
// change capture), and Debian's PostgreSQL 15 doing the least any realtime server
// on it could for the same subscribers: a row trigger NOTIFYs the row, a LISTEN
// connection receives it at commit, one query per change checks it under RLS for
// each distinct set of subscriber claims (as hosted Realtime's WALRUS checks its
// list of subscription claims per change; WALRUS checks once per subscription, the
// floor once per distinct claims, as ours does), and the row is encoded once and
// sent over loopback WebSockets to the subscribers whose claims may select it.
//
// Both sides are timed from the same instant: the earlier of the writer's commit
// acknowledgement and the first NOTIFY of the commit. On PGlite the two differ:
// the NOTIFY reaches the realtime server inside the writer's query, and delivery's
// RLS checks take the single connection before the writer's promise resumes, so
// timing from the writer's acknowledgement would leave them out.
import type { AddressInfo } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import type { Sql } from 'postgres'
import { WebSocket, WebSocketServer } from 'ws'
import { openDatabase } from '../local-backend/db/database.ts'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { anonKey, startRealtimeHarness, userToken, waitFor } from '../local-backend/realtime/test-support.ts'
import { startPostgres15, transactorOf } from './postgres15.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'
import { addVolume, type Volume } from './volume.ts'

const SEQUENTIAL_INSERTS = 1000
const BURST_INSERTS = 1000
/** Extra agents listening on both workspaces, so every change is checked for several claim sets. */
const EXTRA_SUBSCRIBERS_PER_WORKSPACE = 10
const ECHO_ROUND_TRIPS = 1000
/** Every subscriber: the timed agent, then the extra ones of each workspace. */
const SUBSCRIBERS = 1 + 2 * EXTRA_SUBSCRIBERS_PER_WORKSPACE
/** Those who may see an Acme row: the agent and Acme's extra agents. */
const ACME_SUBSCRIBERS = 1 + EXTRA_SUBSCRIBERS_PER_WORKSPACE

const insertSql = `insert into public.messages (workspace_id, contact_id, content, direction)
                   values ($1, $2, $3, 'inbound') returning id`

async function echoFloor(): Promise<number[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(data)))
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  const client = new WebSocket(`ws://127.0.0.1:${port}`)
  await new Promise<void>((resolve, reject) => {
    client.once('open', resolve)
    client.once('error', reject)
  })
  const samples: number[] = []
  for (let i = 0; i < ECHO_ROUND_TRIPS; i++) {
    const started = performance.now()
    await new Promise<void>((resolve) => {
      client.once('message', () => resolve())
      client.send(JSON.stringify([null, String(i), 'phoenix', 'heartbeat', {}]))
    })
    samples.push(performance.now() - started)
  }
  client.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return samples
}

const burstSql = `insert into public.messages (workspace_id, contact_id, content, direction)
                  select $1, ($3::uuid[])[1 + g % 24], 'burst ' || g, 'inbound'
                    from generate_series(1, $2::int) g`

/** Acme's contacts, which the inserts take turns writing to (the burst, the first 24). */
async function acmeContacts(db: Pick<PGlite, 'query'>, acme: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'select id from public.contacts where workspace_id = $1 order by phone_number',
    [acme],
  )
  return rows.map((row) => row.id)
}

async function insertFloor(volume: Volume): Promise<{ samples: number[]; burstMs: number }> {
  const db = await openDatabase({ seed: true })
  try {
    const demo = await demoIds(db)
    await addVolume(db, demo.acme, volume)
    const contacts = await acmeContacts(db, demo.acme)
    const samples: number[] = []
    for (let i = 0; i < SEQUENTIAL_INSERTS; i++) {
      const started = performance.now()
      await db.query(insertSql, [demo.acme, contacts[i % contacts.length], `floor ${i}`])
      samples.push(performance.now() - started)
    }
    const started = performance.now()
    await db.query(burstSql, [demo.acme, BURST_INSERTS, contacts])
    return { samples, burstMs: performance.now() - started }
  } finally {
    await db.close()
  }
}

/** A loopback WebSocket server with `count` clients; each client records when each message arrives. */
async function loopbackFanout(count: number, onArrival: (client: number, data: string) => void) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  const serverEnds: WebSocket[] = []
  const clients: WebSocket[] = []
  for (let i = 0; i < count; i++) {
    const serverEnd = new Promise<WebSocket>((resolve) => server.once('connection', resolve))
    const client = new WebSocket(`ws://127.0.0.1:${port}`)
    client.on('message', (data) => onArrival(i, String(data)))
    await new Promise<void>((resolve, reject) => {
      client.once('open', resolve)
      client.once('error', reject)
    })
    clients.push(client)
    serverEnds.push(await serverEnd)
  }
  return {
    send: (client: number, data: string) => serverEnds[client]!.send(data),
    async close() {
      for (const client of clients) client.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A postgres.js pool as PGlite's `query`, so the floor finds the demo users as the embedded side does. */
function queryableOf(sql: Sql): Pick<PGlite, 'query'> {
  return {
    query: async (text: string, params?: unknown[]) => ({
      rows: await sql.unsafe(text, (params ?? []) as never),
      fields: [],
    }),
  } as unknown as Pick<PGlite, 'query'>
}

/** Who the timed subscribers are, in the order they subscribe: the agent, then per extra one an Acme and a Globex agent. */
function subscriberUsers(demo: { ben: string; ava: string; cleo: string }): string[] {
  const users = [demo.ben]
  for (let i = 0; i < EXTRA_SUBSCRIBERS_PER_WORKSPACE; i++) users.push(demo.ava, demo.cleo)
  return users
}

/** Commit → each subscriber on PostgreSQL 15 through NOTIFY, an RLS check and WebSockets; or why it was skipped. */
async function postgresFloor(volume: Volume): Promise<number[] | string> {
  const started = await startPostgres15()
  if (!started.ok) return started.reason
  const sql = started.server.connect(2)
  try {
    // One call per change answers, for each claims set, whether it may select the row:
    // the role and claims switched per set, transaction-local, as WALRUS's apply_rls does.
    await sql.unsafe(`
      create function public.bench_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('bench_floor', to_jsonb(new)::text);
        return null;
      end;
      $$;
      create trigger bench_notify after insert on public.messages
        for each row execute function public.bench_notify();
      create function public.bench_visible(target uuid, claims text[]) returns boolean[]
      language plpgsql volatile set search_path = '' as $$
      declare
        claim text;
        visible boolean[] := '{}';
      begin
        foreach claim in array claims loop
          perform set_config('role', 'authenticated', true), set_config('request.jwt.claims', claim, true);
          visible := visible || exists (select from public.messages m where m.id = target);
          perform set_config('role', 'postgres', true);
        end loop;
        return visible;
      end;
      $$;`)
    const [{ acme }] = await sql<[{ acme: string }]>`
      select id::text as acme from public.workspaces where name = 'Acme Support'`
    await addVolume(transactorOf(sql), acme, volume)
    const contacts = (
      await sql<{ id: string }[]>`select id::text from public.contacts where workspace_id = ${acme}
                                   order by phone_number`
    ).map((row) => row.id)
    const subscribers = subscriberUsers(await demoIds(queryableOf(sql)))
    const claimSets = [...new Set(subscribers)]
    const claims = claimSets.map((sub) =>
      JSON.stringify({ sub, role: 'authenticated', aud: 'authenticated' }),
    )
    const arrivals = new Map<string, number[]>()
    const fanout = await loopbackFanout(subscribers.length, (_client, data) => {
      const id = (JSON.parse(data) as { id: string }).id
      const times = arrivals.get(id) ?? []
      times.push(performance.now())
      arrivals.set(id, times)
    })
    let notifiedAt: number | undefined
    // Changes are checked and sent one after another, in commit order, as a realtime server must.
    let delivering = Promise.resolve()
    await sql.listen('bench_floor', (payload) => {
      notifiedAt ??= performance.now()
      delivering = delivering.then(async () => {
        const id = (JSON.parse(payload) as { id: string }).id
        const [{ visible }] = await sql<[{ visible: boolean[] }]>`
          select public.bench_visible(${id}::uuid, ${claims}::text[]) as visible`
        subscribers.forEach((sub, client) => {
          if (visible[claimSets.indexOf(sub)]) fanout.send(client, payload)
        })
      })
    })
    const samples: number[] = []
    for (let i = 0; i < SEQUENTIAL_INSERTS; i++) {
      notifiedAt = undefined
      const [row] = await sql.unsafe<[{ id: string }]>(insertSql, [
        acme,
        contacts[i % contacts.length]!,
        `pg ${i}`,
      ])
      const committed = Math.min(performance.now(), notifiedAt ?? Infinity)
      await waitFor(
        () => (arrivals.get(row.id)?.length ?? 0) >= ACME_SUBSCRIBERS,
        `Postgres notification ${i}`,
        10_000,
      )
      for (const arrival of arrivals.get(row.id)!) samples.push(arrival - committed)
    }
    await fanout.close()
    return samples
  } finally {
    await sql.end()
    await started.server.stop()
  }
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  const volume = atScale(seedSizes.backend, scale)
  const postgres = await postgresFloor(volume)
  if (typeof postgres === 'string')
    process.stderr.write(`realtime bench: skipping the PostgreSQL 15 floor: ${postgres}\n`)
  const echo = await echoFloor()
  const { samples: bareInsert, burstMs: bareBurstMs } = await insertFloor(volume)

  const harness = await startRealtimeHarness()
  const clients: SupabaseClient[] = []
  try {
    const { demo } = harness
    await addVolume(harness.db, demo.acme, volume)
    const contacts = await acmeContacts(harness.db, demo.acme)
    const arrivals = new Map<string, number[]>()
    const delivered = { acme: 0, globex: 0 }
    const listen = async (userId: string, topic: string, workspace: keyof typeof delivered) => {
      const token = await userToken(userId)
      const client = createClient(harness.url, anonKey, { accessToken: async () => token })
      clients.push(client)
      await client.realtime.setAuth(token)
      await new Promise<void>((resolve, reject) => {
        client
          .channel(topic)
          .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'messages' }, (payload) => {
            delivered[workspace]++
            const id = String(payload.new.id)
            const times = arrivals.get(id) ?? []
            times.push(performance.now())
            arrivals.set(id, times)
          })
          .subscribe((status, error) => {
            if (status === 'SUBSCRIBED') resolve()
            else if (status !== 'CLOSED') reject(error ?? new Error(status))
          })
      })
    }
    for (const [index, userId] of subscriberUsers(demo).entries())
      await listen(userId, `bench-${index}`, userId === demo.cleo ? 'globex' : 'acme')
    let notifiedAt: number | undefined
    const stopTiming = harness.db.onNotification(() => (notifiedAt ??= performance.now()))

    // Sequential: commit, then wait for every subscriber who may see it, then the next one.
    const latencies: number[] = []
    for (let i = 0; i < SEQUENTIAL_INSERTS; i++) {
      notifiedAt = undefined
      const result = await harness.db.query<{ id: string }>(insertSql, [
        demo.acme,
        contacts[i % contacts.length],
        `bench ${i}`,
      ])
      const committed = Math.min(performance.now(), notifiedAt ?? Infinity)
      const id = result.rows[0]!.id
      await waitFor(() => (arrivals.get(id)?.length ?? 0) >= ACME_SUBSCRIBERS, `realtime event ${i}`, 10_000)
      for (const arrival of arrivals.get(id)!) latencies.push(arrival - committed)
    }

    // Burst: one transaction of 1,000 rows, until every subscriber that may see them has them.
    delivered.acme = 0
    delivered.globex = 0
    notifiedAt = undefined
    const burstStarted = performance.now()
    await harness.db.query(burstSql, [demo.acme, BURST_INSERTS, contacts])
    // As above: delivery of the first rows may run before the writer resumes.
    const burstCommitted = Math.min(performance.now(), notifiedAt ?? Infinity)
    stopTiming()
    await waitFor(() => delivered.acme >= BURST_INSERTS * ACME_SUBSCRIBERS, 'the burst', 60_000)
    const burstMs = performance.now() - burstCommitted
    // Globex's agents must not have seen one of Acme's rows.
    const leaked = delivered.globex
    if (leaked > 0) throw new Error(`${leaked} Acme rows reached Globex subscribers`)

    const p99 = percentile(latencies, 99)
    const postgresRows: BenchRow[] = []
    if (typeof postgres !== 'string') {
      const floorP99 = percentile(postgres, 99)
      const ratio = Math.round((p99 / floorP99) * 100) / 100
      postgresRows.push(
        {
          name: `floor: PostgreSQL 15 commit → NOTIFY → RLS check → each of ${ACME_SUBSCRIBERS} of ${SUBSCRIBERS} WebSocket clients p50`,
          value: percentile(postgres, 50),
          unit: 'ms',
        },
        {
          name: 'floor: PostgreSQL 15 commit → NOTIFY → RLS check → each WebSocket client p99',
          value: floorP99,
          unit: 'ms',
        },
        {
          name: 'delivery commit → each subscriber p99 ÷ PostgreSQL 15 floor p99',
          value: ratio,
          unit: '×',
          target: '<= 3',
          meetsTarget: ratio <= 3,
        },
      )
    }
    return [
      {
        name: `delivery commit → each subscriber p50 (${SEQUENTIAL_INSERTS} inserts, to ${ACME_SUBSCRIBERS} of ${SUBSCRIBERS} subscribers)`,
        value: percentile(latencies, 50),
        unit: 'ms',
      },
      {
        name: `delivery commit → each subscriber p99 (${SEQUENTIAL_INSERTS} inserts)`,
        value: p99,
        unit: 'ms',
        target: '< 1000 ms',
        meetsTarget: p99 < 1000,
      },
      {
        name: `burst: ${BURST_INSERTS} rows in one commit to ${ACME_SUBSCRIBERS} Acme subscribers, last delivery`,
        value: burstMs,
        unit: 'ms',
        target: '< 1000 ms',
        meetsTarget: burstMs < 1000,
      },
      {
        name: 'burst: insert statement itself (capture triggers on)',
        value: burstCommitted - burstStarted,
        unit: 'ms',
      },
      { name: 'floor: loopback WebSocket echo p50', value: percentile(echo, 50), unit: 'ms' },
      { name: 'floor: loopback WebSocket echo p99', value: percentile(echo, 99), unit: 'ms' },
      { name: 'floor: bare PGlite insert p50 (no capture)', value: percentile(bareInsert, 50), unit: 'ms' },
      { name: 'floor: bare PGlite insert p99 (no capture)', value: percentile(bareInsert, 99), unit: 'ms' },
      {
        name: `floor: bare ${BURST_INSERTS}-row insert statement (no capture)`,
        value: bareBurstMs,
        unit: 'ms',
      },
      ...postgresRows,
    ]
  } finally {
    await Promise.all(clients.map((client) => client.removeAllChannels()))
    await harness.stop()
  }
}
