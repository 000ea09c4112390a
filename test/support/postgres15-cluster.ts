// Debian's PostgreSQL 15 as a throwaway cluster: on 127.0.0.1 and a free port, in a
// temp directory, removed when stopped. The benches compare the embedded backend
// with it; the migration test applies supabase/migrations on it as hosted Supabase
// does, without superuser rights.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres, { type Sql } from 'postgres'
import { readMigrations, type Migration } from '../../local-backend/db/database.ts'

/** Where Debian puts PostgreSQL 15's server binaries; POSTGRES_BIN points elsewhere. */
const binDir = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin'

export interface Postgres15Cluster {
  /** A pool of `connections` connections as `user` (the cluster's superuser by default). */
  connect(connections: number, user?: string): Sql
  /** CPU time its processes have used so far, in ms: the postmaster, each backend and worker, those already gone too. */
  cpuMs(): number
  stop(): void
}

/** A process's parent and CPU ticks (its own, and its reaped children's), from /proc/<pid>/stat. */
function processTicks(pid: string): { parent: number; own: number; reaped: number } | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // Fields after the command name, which may hold spaces: state, ppid, ... utime (14th), stime, cutime, cstime.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const at = (field: number) => Number(fields[field - 3])
  return { parent: at(4), own: at(14) + at(15), reaped: at(16) + at(17) }
}

function clusterCpuMs(postmaster: number): number {
  let ticks = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const found = processTicks(pid)
    if (!found) continue
    if (Number(pid) === postmaster) ticks += found.own + found.reaped
    else if (found.parent === postmaster) ticks += found.own
  }
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  return (ticks * 1000) / ticksPerSecond
}

export type Postgres15ClusterStart = { ok: true; cluster: Postgres15Cluster } | { ok: false; reason: string }

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((done) => probe.close(() => done()))
  return port
}

/** Postgres refuses to run as root: then its commands run as the `postgres` account. */
function runner(): { run(command: string, args: string[]): void; owner?: { uid: number; gid: number } } {
  if (process.getuid?.() !== 0)
    return { run: (command, args) => execFileSync(join(binDir, command), args, { stdio: 'pipe' }) }
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  return {
    owner: { uid, gid },
    run: (command, args) =>
      execFileSync('runuser', ['-u', 'postgres', '--', join(binDir, command), ...args], { stdio: 'pipe' }),
  }
}

/**
 * Durability is off (fsync, synchronous commit): the embedded database keeps its data
 * in memory, and nothing here needs to survive a crash.
 */
export async function startPostgres15Cluster(
  options: { superuser?: string } = {},
): Promise<Postgres15ClusterStart> {
  const superuser = options.superuser ?? 'postgres'
  if (!existsSync(join(binDir, 'pg_ctl')))
    return { ok: false, reason: `PostgreSQL 15 is not installed (no pg_ctl in ${binDir}; set POSTGRES_BIN)` }
  const { run, owner } = runner()
  const dir = mkdtempSync(join(tmpdir(), 'postgres15-'))
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const port = await freePort()
  const stopCluster = () => run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w'])
  let started = false
  try {
    run('initdb', ['-D', data, '-U', superuser, '--auth=trust', '-E', 'UTF8', '--no-sync'])
    const settings = [
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
    ].join(' ')
    run('pg_ctl', ['start', '-D', data, '-w', '-l', join(dir, 'log'), '-o', settings])
    started = true
  } catch (error) {
    if (started) stopCluster()
    rmSync(dir, { recursive: true, force: true })
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, reason: `PostgreSQL 15 did not start: ${message}` }
  }
  return {
    ok: true,
    cluster: {
      connect: (connections, user = superuser) =>
        postgres({
          host: '127.0.0.1',
          port,
          user,
          database: 'postgres',
          max: connections,
          onnotice: () => undefined,
        }),
      cpuMs: () => clusterCpuMs(Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])),
      stop() {
        stopCluster()
        rmSync(dir, { recursive: true, force: true })
      },
    },
  }
}

/**
 * supabase/migrations as this cluster can run them. Debian ships no pgvector: without
 * it the one vector column (never read by the benches or the migration test) becomes a real[].
 */
export async function migrationsFor(sql: Sql): Promise<Migration[]> {
  const [{ available }] = await sql<[{ available: boolean }]>`
    select exists (select from pg_available_extensions where name = 'vector') as available`
  return readMigrations().map((migration) =>
    available
      ? migration
      : {
          ...migration,
          sql: migration.sql
            .replace(/create extension if not exists vector[^;]*;/g, '')
            .replace(/extensions\.vector\(\d+\)/g, 'real[]'),
        },
  )
}
