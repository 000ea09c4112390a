import type { Transaction } from '@electric-sql/pglite'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from './database.ts'
import { asCaller, becomeCaller, demoIds, pgError, queryAs, serviceRole, user } from './demo-callers.ts'

/*
 * The relay's member actions, invitations and the trail's reader
 * (supabase/migrations/20261201173700_members_admin.sql) on the seed: Ava owns Acme,
 * Ben is its agent, Cleo belongs to Globex. The actions run as the service role, as the
 * relay calls them; each case rolls back, so every case starts from the seed.
 */
const db = await openDatabase({ seed: true })
const demo = await demoIds(db)
afterAll(async () => {
  await db.close()
})

const asRelay = <T>(work: (tx: Transaction) => Promise<T>) => asCaller(db, serviceRole, work)
const outcome = async (tx: Transaction, sql: string, params: unknown[]) =>
  (await tx.query<{ outcome: string }>(`select ${sql} as outcome`, params)).rows[0]!.outcome

const changeRole = (tx: Transaction, actor: string, member: string, to: string) =>
  outcome(tx, 'relay_change_member_role($1, $2, $3, $4)', [actor, demo.acme, member, to])
const remove = (tx: Transaction, actor: string, member: string) =>
  outcome(tx, 'relay_remove_member($1, $2, $3)', [actor, demo.acme, member])
const invite = (tx: Transaction, actor: string, email: string, as: string) =>
  outcome(tx, 'relay_invite_member($1, $2, $3, $4)', [actor, demo.acme, email, as])
const roleOf = async (tx: Transaction, member: string) =>
  (
    await tx.query<{ role: string }>(
      'select role from workspace_members where workspace_id = $1 and user_id = $2',
      [demo.acme, member],
    )
  ).rows[0]?.role ?? null
/** The newest membership entry of Acme's trail (a removal also unassigns, which is audited too). */
const lastAudit = async (tx: Transaction) =>
  (
    await tx.query(
      `select action, actor_id, subject_id, details from audit_events
        where workspace_id = $1 and action like 'member.%' order by created_at desc limit 1`,
      [demo.acme],
    )
  ).rows[0]

