import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { startLocalBackend, type LocalBackend } from '../index.ts'

/*
 * The abusive requests of issue 15 through real HTTP and supabase-js: nesting
 * is refused while parsing, with PostgREST's error shape.
 */
let backend: LocalBackend
let ben: SupabaseClient

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
