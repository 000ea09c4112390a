import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from './database.ts'
import { asCaller, demoIds, pgError, serviceRole, user } from './demo-callers.ts'

// The audit trail (supabase/migrations/20261201150300_audit_trail.sql): each audited
// change, made as its real caller under RLS, leaves exactly one row naming who, what
// and when; the trail itself cannot be edited by anyone. Every case rolls back.

const db = await openDatabase({ seed: true })
const demo = await demoIds(db)
afterAll(() => db.close())

type Trail = {
  action: string
  actor_id: string | null
  subject_id: string | null
  details: Record<string, unknown>
}
const newTrail = `select action, actor_id, subject_id, details from audit_events
                   where workspace_id = $1 and created_at >= $2 order by created_at`

/** What `change` (run as `caller`) adds to Acme's trail, read back in the same transaction. */
function trailOf(caller: Parameters<typeof user>[0] | 'service', change: string, params: unknown[]) {
  return asCaller(db, caller === 'service' ? serviceRole : user(caller), async (tx) => {
    const since = (await tx.query<{ since: string }>('select clock_timestamp() as since')).rows[0]!.since
    await tx.query(change, params)
    await tx.query(`select set_config('role', 'service_role', true)`)
    return (await tx.query<Trail>(newTrail, [demo.acme, since])).rows
  })
}

describe('the audit trail records each change with its actor', () => {
  it('a role change by the owner: from and to, Ava as the actor, Ben as the subject', async () => {
    const trail = await trailOf(
      demo.ava,
      `update workspace_members set role = 'admin' where user_id = $1 and workspace_id = $2`,
      [demo.ben, demo.acme],
    )
    expect(trail).toEqual([
      {
        action: 'member.role_changed',
        actor_id: demo.ava,
        subject_id: demo.ben,
        details: { from: 'agent', to: 'admin' },
      },
    ])
  })

  it('a removal, and the unassignment of every conversation the member held', async () => {
    const held = (
      await db.query<{ id: string }>('select id from contacts where assignee_id = $1 order by id', [demo.ben])
    ).rows.map((row) => row.id)
    expect(held.length).toBeGreaterThan(0)
    const trail = await trailOf(
      demo.ava,
      'delete from workspace_members where user_id = $1 and workspace_id = $2',
      [demo.ben, demo.acme],
    )
    expect(trail[0]).toEqual({
      action: 'member.removed',
      actor_id: demo.ava,
      subject_id: demo.ben,
      details: { role: 'agent' },
    })
    const unassigned = trail.slice(1)
    expect(unassigned.map((row) => row.subject_id).sort()).toEqual(held)
    for (const row of unassigned)
      expect(row).toMatchObject({
        action: 'conversation.assigned',
        actor_id: demo.ava,
        details: { assignee_id: null },
      })
  })

  it('an assignment, by the agent who made it', async () => {
    const maria = demo.contact('Maria Gonzalez')
    const trail = await trailOf(demo.ben, 'update contacts set assignee_id = $2 where id = $1', [
      maria,
      demo.ben,
    ])
    expect(trail).toEqual([
      {
        action: 'conversation.assigned',
        actor_id: demo.ben,
        subject_id: maria,
        details: { assignee_id: demo.ben },
      },
    ])
  })

  it('a contact renamed by an agent: old and new name, the agent as actor', async () => {
    const maria = demo.contact('Maria Gonzalez')
    const trail = await trailOf(demo.ben, `update contacts set name = 'Maria G.' where id = $1`, [maria])
    expect(trail).toEqual([
      {
        action: 'contact.renamed',
        actor_id: demo.ben,
        subject_id: maria,
        details: { from: 'Maria Gonzalez', to: 'Maria G.' },
      },
    ])
  })

  it('an update that leaves the name as it was records no rename', async () => {
    const maria = demo.contact('Maria Gonzalez')
    const trail = await trailOf(
      demo.ben,
      `update contacts set name = 'Maria Gonzalez', conversation_status = 'Done' where id = $1`,
      [maria],
    )
    expect(trail).toEqual([])
  })

  it('a blank or oversized name is refused by the database too', async () => {
    const maria = demo.contact('Maria Gonzalez')
    for (const name of ['   ', 'x'.repeat(101)]) {
      const error = await pgError(
        trailOf(demo.ben, 'update contacts set name = $2 where id = $1', [maria, name]),
      )
      expect(error.code, name).toBe('23514')
    }
  })

  it('a Twilio configuration change by the relay names the changed columns, never the token', async () => {
    const secret = 'a-new-auth-token-that-must-not-appear'
    const trail = await trailOf(
      'service',
      'update workspace_twilio_config set auth_token = $2 where workspace_id = $1',
      [demo.acme, secret],
    )
    expect(trail).toEqual([
      {
        action: 'twilio.config_changed',
        actor_id: null,
        subject_id: null,
        details: { columns: ['auth_token'] },
      },
    ])
    expect(JSON.stringify(trail)).not.toContain(secret)
  })

  it('a number imported and removed', async () => {
    const trail = await asCaller(db, serviceRole, async (tx) => {
      const since = (await tx.query<{ since: string }>('select clock_timestamp() as since')).rows[0]!.since
      const id = (
        await tx.query<{ id: string }>(
          `insert into twilio_numbers (workspace_id, phone_number, twilio_sid) values ($1, '+15550109999', 'PN0123') returning id`,
          [demo.acme],
        )
      ).rows[0]!.id
      await tx.query('delete from twilio_numbers where id = $1', [id])
      return (await tx.query<Trail>(newTrail, [demo.acme, since])).rows.map((row) => [
        row.action,
        row.details,
      ])
    })
    expect(trail).toEqual([
      ['number.added', { phone_number: '+15550109999' }],
      ['number.removed', { phone_number: '+15550109999' }],
    ])
  })
})

describe('the trail cannot be edited', () => {
  it('refuses update, delete and truncate even to the database owner', async () => {
    for (const statement of [
      `update audit_events set action = 'member.added'`,
      'delete from audit_events',
      'truncate audit_events',
    ]) {
      const error = await pgError(db.transaction(async (tx) => tx.query(statement)))
      expect(error.code, statement).toBe('42501')
    }
    const count = (await db.query<{ count: number }>('select count(*)::int as count from audit_events'))
      .rows[0]!.count
    expect(count).toBeGreaterThan(0)
  })

  it('goes with its workspace when the workspace is deleted', async () => {
    const remaining = await db.transaction(async (tx) => {
      await tx.query('delete from workspaces where id = $1', [demo.acme])
      const count = (
        await tx.query<{ count: number }>(
          'select count(*)::int as count from audit_events where workspace_id = $1',
          [demo.acme],
        )
      ).rows[0]!.count
      await tx.rollback()
      return count
    })
    expect(remaining).toBe(0)
  })
})
