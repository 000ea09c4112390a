import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Sql } from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { platformSql } from '../local-backend/db/platform-sql.ts'
import {
  migrationsFor,
  startPostgres15Cluster,
  type Postgres15Cluster,
} from './support/postgres15-cluster.ts'

// `supabase db push` runs the migrations as the project's `postgres` role, which on a
// hosted project is not a superuser. These are the rights supabase/postgres leaves it
// (migrations/db/migrations/10000000000000_demote-postgres.sql and the grants after it),
// set up by the platform's own superuser, supabase_admin, on Debian's PostgreSQL 15.
const hostedRoleSql = `
create role postgres login nosuperuser createdb createrole replication bypassrls;
grant all on database postgres to postgres;
grant usage, create on schema public to postgres;
create role supabase_realtime_admin nologin noinherit;
`
const hostedGrantsSql = `
grant all on schema auth, extensions to postgres;
grant all on all tables in schema auth, extensions to postgres;
grant all on all sequences in schema auth, extensions to postgres;
grant all on all routines in schema auth, extensions to postgres;
grant usage on schema realtime to postgres with grant option;
alter publication supabase_realtime owner to postgres;
alter table realtime.messages owner to supabase_realtime_admin;
-- Hosted lets postgres write policies on realtime.messages through supautils'
-- policy_grants; stock Postgres lets only the owner's members do it.
grant supabase_realtime_admin to postgres;
`
// What the hosted initial schema sets for objects postgres creates in public.
const postgresDefaultsSql = `
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
`

let cluster: Postgres15Cluster
let admin: Sql
let owner: Sql

beforeAll(async () => {
  const start = await startPostgres15Cluster({ superuser: 'supabase_admin' })
  if (!start.ok) throw new Error(start.reason)
  cluster = start.cluster
  admin = cluster.connect(1)
  await admin.unsafe(hostedRoleSql)
  await admin.unsafe(platformSql)
  await admin.unsafe(hostedGrantsSql)
  owner = cluster.connect(1, 'postgres')
  await owner.unsafe(postgresDefaultsSql)
}, 60_000)

afterAll(async () => {
  await owner?.end()
  await admin?.end()
  cluster?.stop()
})

describe('supabase/migrations on PostgreSQL 15 as a non-superuser, as hosted Supabase runs them', () => {
  it('runs as a role without superuser rights', async () => {
    const [role] = await owner<[{ rolsuper: boolean; rolbypassrls: boolean }]>`
      select rolsuper, rolbypassrls from pg_roles where rolname = current_user`
    expect(role).toEqual({ rolsuper: false, rolbypassrls: true })
  })

  it('applies every migration, each in its own transaction, then the seed', async () => {
    const applied: string[] = []
    for (const migration of await migrationsFor(owner)) {
      try {
        await owner.begin((tx) => tx.unsafe(migration.sql))
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        throw new Error(`${migration.version}_${migration.name} failed without superuser: ${message}`, {
          cause: error,
        })
      }
      applied.push(migration.version)
    }
    await owner.unsafe(readFileSync(resolve(import.meta.dirname, '../supabase/seed.sql'), 'utf8'))
    expect(applied.length).toBeGreaterThanOrEqual(10)
    const [{ workspaces }] = await owner<
      [{ workspaces: number }]
    >`select count(*)::int as workspaces from public.workspaces`
    expect(workspaces).toBeGreaterThan(0)
  }, 60_000)

  it('leaves every public table owned by postgres, with RLS on, and readable by authenticated only through it', async () => {
    const tables = await owner<{ name: string; owner: string; rls: boolean; granted: boolean }[]>`
      select c.relname as name, pg_get_userbyid(c.relowner) as owner, c.relrowsecurity as rls,
             has_table_privilege('authenticated', c.oid, 'select') as granted
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p')
       order by 1`
    expect(tables.length).toBeGreaterThan(5)
    for (const table of tables) expect(table, table.name).toMatchObject({ owner: 'postgres', rls: true })
    expect(tables.find((table) => table.name === 'contacts')?.granted).toBe(true)
  })

  it('lets authenticated read nothing without a membership: the policies hold under this owner', async () => {
    const rows = await admin.begin(async (tx) => {
      await tx.unsafe(
        `select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-000000000000","role":"authenticated"}', true)`,
      )
      await tx.unsafe('set local role authenticated')
      return tx<{ count: number }[]>`select count(*)::int as count from public.contacts`
    })
    expect(rows[0]?.count).toBe(0)
  })
})
