import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from './database.ts'
import { asCaller, demoIds, pgError, queryAs, serviceRole, user } from './demo-callers.ts'

/*
 * What the team-inbox migration keeps in the database itself: profiles that come
 * with memberships, an assignment history written by the database and never
 * changed, mentions that name members, and Done conversations an inbound text
 * reopens without losing their assignee. The seeded database, with every change
 * committed on a contact of its own so the cases do not meet.
 */

const db = await openDatabase({ seed: true })
const demo = await demoIds(db)

afterAll(async () => {
  await db.close()
})

type HistoryRow = { assignee_id: string | null; assigned_by: string | null }

const history = async (contactId: string) =>
  (
    await db.query<HistoryRow>(
      'select assignee_id, assigned_by from conversation_assignments where contact_id = $1 order by assigned_at',
      [contactId],
    )
  ).rows

/** Assigns as `userId`, the way the app does it (a PostgREST update under RLS), and commits. */
const assignAs = (userId: string, contactId: string, assigneeId: string | null) =>
  asCaller(
    db,
    user(userId),
    (tx) => tx.query('update contacts set assignee_id = $2 where id = $1', [contactId, assigneeId]),
    { commit: true },
  )

// First, before the cases below assign and write more.
describe('the demo seed, for a team to try at once', () => {
  it('assigns conversations to each Acme agent and leaves the rest unassigned, recorded as assigned by Ava', async () => {
    const { rows } = await db.query<{ assignee_id: string | null; n: number }>(
      'select assignee_id, count(*)::int as n from contacts where workspace_id = $1 group by 1',
      [demo.acme],
    )
    expect(new Map(rows.map((row) => [row.assignee_id, row.n]))).toEqual(
      new Map([
        [demo.ava, 2],
        [demo.ben, 2],
        [null, 20],
      ]),
    )
    const assigners = await db.query(
      'select distinct assigned_by from conversation_assignments where workspace_id = $1',
      [demo.acme],
    )
    expect(assigners.rows).toEqual([{ assigned_by: demo.ava }])
  })

  it('holds the workspace’s saved replies for every member, and Ben’s own for Ben alone', async () => {
    const titles = async (userId: string) =>
      (
        await queryAs<{ title: string }>(db, user(userId), 'select title from saved_replies order by title')
      ).map((row) => row.title)
    expect(await titles(demo.ben)).toEqual(['Closing the conversation', 'My intro', 'Order update'])
    expect(await titles(demo.ava)).toEqual(['Closing the conversation', 'Order update'])
    expect(await titles(demo.cleo)).toEqual(['Appointment reminder'])
  })
})

