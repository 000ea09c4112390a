import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

/*
 * Schemas chosen by profile, as PostgREST does (ApiRequest.hs getSchema, Response.hs
 * profileHeader; docs.postgrest.org references/api/schemas.html): config.toml's
 * [api] schemas are exposed, the first by default; a read names another in
 * Accept-Profile, a write in Content-Profile, and runs with that schema first on its
 * search_path.
 */
const config = `[api]
schemas = ["public", "personal"]
extra_search_path = ["public", "extensions"]
`
const migration = `
create table public.pets (name text primary key, kind text);
insert into public.pets values ('rex', 'dog');

create schema personal;
create table personal.pets (name text primary key, kind text);
insert into personal.pets values ('tom', 'cat');
-- Unqualified on purpose: which table it reads is the search_path's choice.
create function personal.pet_kind(pet text) returns text language sql stable as $$
  select kind from pets where name = pet
$$;
grant usage on schema personal to anon, authenticated, service_role;
grant all on all tables in schema personal to anon, authenticated, service_role;
`

let scratch: string
let backend: LocalBackend
const clientOf = () =>
  createClient(backend.url, backend.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
const rest = (path: string, init: RequestInit = {}) =>
  fetch(`${backend.url}/rest/v1${path}`, {
    ...init,
    headers: {
      apikey: backend.serviceRoleKey,
      authorization: `Bearer ${backend.serviceRoleKey}`,
      ...init.headers,
    },
  })

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'rest-schemas-'))
  mkdirSync(join(scratch, 'migrations'))
  writeFileSync(join(scratch, 'config.toml'), config)
  writeFileSync(join(scratch, 'migrations', '20250101000000_schemas.sql'), migration)
  backend = await startLocalBackend({
    port: 0,
    supabaseDir: scratch,
    logger: createMemoryLogger('schemas').logger,
  })
}, 120_000)
afterAll(async () => {
  await backend?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

describe('Accept-Profile and Content-Profile', () => {
  it('a read without a profile is the first schema; Accept-Profile reads another, and the answer names it', async () => {
    expect((await clientOf().from('pets').select('name')).data).toEqual([{ name: 'rex' }])
    expect((await clientOf().schema('personal').from('pets').select('name')).data).toEqual([{ name: 'tom' }])
    const response = await rest('/pets?select=name', { headers: { 'accept-profile': 'personal' } })
    expect(response.headers.get('content-profile')).toBe('personal')
    const plain = await rest('/pets?select=name')
    expect(plain.headers.get('content-profile')).toBe('public')
  })

  it('a write names its schema in Content-Profile; a read ignores that header', async () => {
    const personal = clientOf().schema('personal')
    const { status, error } = await personal.from('pets').insert({ name: 'kit', kind: 'cat' })
    expect(error).toBeNull()
    expect(status).toBe(201)
    const { rows } = await backend.db.query('select name from personal.pets order by name')
    expect(rows).toEqual([{ name: 'kit' }, { name: 'tom' }])
    const read = await rest('/pets?select=name', { headers: { 'content-profile': 'personal' } })
    expect(await read.json()).toEqual([{ name: 'rex' }])
  })

  it("a function of the schema runs with it first on the search_path, so its unqualified names are the schema's", async () => {
    const { data, error } = await clientOf().schema('personal').rpc('pet_kind', { pet: 'tom' })
    expect(error).toBeNull()
    expect(data).toBe('cat')
  })

  it('a schema not exposed is PGRST106 (406), naming the ones that are', async () => {
    const { status, error } = await clientOf().schema('auth').from('users').select()
    expect(status).toBe(406)
    expect(error).toEqual({
      code: 'PGRST106',
      message: 'Invalid schema: auth',
      details: null,
      hint: 'Only the following schemas are exposed: public, personal',
    })
  })
})