describe('the relay’s member actions', () => {
  it('an owner changes an agent’s role, and the trail names the owner as the actor', async () => {
    await asRelay(async (tx) => {
      expect(await changeRole(tx, demo.ava, demo.ben, 'admin')).toBe('done')
      expect(await roleOf(tx, demo.ben)).toBe('admin')
      expect(await lastAudit(tx)).toEqual({
        action: 'member.role_changed',
        actor_id: demo.ava,
        subject_id: demo.ben,
        details: { from: 'agent', to: 'admin' },
      })
      expect(await changeRole(tx, demo.ava, demo.ben, 'admin')).toBe('unchanged')
    })
  })

  it('an agent may do nothing, and a member of another workspace neither', async () => {
    await asRelay(async (tx) => {
      expect(await changeRole(tx, demo.ben, demo.ben, 'admin')).toBe('not_admin')
      expect(await remove(tx, demo.ben, demo.ava)).toBe('not_admin')
      expect(await invite(tx, demo.cleo, 'new@acme.test', 'agent')).toBe('not_admin')
      expect(await roleOf(tx, demo.ben)).toBe('agent')
    })
  })

  it('an admin manages agents and admins but never touches an owner, nor makes one', async () => {
    await asRelay(async (tx) => {
      await changeRole(tx, demo.ava, demo.ben, 'admin')
      expect(await changeRole(tx, demo.ben, demo.ava, 'agent')).toBe('owners_only')
      expect(await remove(tx, demo.ben, demo.ava)).toBe('owners_only')
      expect(await changeRole(tx, demo.ben, demo.ben, 'owner')).toBe('owners_only')
      expect(await roleOf(tx, demo.ava)).toBe('owner')
    })
  })

  it('the last owner can be neither demoted nor removed, through the relay or directly', async () => {
    await asRelay(async (tx) => {
      expect(await changeRole(tx, demo.ava, demo.ava, 'admin')).toBe('last_owner')
      expect(await remove(tx, demo.ava, demo.ava)).toBe('last_owner')
      expect(await remove(tx, demo.ava, demo.cleo)).toBe('no_such_member')
      expect(await roleOf(tx, demo.ava)).toBe('owner')
    })
    const direct = await pgError(
      queryAs(db, user(demo.ava), 'delete from workspace_members where workspace_id = $1 and user_id = $2', [
        demo.acme,
        demo.ava,
      ]),
    )
    expect(direct.code).toBe('23514')
    // With a second owner, the first may step down and be removed.
    await asRelay(async (tx) => {
      expect(await changeRole(tx, demo.ava, demo.ben, 'owner')).toBe('done')
      expect(await changeRole(tx, demo.ava, demo.ava, 'agent')).toBe('done')
      expect(await remove(tx, demo.ben, demo.ava)).toBe('done')
      expect(await roleOf(tx, demo.ava)).toBeNull()
    })
  })

  it('a removal is written to the trail with its actor', async () => {
    await asRelay(async (tx) => {
      expect(await remove(tx, demo.ava, demo.ben)).toBe('done')
      expect(await roleOf(tx, demo.ben)).toBeNull()
      expect(await lastAudit(tx)).toEqual({
        action: 'member.removed',
        actor_id: demo.ava,
        subject_id: demo.ben,
        details: { role: 'agent' },
      })
    })
  })

  it('no agent may call them', async () => {
    const error = await pgError(
      queryAs(db, user(demo.ava), 'select relay_remove_member($1, $2, $3)', [demo.ava, demo.acme, demo.ben]),
    )
    expect(error.code).toBe('42501')
  })
})