describe('member profiles', () => {
  it('every seeded member has one, named as at sign-up, with a colour of the palette', async () => {
    const { rows } = await db.query<{ email: string; display_name: string; avatar_color: string }>(
      `select u.email, p.display_name, p.avatar_color from member_profiles p join auth.users u on u.id = p.user_id
        order by u.email`,
    )
    expect(rows.map(({ email, display_name }) => ({ email, display_name }))).toEqual([
      { email: 'ava@acme.test', display_name: 'Ava Thompson' },
      { email: 'ben@acme.test', display_name: 'Ben Okafor' },
      { email: 'cleo@globex.test', display_name: 'Cleo Martins' },
    ])
    for (const row of rows) expect(row.avatar_color).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('a new member gets one in the same transaction (the email’s name without a full name), and leaves with it', async () => {
    const userId = '0c000000-0000-4000-8000-0000000000c1'
    await db.query(`insert into auth.users (id, email) values ($1, 'dana.rivers@acme.test')`, [userId])
    await db.query(`insert into workspace_members (workspace_id, user_id) values ($1, $2)`, [
      demo.acme,
      userId,
    ])
    const profile = async () =>
      (await db.query('select display_name from member_profiles where user_id = $1', [userId])).rows
    expect(await profile()).toEqual([{ display_name: 'dana.rivers' }])
    await db.query('delete from workspace_members where user_id = $1', [userId])
    expect(await profile()).toEqual([])
  })

  it('refuses a colour that is not #rrggbb and an empty name', async () => {
    for (const set of [`avatar_color = 'red'`, `avatar_color = '#ABCDEF'`, `display_name = '   '`]) {
      const error = await pgError(
        queryAs(db, user(demo.ben), `update member_profiles set ${set} where user_id = $1`, [demo.ben]),
      )
      expect(error.code, set).toBe('23514')
    }
  })
})

describe('assignment', () => {
  it('records who assigned whom on every change, and nothing for a change to the same assignee', async () => {
    const contact = demo.contact('Daniel Kim')
    await assignAs(demo.ava, contact, demo.ben)
    await assignAs(demo.ben, contact, demo.ben)
    await assignAs(demo.ben, contact, null)
    expect(await history(contact)).toEqual([
      { assignee_id: demo.ben, assigned_by: demo.ava },
      { assignee_id: null, assigned_by: demo.ben },
    ])
  })

  it('names only a member of the conversation’s own workspace', async () => {
    const error = await pgError(
      queryAs(db, user(demo.ava), 'update contacts set assignee_id = $2 where id = $1', [
        demo.contact('Daniel Kim'),
        demo.cleo,
      ]),
    )
    expect(error).toMatchObject({ code: '23503', constraint: 'contacts_assignee_membership_fk' })
  })

  it('a member who leaves leaves their conversations unassigned, in their workspace, with the change recorded', async () => {
    const userId = '0c000000-0000-4000-8000-0000000000c2'
    const contact = demo.contact('Emily Nguyen')
    await db.query(`insert into auth.users (id, email) values ($1, 'temp@acme.test')`, [userId])
    await db.query(`insert into workspace_members (workspace_id, user_id) values ($1, $2)`, [
      demo.acme,
      userId,
    ])
    await assignAs(demo.ava, contact, userId)
    await asCaller(
      db,
      user(demo.ava),
      (tx) => tx.query('delete from workspace_members where user_id = $1', [userId]),
      { commit: true },
    )
    const { rows } = await db.query('select workspace_id, assignee_id from contacts where id = $1', [contact])
    expect(rows).toEqual([{ workspace_id: demo.acme, assignee_id: null }])
    expect(await history(contact)).toEqual([
      { assignee_id: userId, assigned_by: demo.ava },
      { assignee_id: null, assigned_by: demo.ava },
    ])
  })

  it('an inbound text reopens a Done conversation and keeps its assignee', async () => {
    const contact = demo.contact('Priya Raman')
    await assignAs(demo.ben, contact, demo.ava)
    expect(
      (await db.query('select conversation_status from contacts where id = $1', [contact])).rows,
    ).toEqual([{ conversation_status: 'Done' }])
    await asCaller(
      db,
      serviceRole,
      (tx) =>
        tx.query(
          `insert into messages (workspace_id, contact_id, content, direction, status, twilio_sid)
           values ($1, $2, 'One more question', 'inbound', 'delivered', 'SM0123456789abcdef0123456789abcdef')`,
          [demo.acme, contact],
        ),
      { commit: true },
    )
    const { rows } = await db.query('select conversation_status, assignee_id from contacts where id = $1', [
      contact,
    ])
    expect(rows).toEqual([{ conversation_status: 'Open', assignee_id: demo.ava }])
    expect(await history(contact)).toEqual([{ assignee_id: demo.ava, assigned_by: demo.ben }])
  })
})

describe('the assignment history is append-only', () => {
  let contact: string
  beforeAll(async () => {
    contact = demo.contact('Victor Chen')
    await assignAs(demo.ava, contact, demo.ben)
  })

  it.each([
    ['update', 'update conversation_assignments set assignee_id = null where contact_id = $1'],
    ['delete', 'delete from conversation_assignments where contact_id = $1'],
  ])('%s is refused even to the table’s owner, whom neither RLS nor grants stop', async (_op, sql) => {
    const error = await pgError(db.query(sql, [contact]))
    expect(error.code).toBe('42501')
    expect(error.message).toMatch(/append-only/)
    expect(await history(contact)).toEqual([{ assignee_id: demo.ben, assigned_by: demo.ava }])
  })

  it('truncate is refused too', async () => {
    expect((await pgError(db.query('truncate conversation_assignments'))).code).toBe('42501')
  })

  it('goes with its conversation when an admin deletes it, and with its workspace', async () => {
    const other = demo.contact('Liam Walsh')
    await assignAs(demo.ben, other, demo.ben)
    await asCaller(db, user(demo.ava), (tx) => tx.query('delete from contacts where id = $1', [other]), {
      commit: true,
    })
    expect(await history(other)).toEqual([])

    const helen = demo.contact('Helen Park')
    await assignAs(demo.cleo, helen, demo.cleo)
    await db.query('delete from workspaces where id = $1', [demo.globex])
    expect(await history(helen)).toEqual([])
  })
})

describe('note mentions', () => {
  const note = (mentions: string[]) =>
    queryAs<{ mentions: string[] }>(
      db,
      user(demo.ben),
      `insert into internal_notes (workspace_id, contact_id, body, mentions) values ($1, $2, 'See this', $3)
       returning mentions`,
      [demo.acme, demo.contact('Maria Gonzalez'), mentions],
    )

  it('name members of the workspace, each once, in the order written; the author defaults to the caller', async () => {
    const rows = await queryAs(
      db,
      user(demo.ben),
      `insert into internal_notes (workspace_id, contact_id, body, mentions) values ($1, $2, 'See this', $3)
       returning mentions, created_by`,
      [demo.acme, demo.contact('Maria Gonzalez'), [demo.ava, demo.ben, demo.ava]],
    )
    expect(rows).toEqual([{ mentions: [demo.ava, demo.ben], created_by: demo.ben }])
  })

  it('refuse a member of another workspace, or anyone else', async () => {
    for (const stranger of [demo.cleo, '0c000000-0000-4000-8000-0000000000c3']) {
      expect((await pgError(note([demo.ava, stranger]))).code).toBe('23503')
    }
  })
})

describe('saved replies', () => {
  it('one list holds a title once: the workspace’s list and each member’s own', async () => {
    const insert = (ownerId: string | null) =>
      db.query(
        `insert into saved_replies (workspace_id, owner_id, title, body) values ($1, $2, 'Refunds', 'x')`,
        [demo.acme, ownerId],
      )
    await insert(null)
    await insert(demo.ben)
    await insert(demo.ava)
    for (const ownerId of [null, demo.ben])
      expect(await pgError(insert(ownerId))).toMatchObject({
        code: '23505',
        constraint: 'saved_replies_title_unique',
      })
  })
})
