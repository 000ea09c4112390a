import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'
import { maxEmbeddedRows } from './bounds.ts'

/*
 * The abusive requests of issue 15 through real HTTP and supabase-js: nesting
 * is refused while parsing, fan-out and time are stopped while the read runs,
 * each with PostgREST's error shape, and an agent reading beside the abuse keeps
 * getting its rows.
 */
let backend: LocalBackend
let ben: SupabaseClient
let cleo: SupabaseClient

async function signedIn(email: string): Promise<SupabaseClient> {
  const client = createClient(backend.url, backend.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
  const { error } = await client.auth.signInWithPassword({ email, password: 'inbox-demo-1' })
  expect(error).toBeNull()
  return client
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger: createMemoryLogger('bounds-test').logger })
  ben = await signedIn('ben@acme.test')
  cleo = await signedIn('cleo@globex.test')
})
afterAll(async () => {
  await backend.stop()
})

/** From `root`, contacts → their workspace → its contacts → …: each workspace level multiplies the rows by its contacts. */
function fanOut(root: 'contacts' | 'workspaces', levels: number): string {
  const other = root === 'contacts' ? 'workspaces' : 'contacts'
  return levels === 0 ? 'id' : `id,${other}(${fanOut(other, levels - 1)})`
}

describe('nesting is refused before anything runs', () => {
  const nestedOr = (levels: number) => {
    let tree = 'name.eq.x'
    for (let level = 0; level < levels; level++) tree = `or(${tree})`
    return tree
  }

  it('answers a logic tree 2,500 deep with 400 PGRST100, not a 500', async () => {
    // supabase-js percent-encodes the parentheses, which takes this one past the URL limit (431):
    // sent bare, as the finding did, it fits.
    const response = await fetch(`${backend.url}/rest/v1/contacts?select=id&or=(${nestedOr(2_500)})`, {
      headers: { apikey: backend.anonKey },
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ code: 'PGRST100', details: 'logic trees may nest at most 12 levels deep' })
    expect(body.message).toMatch(/^"failed to parse logic tree/)

    const { error, status } = await ben.from('contacts').select('id').or(nestedOr(100))
    expect(status).toBe(400)
    expect(error).toMatchObject({ code: 'PGRST100', details: 'logic trees may nest at most 12 levels deep' })
  })

  it('answers an embedding 9 levels deep, or 33 embeddings, with 400 PGRST100', async () => {
    const deep = await ben.from('workspaces').select(fanOut('workspaces', 9))
    expect(deep.status).toBe(400)
    expect(deep.error).toMatchObject({
      code: 'PGRST100',
      details: 'embedded resources may nest at most 8 levels deep',
    })
    const wide = await ben
      .from('contacts')
      .select(['id', ...Array.from({ length: 33 }, (_, i) => `m${i}:messages(id)`)].join(','))
    expect(wide.status).toBe(400)
    expect(wide.error).toMatchObject({ code: 'PGRST100', details: 'a select may embed at most 32 resources' })
  })

  it('still reads a tree at the limits', async () => {
    let tree = 'name.eq.x'
    for (let level = 1; level < 12; level++) tree = `or(${tree},id.is.null)`
    const { data, error } = await ben.from('contacts').select('id').or(`${tree},id.is.null`)
    expect(error).toBeNull()
    expect(data).toEqual([])
  })
})

describe('a read stops at its bounds', () => {
  it('stops a 7-level fan-out embed at the embedded-row ceiling with 400 54000', async () => {
    const { error, status } = await ben.from('contacts').select(fanOut('contacts', 7))
    expect(status).toBe(400)
    expect(error).toMatchObject({
      code: '54000',
      message: `The embedded resources of this request hold more than ${maxEmbeddedRows} rows`,
    })
    expect(error!.hint).toMatch(/filter or limit the embedded resources/)
  })

  it('reads a fan-out below the ceiling whole', async () => {
    const { data, error } = await ben.from('workspaces').select(fanOut('workspaces', 3))
    expect(error).toBeNull()
    const { rows } = await backend.db.query<{ n: number }>(
      `select count(*)::int as n from public.contacts where workspace_id in
         (select workspace_id from public.workspace_members m join auth.users u on u.id = m.user_id where u.email = 'ben@acme.test')`,
    )
    const contacts = (data as unknown as { contacts: { workspaces: { contacts: unknown[] } }[] }[])[0]!
      .contacts
    expect(contacts.length).toBe(rows[0]!.n)
    expect(contacts[0]!.workspaces.contacts.length).toBe(rows[0]!.n)
  })

  it("applies the caller role's statement_timeout, as hosted Supabase sets it, from the next config reload, and cancels with 57014", async () => {
    const settings = await backend.db.query<{ rolname: string; setconfig: string[] }>(
      `select rolname, setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
        where rolname in ('anon', 'authenticated') order by rolname`,
    )
    expect(settings.rows).toEqual([
      { rolname: 'anon', setconfig: ['statement_timeout=3s'] },
      { rolname: 'authenticated', setconfig: ['plan_cache_mode=force_custom_plan', 'statement_timeout=8s'] },
    ])
    // A read of hundreds of embedded rows takes far longer than 1 ms, so it is stopped part way.
    await backend.db.exec(`alter role authenticated set statement_timeout = '1ms'`)
    try {
      // As PostgREST, the server holds the roles' settings until told to reload its config.
      expect((await ben.from('workspaces').select(fanOut('workspaces', 3))).error).toBeNull()
      await backend.db.exec(`notify pgrst, 'reload config'`)
      const { error, status } = await ben.from('workspaces').select(fanOut('workspaces', 3))
      expect(status).toBe(500)
      expect(error).toMatchObject({
        code: '57014',
        message: 'canceling statement due to statement timeout',
      })
      // Only the role's setting changed: the service role, which has none, still reads.
      const service = createClient(backend.url, backend.serviceRoleKey, { auth: { persistSession: false } })
      expect((await service.from('contacts').select('id')).error).toBeNull()
    } finally {
      await backend.db.exec(`alter role authenticated set statement_timeout = '8s'`)
      await backend.db.exec(`notify pgrst, 'reload config'`)
    }
    expect((await ben.from('contacts').select('id')).error).toBeNull()
  })
})

describe('an agent reading beside the abuse', () => {
  it('keeps getting its rows while another user sends fan-out embeds', async () => {
    const globexContacts = (
      await backend.db.query<{ n: number }>(
        `select count(*)::int as n from public.contacts where workspace_id in
           (select workspace_id from public.workspace_members m join auth.users u on u.id = m.user_id where u.email = 'cleo@globex.test')`,
      )
    ).rows[0]!.n
    const read = async (): Promise<number> => {
      const started = performance.now()
      const { data, error } = await cleo.from('contacts').select('id,name')
      expect(error).toBeNull()
      expect(data!.length).toBe(globexContacts)
      return performance.now() - started
    }
    let peakRss = process.memoryUsage().rss
    const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss))

    const quiet: number[] = []
    for (let i = 0; i < 20; i++) quiet.push(await read())
    const rssBefore = process.memoryUsage().rss

    const abuses = 8
    const refused: (string | undefined)[] = []
    let abuseDone = false
    const abuse = (async () => {
      for (let i = 0; i < abuses; i++) {
        const { error } = await ben.from('contacts').select(fanOut('contacts', 7))
        refused.push(error?.code)
        sampleRss()
      }
      abuseDone = true
    })()
    const beside: number[] = []
    while (!abuseDone) {
      beside.push(await read())
      sampleRss()
    }
    await abuse

    // Nearest-rank percentile.
    const ms = (samples: number[], p: number) =>
      [...samples].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * samples.length) - 1)]!.toFixed(1)
    console.log(
      `reader alone: ${quiet.length} reads, p50 ${ms(quiet, 50)} ms, p95 ${ms(quiet, 95)} ms, max ${ms(quiet, 100)} ms; ` +
        `beside ${abuses} 7-level fan-out embeds: ${beside.length} reads, p50 ${ms(beside, 50)} ms, ` +
        `p95 ${ms(beside, 95)} ms, max ${ms(beside, 100)} ms; ` +
        `RSS ${Math.round(rssBefore / 2 ** 20)} MB before, peak ${Math.round(peakRss / 2 ** 20)} MB`,
    )
    expect(refused).toEqual(Array.from({ length: abuses }, () => '54000'))
    // The reader was served while the abuse ran, not only after it.
    expect(beside.length).toBeGreaterThanOrEqual(abuses)
  })
})