describe('invitations', () => {
  it('are recorded by email and in the trail, refused for members, and only as admin or agent', async () => {
    await asRelay(async (tx) => {
      expect(await invite(tx, demo.ava, '  Dana@Example.test ', 'agent')).toBe('done')
      expect(await lastAudit(tx)).toEqual({
        action: 'member.invited',
        actor_id: demo.ava,
        subject_id: null,
        details: { email: 'dana@example.test', role: 'agent' },
      })
      expect(await invite(tx, demo.ava, 'ben@acme.test', 'agent')).toBe('already_member')
      expect(await invite(tx, demo.ava, 'dana@example.test', 'owner')).toBe('owners_only')
      const pending = await tx.query(
        'select email, role from workspace_invitations where workspace_id = $1',
        [demo.acme],
      )
      expect(pending.rows).toEqual([{ email: 'dana@example.test', role: 'agent' }])
    })
  })

  it('become memberships at the invitee’s sign-in once their email is confirmed, and only then', async () => {
    await asRelay(async (tx) => {
      await tx.query(`select set_config('role', null, true)`)
      const dana = (
        await tx.query<{ id: string }>(
          `insert into auth.users (id, email, encrypted_password) values (gen_random_uuid(), 'dana@example.test', '') returning id`,
        )
      ).rows[0]!.id
      await becomeCaller(tx, serviceRole)
      await invite(tx, demo.ava, 'dana@example.test', 'agent')
      await invite(tx, demo.ava, 'cleo@globex.test', 'admin')
      const accept = async (member: string) => {
        await becomeCaller(tx, user(member))
        const joined = (await tx.query('select * from accept_invitations() as workspace_id')).rows
        await becomeCaller(tx, serviceRole)
        return joined
      }
      expect(await accept(dana)).toEqual([])
      await tx.query(`select set_config('role', null, true)`)
      await tx.query('update auth.users set email_confirmed_at = now() where id = $1', [dana])
      await becomeCaller(tx, serviceRole)
      expect(await accept(dana)).toEqual([{ workspace_id: demo.acme }])
      expect(await roleOf(tx, dana)).toBe('agent')
      expect(await lastAudit(tx)).toMatchObject({ action: 'member.added', actor_id: dana, subject_id: dana })
      expect(await accept(dana)).toEqual([])
      // Someone who already has an account joins the same way.
      expect(await accept(demo.cleo)).toEqual([{ workspace_id: demo.acme }])
      expect(await roleOf(tx, demo.cleo)).toBe('admin')
    })
  })

  it('are revoked by an owner or admin only, into the trail, and a revoked one is not accepted at sign-in', async () => {
    await asRelay(async (tx) => {
      await tx.query(`select set_config('role', null, true)`)
      const dana = (
        await tx.query<{ id: string }>(
          `insert into auth.users (id, email, encrypted_password, email_confirmed_at)
           values (gen_random_uuid(), 'dana@example.test', '', now()) returning id`,
        )
      ).rows[0]!.id
      // Cleo owns Globex here: an owner of one workspace revokes nothing of another.
      await tx.query(`update workspace_members set role = 'owner' where user_id = $1`, [demo.cleo])
      await becomeCaller(tx, serviceRole)
      await invite(tx, demo.ava, 'dana@example.test', 'admin')
      const { id } = (
        await tx.query<{ id: string }>('select id from workspace_invitations where email = $1', [
          'dana@example.test',
        ])
      ).rows[0]!
      const revoke = (actor: string, workspace: string) =>
        outcome(tx, 'relay_revoke_invitation($1, $2, $3)', [actor, workspace, id])
      expect(await revoke(demo.ben, demo.acme)).toBe('not_admin')
      expect(await revoke(demo.cleo, demo.acme)).toBe('not_admin')
      expect(await revoke(demo.cleo, demo.globex)).toBe('no_such_invitation')
      expect(await revoke(demo.ava, demo.acme)).toBe('done')
      expect(await lastAudit(tx)).toEqual({
        action: 'member.invitation_revoked',
        actor_id: demo.ava,
        subject_id: null,
        details: { email: 'dana@example.test', role: 'admin' },
      })
      expect(await revoke(demo.ava, demo.acme)).toBe('no_such_invitation')
      await becomeCaller(tx, user(dana))
      expect((await tx.query('select * from accept_invitations()')).rows).toEqual([])
      await becomeCaller(tx, serviceRole)
      expect(await roleOf(tx, dana)).toBeNull()
    })
  })

  it('no agent may revoke one directly', async () => {
    const error = await pgError(
      queryAs(db, user(demo.ava), 'select relay_revoke_invitation($1, $2, gen_random_uuid())', [
        demo.ava,
        demo.acme,
      ]),
    )
    expect(error.code).toBe('42501')
  })
})

describe('the audit trail view', () => {
  it('names actor and subject (a departed member by their account), and only for admins of the workspace', async () => {
    await asRelay(async (tx) => {
      await remove(tx, demo.ava, demo.ben)
      await invite(tx, demo.ava, 'dana@example.test', 'agent')
      const read = async (member: string) => {
        await becomeCaller(tx, user(member))
        const rows = (
          await tx.query(
            `select action, actor_name, subject_name, details from audit_trail
              where workspace_id = $1 and action like 'member.%' order by created_at desc, id desc limit 2`,
            [demo.acme],
          )
        ).rows
        await becomeCaller(tx, serviceRole)
        return rows
      }
      expect(await read(demo.ava)).toEqual([
        {
          action: 'member.invited',
          actor_name: 'Ava Thompson',
          subject_name: null,
          details: { email: 'dana@example.test', role: 'agent' },
        },
        {
          action: 'member.removed',
          actor_name: 'Ava Thompson',
          subject_name: 'Ben Okafor',
          details: { role: 'agent' },
        },
      ])
      expect(await read(demo.cleo)).toEqual([])
    })
    expect(await queryAs(db, user(demo.ben), 'select id from audit_trail')).toEqual([])
  })
})
