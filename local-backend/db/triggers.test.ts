import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite } from '@electric-sql/pglite'
import { openDatabase } from './database.ts'
import { anon, asCaller, pgError, queryAs, serviceRole, user } from './demo-callers.ts'

/*
 * The derived columns and guards the database keeps itself: unread counts, the
 * conversation's activity, updated_at, statuses that never move backwards, and
 * every constraint that rejects a bad row. An empty database (no seed) with its
 * own fixtures; each test uses its own contact, so they do not interfere.
 */

const ws = '0a000000-0000-4000-8000-000000000001'
const otherWs = '0b000000-0000-4000-8000-000000000001'
const agent = '0a000000-0000-4000-8000-0000000000a1'
const outsider = '0b000000-0000-4000-8000-0000000000b1'

let db: PGlite
let contactSeq = 0

/** A fresh contact in the fixture workspace, so every test has its own conversation. */
async function newContact(status = 'Open'): Promise<string> {
  contactSeq += 1
  const phone = `+1415555${String(contactSeq).padStart(4, '0')}`
  const { rows } = await db.query<{ id: string }>(
    `insert into contacts (workspace_id, phone_number, conversation_status) values ($1, $2, $3) returning id`,
    [ws, phone, status],
  )
  return rows[0]!.id
}

/** Inserts a message as the service role (the relay) and commits it. */
function relayInsert(contactId: string, fields: Record<string, unknown>): Promise<{ id: string }> {
  const row = { workspace_id: ws, contact_id: contactId, content: 'hello', direction: 'inbound', ...fields }
  const columns = Object.keys(row)
  return asCaller(
    db,
    serviceRole,
    async (tx) =>
      (
        await tx.query<{ id: string }>(
          `insert into messages (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
          Object.values(row),
        )
      ).rows[0]!,
    { commit: true },
  )
}

const contactRow = async (id: string) =>
  (
    await db.query<{
      unread_count: number
      last_message_at: Date | null
      last_message_preview: string | null
      conversation_status: string
      updated_at: Date
    }>(
      'select unread_count, last_message_at, last_message_preview, conversation_status, updated_at from contacts where id = $1',
      [id],
    )
  ).rows[0]!

beforeAll(async () => {
  db = await openDatabase()
  await db.exec(`
    insert into auth.users (id, email) values ('${agent}', 'agent@example.test'), ('${outsider}', 'outsider@example.test');
    insert into workspaces (id, name) values ('${ws}', 'Fixture'), ('${otherWs}', 'Elsewhere');
    insert into workspace_members (workspace_id, user_id, role) values ('${ws}', '${agent}', 'agent'), ('${otherWs}', '${outsider}', 'agent');
  `)
})
afterAll(async () => {
  await db.close()
})

describe('unread_count', () => {
  it('is exact after 200 concurrent inbound inserts, and the outbound ones do not count', async () => {
    const contact = await newContact()
    await Promise.all([
      ...Array.from({ length: 200 }, (_, i) =>
        relayInsert(contact, { content: `inbound ${i}`, twilio_sid: `SMconcurrent${i}` }),
      ),
      ...Array.from({ length: 20 }, (_, i) =>
        relayInsert(contact, { direction: 'outbound', created_by: agent, content: `reply ${i}` }),
      ),
    ])
    const { rows } = await db.query<{ inbound: number }>(
      `select count(*)::int as inbound from messages where contact_id = $1 and direction = 'inbound'`,
      [contact],
    )
    expect(rows[0]!.inbound).toBe(200)
    expect((await contactRow(contact)).unread_count).toBe(200)

    await asCaller(db, user(agent), (tx) => tx.query('select mark_conversation_read($1)', [contact]), {
      commit: true,
    })
    expect((await contactRow(contact)).unread_count).toBe(0)
  })

  it('mark_conversation_unread makes a read conversation count one, and keeps a higher count', async () => {
    const contact = await newContact()
    await asCaller(db, user(agent), (tx) => tx.query('select mark_conversation_unread($1)', [contact]), {
      commit: true,
    })
    expect((await contactRow(contact)).unread_count).toBe(1)
    await relayInsert(contact, {})
    await relayInsert(contact, {})
    await asCaller(db, user(agent), (tx) => tx.query('select mark_conversation_unread($1)', [contact]), {
      commit: true,
    })
    expect((await contactRow(contact)).unread_count).toBe(3)
  })

  it('non-members, anon and unknown contacts get 42501 from the read-state RPCs, and nothing changes', async () => {
    const contact = await newContact()
    await relayInsert(contact, {})
    for (const fn of ['mark_conversation_read', 'mark_conversation_unread']) {
      expect((await pgError(queryAs(db, user(outsider), `select ${fn}($1)`, [contact]))).code).toBe('42501')
      expect((await pgError(queryAs(db, anon, `select ${fn}($1)`, [contact]))).code).toBe('42501')
      expect(
        (
          await pgError(
            queryAs(db, user(agent), `select ${fn}($1)`, ['0f000000-0000-4000-8000-000000000000']),
          )
        ).code,
      ).toBe('42501')
    }
    expect((await contactRow(contact)).unread_count).toBe(1)
  })
})

describe('conversation activity', () => {
  it('follows the newest message, whatever order messages arrive in', async () => {
    const contact = await newContact()
    await relayInsert(contact, { content: 'newest\n  text', created_at: '2026-01-02T10:00:00Z' })
    await relayInsert(contact, { content: 'older, arrived late', created_at: '2026-01-01T10:00:00Z' })
    const row = await contactRow(contact)
    expect(row.last_message_at?.toISOString()).toBe('2026-01-02T10:00:00.000Z')
    expect(row.last_message_preview).toBe('newest text')
  })

  it('keeps the preview to 140 characters', async () => {
    const contact = await newContact()
    await relayInsert(contact, { content: 'x'.repeat(500) })
    expect((await contactRow(contact)).last_message_preview).toHaveLength(140)
  })

  it('a customer writing into a Done conversation reopens it; a reply does not', async () => {
    const contact = await newContact('Done')
    await relayInsert(contact, { direction: 'outbound', created_by: agent })
    expect((await contactRow(contact)).conversation_status).toBe('Done')
    await relayInsert(contact, {})
    expect((await contactRow(contact)).conversation_status).toBe('Open')
  })

  it('updated_at moves on every update of every table', async () => {
    const contact = await newContact()
    const { id: message } = await relayInsert(contact, {
      direction: 'outbound',
      created_by: agent,
      status: 'pending',
    })
    const statements: [string, string][] = [
      ['workspaces', `update workspaces set name = name where id = '${ws}'`],
      ['workspace_members', `update workspace_members set role = role where user_id = '${agent}'`],
      ['contacts', `update contacts set name = 'Renamed' where id = '${contact}'`],
      ['messages', `update messages set status = 'sent', twilio_sid = 'SMtouch' where id = '${message}'`],
      ['twilio_numbers', `update twilio_numbers set friendly_name = 'x' where workspace_id = '${ws}'`],
      [
        'workspace_twilio_config',
        `update workspace_twilio_config set is_configured = true where workspace_id = '${ws}'`,
      ],
    ]
    await db.exec(`
      insert into twilio_numbers (workspace_id, phone_number, twilio_sid, updated_at) values ('${ws}', '+15550109999', 'PNtouch', '2000-01-01');
      insert into workspace_twilio_config (workspace_id, account_sid, auth_token, updated_at) values ('${ws}', 'ACtouch', 'tok', '2000-01-01');
    `)
    for (const [table, sql] of statements) {
      const before = await db.query<{ updated_at: Date }>(
        `select max(updated_at) as updated_at from ${table}`,
      )
      await db.query(sql)
      const after = await db.query<{ updated_at: Date }>(`select max(updated_at) as updated_at from ${table}`)
      expect(after.rows[0]!.updated_at.getTime(), table).toBeGreaterThan(before.rows[0]!.updated_at.getTime())
    }
  })
})

describe('message status never moves backwards', () => {
  const statusOf = async (id: string) =>
    (
      await db.query<{ status: string; error_code: string | null }>(
        'select status, error_code from messages where id = $1',
        [id],
      )
    ).rows[0]!
  const setStatus = (id: string, fields: string) =>
    asCaller(db, serviceRole, (tx) => tx.query(`update messages set ${fields} where id = $1`, [id]), {
      commit: true,
    })

  it('a late sent after delivered keeps delivered, and a failed after delivered keeps it too', async () => {
    const contact = await newContact()
    const { id } = await relayInsert(contact, { direction: 'outbound', created_by: agent, status: 'pending' })
    await setStatus(id, `twilio_sid = 'SMforward1', status = 'sent'`)
    await setStatus(id, `status = 'delivered'`)
    await setStatus(id, `status = 'sent'`)
    expect(await statusOf(id)).toEqual({ status: 'delivered', error_code: null })
    await setStatus(id, `status = 'failed', error_code = '30003'`)
    expect(await statusOf(id)).toEqual({ status: 'delivered', error_code: null })
  })

  it('sent may still fail, and a failure with a SID is final', async () => {
    const contact = await newContact()
    const { id } = await relayInsert(contact, { direction: 'outbound', created_by: agent, status: 'pending' })
    await setStatus(id, `twilio_sid = 'SMforward2', status = 'sent'`)
    await setStatus(id, `status = 'failed', error_code = '30005'`)
    await setStatus(id, `status = 'pending'`)
    await setStatus(id, `status = 'delivered'`)
    expect(await statusOf(id)).toEqual({ status: 'failed', error_code: '30005' })
  })

  it('a send Twilio never accepted (failed, no SID) may go back to pending on retry, with its error cleared', async () => {
    const contact = await newContact()
    const { id } = await relayInsert(contact, { direction: 'outbound', created_by: agent, status: 'pending' })
    await setStatus(id, `status = 'failed', error_code = '20429'`)
    await setStatus(id, `status = 'pending'`)
    expect(await statusOf(id)).toEqual({ status: 'pending', error_code: null })
    await setStatus(id, `twilio_sid = 'SMretried', status = 'sent'`)
    expect(await statusOf(id)).toEqual({ status: 'sent', error_code: null })
  })
})

describe('bad rows are rejected with the constraint’s error', () => {
  const insertContact = (phone: string, status = 'Open') =>
    pgError(
      queryAs(
        db,
        serviceRole,
        'insert into contacts (workspace_id, phone_number, conversation_status) values ($1, $2, $3)',
        [ws, phone, status],
      ),
    )
  const insertMessage = async (fields: Record<string, unknown>, caller = serviceRole) => {
    const contact = await newContact()
    const row = { workspace_id: ws, contact_id: contact, content: 'hi', direction: 'inbound', ...fields }
    const columns = Object.keys(row)
    return pgError(
      queryAs(
        db,
        caller,
        `insert into messages (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        Object.values(row),
      ),
    )
  }

  it.each(['4155550100', '+0155550100', '+1 415 555 0100', '+1415555010012345', '+', '', 'tel:+14155550100'])(
    'a contact number %j that is not E.164',
    async (phone) => {
      expect(await insertContact(phone)).toMatchObject({ code: '23514', constraint: 'e164_check' })
    },
  )

  it('a Twilio number that is not E.164', async () => {
    const error = await pgError(
      db.query(
        `insert into twilio_numbers (workspace_id, phone_number, twilio_sid) values ($1, '555-0100', 'PNbad')`,
        [ws],
      ),
    )
    expect(error).toMatchObject({ code: '23514', constraint: 'e164_check' })
  })

  it('an unknown conversation status', async () => {
    expect(await insertContact('+14155550177', 'Closed')).toMatchObject({
      code: '23514',
      constraint: 'contacts_conversation_status_check',
    })
  })

  it('an unknown message status', async () => {
    expect(await insertMessage({ status: 'undelivered' })).toMatchObject({
      code: '23514',
      constraint: 'messages_status_check',
    })
  })

  it.each([1.0001, -1.0001, 2, -100])('sentiment %d outside [-1, 1]', async (sentiment) => {
    expect(await insertMessage({ sentiment })).toMatchObject({
      code: '23514',
      constraint: 'messages_sentiment_check',
    })
  })

  it('sentiment at the bounds is accepted', async () => {
    const contact = await newContact()
    await relayInsert(contact, { sentiment: -1 })
    await relayInsert(contact, { sentiment: 1 })
    expect((await contactRow(contact)).unread_count).toBe(2)
  })

  it('a duplicate twilio_sid (a webhook retry) is refused, and the unread count is raised once', async () => {
    const contact = await newContact()
    await relayInsert(contact, { twilio_sid: 'SMduplicate' })
    const error = await pgError(relayInsert(contact, { twilio_sid: 'SMduplicate' }))
    expect(error).toMatchObject({ code: '23505', constraint: 'messages_twilio_sid_unique' })
    expect((await contactRow(contact)).unread_count).toBe(1)
  })

  it('an inbound message with an author', async () => {
    expect(await insertMessage({ created_by: agent })).toMatchObject({
      code: '23514',
      constraint: 'messages_direction_author_check',
    })
  })

  it('an empty reply, and a body over 1,600 characters', async () => {
    expect(await insertMessage({ direction: 'outbound', created_by: agent, content: '  ' })).toMatchObject({
      code: '23514',
      constraint: 'messages_content_length_check',
    })
    expect(await insertMessage({ content: 'x'.repeat(1601) })).toMatchObject({
      code: '23514',
      constraint: 'messages_content_length_check',
    })
  })

  it('an agent inserting an inbound message, or one in another agent’s name', async () => {
    const denied = { code: '42501', message: expect.stringMatching(/row-level security/) }
    expect(await insertMessage({ direction: 'inbound' }, user(agent))).toMatchObject(denied)
    expect(await insertMessage({ direction: 'outbound', created_by: outsider }, user(agent))).toMatchObject(
      denied,
    )
    expect(await insertMessage({ direction: 'outbound' }, user(agent))).toMatchObject(denied)
  })

  it('an agent setting a status or a SID on its own message', async () => {
    expect(
      await insertMessage({ direction: 'outbound', created_by: agent, status: 'delivered' }, user(agent)),
    ).toMatchObject({
      code: '42501',
    })
    expect(
      await insertMessage({ direction: 'outbound', created_by: agent, twilio_sid: 'SMforged' }, user(agent)),
    ).toMatchObject({
      code: '42501',
    })
  })
})
