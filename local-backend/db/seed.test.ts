import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite } from '@electric-sql/pglite'
import { openDatabase } from './database.ts'
import { demoIds, type DemoIds } from './demo-callers.ts'

/* The demo data everyone relies on (TEAM notes, README): fixed credentials and a believable inbox, under random ids. */

let db: PGlite
let demo: DemoIds
beforeAll(async () => {
  db = await openDatabase({ seed: true })
  demo = await demoIds(db)
})
afterAll(async () => {
  await db.close()
})

describe('seed.sql', () => {
  it('has the three demo users with the documented password, confirmed, as GoTrue expects them', async () => {
    const { rows } = await db.query<Record<string, unknown>>(
      `select u.id, u.email, u.aud, u.role, u.instance_id,
              u.encrypted_password = extensions.crypt('inbox-demo-1', u.encrypted_password) as password_ok,
              u.encrypted_password like '$2a$10$%' as bcrypt_cost_10,
              u.email_confirmed_at is not null as confirmed,
              u.raw_app_meta_data, u.confirmation_token, u.recovery_token, u.email_change_token_new, u.email_change,
              (select count(*)::int from auth.identities i where i.user_id = u.id and i.provider = 'email' and i.email = u.email) as identities
         from auth.users u order by u.email`,
    )
    const common = {
      aud: 'authenticated',
      role: 'authenticated',
      instance_id: '00000000-0000-0000-0000-000000000000',
      password_ok: true,
      bcrypt_cost_10: true,
      confirmed: true,
      raw_app_meta_data: { provider: 'email', providers: ['email'] },
      confirmation_token: '',
      recovery_token: '',
      email_change_token_new: '',
      email_change: '',
      identities: 1,
    }
    expect(rows).toEqual([
      { id: demo.ava, email: 'ava@acme.test', ...common },
      { id: demo.ben, email: 'ben@acme.test', ...common },
      { id: demo.cleo, email: 'cleo@globex.test', ...common },
    ])
  })

  it('has the two workspaces with their members, numbers and fake Twilio credentials', async () => {
    const { rows } = await db.query(
      `select w.id, w.name, n.phone_number::text as number, n.twilio_sid as number_sid, c.account_sid, c.auth_token, c.is_configured,
              array(select m.user_id::text || ':' || m.role from workspace_members m where m.workspace_id = w.id order by m.role desc) as members
         from workspaces w join twilio_numbers n on n.workspace_id = w.id join workspace_twilio_config c on c.workspace_id = w.id
        order by w.name`,
    )
    expect(rows).toEqual([
      {
        id: demo.acme,
        name: 'Acme Support',
        number: '+15550100001',
        number_sid: 'PN11111111111111111111111111111111',
        account_sid: demo.acmeAccountSid,
        auth_token: demo.acmeToken,
        is_configured: true,
        members: [`${demo.ava}:owner`, `${demo.ben}:agent`],
      },
      {
        id: demo.globex,
        name: 'Globex Care',
        number: '+15550100002',
        number_sid: 'PN22222222222222222222222222222222',
        account_sid: demo.globexAccountSid,
        auth_token: demo.globexToken,
        is_configured: true,
        members: [`${demo.cleo}:agent`],
      },
    ])
  })

  it('has about 30 conversations, most in Acme, across Open, Pending and Done, each with a real history', async () => {
    const { rows } = await db.query<{
      workspace_id: string
      status: string
      n: number
      min_messages: number
      both_ways: number
    }>(
      `select c.workspace_id, c.conversation_status as status, count(*)::int as n,
              min((select count(*) from messages m where m.contact_id = c.id))::int as min_messages,
              count(*) filter (where exists (select 1 from messages m where m.contact_id = c.id and m.direction = 'outbound'))::int as both_ways
         from contacts c group by 1, 2 order by 1, 2`,
    )
    const total = rows.reduce((sum, row) => sum + row.n, 0)
    expect(total).toBe(30)
    const acme = rows.filter((row) => row.workspace_id === demo.acme)
    expect(acme.reduce((sum, row) => sum + row.n, 0)).toBe(24)
    expect(new Set(acme.map((row) => row.status))).toEqual(new Set(['Open', 'Pending', 'Done']))
    expect(new Set(rows.filter((row) => row.workspace_id === demo.globex).map((row) => row.status))).toEqual(
      new Set(['Open', 'Pending', 'Done']),
    )
    for (const row of rows) expect(row.min_messages).toBeGreaterThanOrEqual(1)
    const { rows: stats } = await db.query<{ messages: number; answered: number; spread_days: number }>(
      `select count(*)::int as messages,
              count(distinct contact_id) filter (where direction = 'outbound')::int as answered,
              extract(day from max(created_at) - min(created_at))::int as spread_days
         from messages`,
    )
    expect(stats[0]!.messages).toBeGreaterThanOrEqual(90)
    expect(stats[0]!.answered).toBeGreaterThanOrEqual(25)
    expect(stats[0]!.spread_days).toBeGreaterThanOrEqual(5)
  })

  it('unread counts are exactly the customer texts since the last reply, for the conversations left unread', async () => {
    const { rows } = await db.query<{
      id: string
      unread_count: number
      trailing_inbound: number
      status: string
    }>(
      `select c.id, c.unread_count, c.conversation_status as status,
              (select count(*)::int from messages m
                where m.contact_id = c.id and m.direction = 'inbound'
                  and m.created_at > coalesce((select max(o.created_at) from messages o
                                                where o.contact_id = c.id and o.direction = 'outbound'), '-infinity')) as trailing_inbound
         from contacts c`,
    )
    const unread = rows.filter((row) => row.unread_count > 0)
    expect(unread.length).toBeGreaterThanOrEqual(8)
    for (const row of unread) {
      expect(row.unread_count, row.id).toBe(row.trailing_inbound)
      expect(row.status, row.id).toBe('Open')
    }
    expect(rows.find((row) => row.id === demo.contact('Daniel Kim'))).toMatchObject({ unread_count: 3 })
    expect(rows.find((row) => row.id === demo.contact('+15035550127'))).toMatchObject({ unread_count: 2 })
  })

  it('each conversation shows its newest message, and recent activity is relative to now', async () => {
    const { rows } = await db.query<{ mismatched: number; newest_minutes: number }>(
      `select count(*) filter (where c.last_message_at is distinct from l.created_at
                                 or c.last_message_preview is distinct from left(regexp_replace(l.content, '\\s+', ' ', 'g'), 140))::int as mismatched,
              (extract(epoch from now() - max(c.last_message_at)) / 60)::int as newest_minutes
         from contacts c
         cross join lateral (select m.created_at, m.content from messages m where m.contact_id = c.id
                              order by m.created_at desc limit 1) l`,
    )
    expect(rows[0]!.mismatched).toBe(0)
    expect(rows[0]!.newest_minutes).toBeLessThan(60)
  })

  it('replies name their agent from the right workspace, and statuses tell a story', async () => {
    const { rows } = await db.query<{ wrong_author: number; statuses: string[]; failed_code: string | null }>(
      `select count(*) filter (where m.direction = 'outbound' and not exists (
                select 1 from workspace_members w where w.user_id = m.created_by and w.workspace_id = m.workspace_id))::int as wrong_author,
              array(select distinct status from messages where direction = 'outbound' order by 1) as statuses,
              (select error_code from messages where status = 'failed') as failed_code
         from messages m`,
    )
    expect(rows[0]).toEqual({
      wrong_author: 0,
      statuses: ['delivered', 'failed', 'pending', 'sent'],
      failed_code: '21610',
    })
  })

  it('draws its ids at random, so two databases seeded apart share none and none is guessable', async () => {
    const seedSql = readFileSync(resolve(import.meta.dirname, '../../supabase/seed.sql'), 'utf8')
    const other = await openDatabase()
    try {
      await other.exec(seedSql)
      const idsOf = async (database: PGlite) =>
        (
          await database.query<{ id: string }>(
            `select id from public.workspaces union all select id from auth.users
             union all select id from public.contacts union all select id from public.messages`,
          )
        ).rows.map((row) => row.id)
      const ours = await idsOf(db)
      const theirs = await idsOf(other)
      expect(theirs).toHaveLength(ours.length)
      expect(ours.filter((id) => theirs.includes(id))).toEqual([])
      const otherDemo = await demoIds(other)
      expect(otherDemo.acme).not.toBe(demo.acme)
      expect(otherDemo.contact('Maria Gonzalez')).not.toBe(demo.contact('Maria Gonzalez'))
      // The fixed ids the seed once had: repeated digits and zero-padded counters.
      const sequential = /^(11111111|22222222|aaaaaaaa|bbbbbbbb|cccccccc)-|-0000-4000-8000-0000000000/
      expect([...ours, ...theirs].filter((id) => sequential.test(id))).toEqual([])
      for (const id of [...ours, ...theirs])
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    } finally {
      await other.close()
    }
  })
})
