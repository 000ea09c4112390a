// Debian's PostgreSQL 15, started for one bench run: the floor the embedded backend
// is compared with. Same platform objects, migrations, seed and REST bounds as the
// embedded database, on a throwaway cluster in a temp directory, stopped at the end.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import postgres, { type Sql } from 'postgres'
import { readMigrations } from '../local-backend/db/database.ts'
import { platformSql } from '../local-backend/db/platform-sql.ts'
import { boundsInstallSql } from '../local-backend/rest/bounds.ts'
import type { Transactor } from './volume.ts'

/** Where Debian puts PostgreSQL 15's server binaries; POSTGRES_BIN points elsewhere. */
const binDir = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin'

export interface Postgres15 {
  /** A pool of `connections` superuser connections; the benches switch role per transaction, as PostgREST does. */
  connect(connections: number): Sql
  stop(): Promise<void>
}

export type Postgres15Start = { ok: true; server: Postgres15 } | { ok: false; reason: string }

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

/** A postgres.js pool as a Transactor, so bench/volume.ts grows Postgres exactly as it grows PGlite. */
export function transactorOf(sql: Sql): Transactor {
  return {
    async transaction(run) {
      await sql.begin((tx) => run({ query: (text, params) => tx.unsafe(text, params as never) }))
    },
  }
}

/**
 * The migrations as Postgres runs them. Without pgvector installed, the one vector
 * column (always NULL in the benches) becomes a real[]: nothing reads it.
 */
async function migrate(sql: Sql): Promise<void> {
  const [{ available }] = await sql<[{ available: boolean }]>`
    select exists (select from pg_available_extensions where name = 'vector') as available`
  await sql.unsafe(platformSql)
  for (const migration of readMigrations()) {
    const text = available
      ? migration.sql
      : migration.sql
          .replace(/create extension if not exists vector[^;]*;/g, '')
          .replace(/extensions\.vector\(\d+\)/g, 'real[]')
    await sql.unsafe(text)
  }
  await sql.unsafe(readFileSync(resolve(import.meta.dirname, '../supabase/seed.sql'), 'utf8'))
  await sql.unsafe(boundsInstallSql)
}

/**
 * Starts a fresh cluster on 127.0.0.1 and a free port, migrated and seeded. Durability
 * is off (fsync, synchronous commit), as the embedded database keeps its data in
 * memory: the comparison is of query work, not of disks.
 */
export async function startPostgres15(): Promise<Postgres15Start> {
  if (!existsSync(join(binDir, 'pg_ctl')))
    return { ok: false, reason: `PostgreSQL 15 is not installed (no pg_ctl in ${binDir}; set POSTGRES_BIN)` }
  const { run, owner } = runner()
  const dir = mkdtempSync(join(tmpdir(), 'bench-postgres15-'))
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const port = await freePort()
  const stopCluster = () => run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w'])
  let started = false
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
    const options = [
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
    ].join(' ')
    run('pg_ctl', ['start', '-D', data, '-w', '-l', join(dir, 'log'), '-o', options])
    started = true
    const connect = (connections: number) =>
      postgres({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'postgres',
        max: connections,
        onnotice: () => undefined,
      })
    const admin = connect(1)
    try {
      await migrate(admin)
    } finally {
      await admin.end()
    }
    return {
      ok: true,
      server: {
        connect,
        async stop() {
          stopCluster()
          rmSync(dir, { recursive: true, force: true })
        },
      },
    }
  } catch (error) {
    if (started) stopCluster()
    rmSync(dir, { recursive: true, force: true })
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, reason: `PostgreSQL 15 did not start: ${message}` }
  }
}
