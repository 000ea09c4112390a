import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { demoIds } from '../db/demo-callers.ts'
import { startLocalBackend } from '../index.ts'

/*
 * The authenticated role's settings reach its requests' transactions, as PostgREST
 * applies impersonated-role settings: the migrations set plan_cache_mode, so an
 * inbox page is planned for its values every time, and resetting it (with a config
 * reload) lets Postgres fall back to a generic plan. Counted by Postgres itself, in
 * pg_prepared_statements.
 */
const backend = await startLocalBackend({ port: 0, seed: true, logger: createMemoryLogger('test').logger })
const { acme } = await demoIds(backend.db)
let agent: SupabaseClient

beforeAll(async () => {
  agent = createClient(backend.url, backend.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
  const { error } = await agent.auth.signInWithPassword({ email: 'ben@acme.test', password: 'inbox-demo-1' })
  expect(error).toBeNull()
})
afterAll(async () => {
  await backend.stop()
})

/** How Postgres planned the prepared statement reading `columns` from contacts. */
async function plansOf(columns: string): Promise<{ generic: number; custom: number }> {
  const { rows } = await backend.db.query<{ generic: number; custom: number }>(
    `select generic_plans::int as generic, custom_plans::int as custom
       from pg_prepared_statements
      where statement like $1 and statement like '%from "public"."contacts"%'`,
    [
      `%${columns
        .split(',')
        .map((column) => `_t0."${column}" as "${column}"`)
        .join(', ')} from%`,
    ],
  )
  expect(rows).toHaveLength(1)
  return rows[0]!
}

async function readPages(columns: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const { data, error } = await agent
      .from('contacts')
      .select(columns)
      .eq('workspace_id', acme)
      .eq('conversation_status', 'Open')
      .order('last_message_at', { ascending: false, nullsFirst: false })
      .range(0, 9)
    expect(error).toBeNull()
    expect(data!.length).toBeGreaterThan(0)
  }
}

describe('the authenticated role’s settings in its requests', () => {
  it('plan every inbox page for its values (the migrations’ plan_cache_mode); without it Postgres keeps a generic plan', async () => {
    await readPages('id,name,last_message_at', 12)
    expect(await plansOf('id,name,last_message_at')).toEqual({ generic: 0, custom: 12 })

    await backend.db.exec(`alter role authenticated reset plan_cache_mode; notify pgrst, 'reload config'`)
    try {
      await readPages('id,phone_number,last_message_at', 12)
      const plans = await plansOf('id,phone_number,last_message_at')
      expect(plans.generic).toBeGreaterThan(0)
      expect(plans.generic + plans.custom).toBe(12)
    } finally {
      await backend.db.exec(
        `alter role authenticated set plan_cache_mode = 'force_custom_plan'; notify pgrst, 'reload config'`,
      )
    }
  })
})
