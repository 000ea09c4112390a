import { createClient, type SupabaseClient } from '@supabase/supabase-js'

// The seed's demo accounts (supabase/seed.sql) as the tests and benchmarks use them. Their
// ids are drawn at random when a database is seeded: demoIds (local-backend/db/demo-callers.ts) looks them up.

export const ACME = {
  number: '+15550100001',
  accountSid: 'AC11111111111111111111111111111111',
  authToken: 'test_token_acme_not_a_secret_0001',
}
export const GLOBEX = {
  number: '+15550100002',
  accountSid: 'AC22222222222222222222222222222222',
  authToken: 'test_token_globex_not_a_secret_02',
}
export const DEMO_PASSWORD = 'inbox-demo-1'

/** A demo agent's access token, from a sign-in as the app makes it: with the publishable key. */
export async function accessToken(
  backend: { url: string; publishableKey: string },
  email: string,
): Promise<string> {
  const client = createClient(backend.url, backend.publishableKey, {
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
