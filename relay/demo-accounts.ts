import { createClient, type SupabaseClient } from '@supabase/supabase-js'

// The seed's demo accounts (supabase/seed.sql) as the tests and benchmarks use them.

export const ACME = {
  workspaceId: '11111111-1111-4111-8111-111111111111',
  number: '+15550100001',
  accountSid: 'AC11111111111111111111111111111111',
  authToken: 'test_token_acme_not_a_secret_0001',
}
export const GLOBEX = {
  workspaceId: '22222222-2222-4222-8222-222222222222',
  number: '+15550100002',
  accountSid: 'AC22222222222222222222222222222222',
  authToken: 'test_token_globex_not_a_secret_02',
}
export const USERS = {
  ava: 'aaaaaaaa-0000-4000-8000-000000000001',
  ben: 'aaaaaaaa-0000-4000-8000-000000000002',
  cleo: 'bbbbbbbb-0000-4000-8000-000000000001',
}
export const DEMO_PASSWORD = 'inbox-demo-1'

export async function accessToken(backend: { url: string; anonKey: string }, email: string): Promise<string> {
  const client = createClient(backend.url, backend.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
  const { data, error } = await client.auth.signInWithPassword({ email, password: DEMO_PASSWORD })
  if (error || !data.session) throw new Error(`Sign-in of ${email} failed: ${error?.message}`)
  return data.session.access_token
}

export type TestContact = { id: string; phone_number: string }

/** The contact with this number in the workspace, created (with `name`) when missing. */
export async function ensureContact(
  service: SupabaseClient,
  workspaceId: string,
  phone: string,
  name?: string,
): Promise<TestContact> {
  const { data, error } = await service
    .from('contacts')
    .upsert(
      { workspace_id: workspaceId, phone_number: phone, ...(name === undefined ? {} : { name }) },
      { onConflict: 'phone_number,workspace_id' },
    )
    .select('id, phone_number')
    .single()
  if (error) throw new Error(error.message)
  return data as TestContact
}
