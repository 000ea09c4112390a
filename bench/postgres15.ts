// Debian's PostgreSQL 15, started for one bench run: the floor the embedded backend
// is compared with. Same platform objects, migrations, seed and REST bounds as the
// embedded database, on a throwaway cluster, stopped at the end.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Sql } from 'postgres'
import { platformSql } from '../local-backend/db/platform-sql.ts'
import { boundsInstallSql } from '../local-backend/rest/bounds.ts'
import { migrationsFor, startPostgres15Cluster } from '../test/support/postgres15-cluster.ts'
import type { Transactor } from './volume.ts'

export interface Postgres15 {
  /** A pool of `connections` superuser connections; the benches switch role per transaction, as PostgREST does. */
  connect(connections: number): Sql
  /** CPU time the server's processes have used so far, in ms. */
  cpuMs(): number
  stop(): Promise<void>
}

export type Postgres15Start = { ok: true; server: Postgres15 } | { ok: false; reason: string }

/** A postgres.js pool as a Transactor, so bench/volume.ts grows Postgres exactly as it grows PGlite. */
export function transactorOf(sql: Sql): Transactor {
  return {
    async transaction(run) {
      await sql.begin((tx) => run({ query: (text, params) => tx.unsafe(text, params as never) }))
    },
  }
}

async function migrate(sql: Sql): Promise<void> {
  await sql.unsafe(platformSql)
  for (const migration of await migrationsFor(sql)) await sql.unsafe(migration.sql)
  await sql.unsafe(readFileSync(resolve(import.meta.dirname, '../supabase/seed.sql'), 'utf8'))
  await sql.unsafe(boundsInstallSql)
}

/** A fresh cluster, migrated and seeded. */
export async function startPostgres15(): Promise<Postgres15Start> {
  const start = await startPostgres15Cluster()
  if (!start.ok) return start
  const { cluster } = start
  try {
    const admin = cluster.connect(1)
    try {
      await migrate(admin)
    } finally {
      await admin.end()
    }
  } catch (error) {
    cluster.stop()
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, reason: `PostgreSQL 15 could not be migrated: ${message}` }
  }
  return {
    ok: true,
    server: {
      connect: (connections) => cluster.connect(connections),
      cpuMs: () => cluster.cpuMs(),
      stop: async () => cluster.stop(),
    },
  }
}
