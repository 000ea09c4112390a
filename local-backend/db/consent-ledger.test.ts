import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from './database.ts'
import { demoIds, pgError, queryAs, serviceRole } from './demo-callers.ts'

/*
 * What the consent migration keeps in the database itself: a ledger nobody edits,
 * and a state per (contact, sender) that the newest opt-out or opt-in decides,
 * whatever order the relay's replicas write events in. Seeded database; each case
 * uses a sender of its own so the cases do not meet.
 */

const db = await openDatabase({ seed: true })
const demo = await demoIds(db)
const maria = demo.contact('Maria Gonzalez')

afterAll(async () => {
  await db.close()
})

type Kind = 'opt_out' | 'opt_in' | 'help'

const record = async (sender: string, kind: Kind, at: string, keyword: string | null = kind.toUpperCase()) =>
  (
    await db.query<{ id: string }>(
      `insert into consent_events (workspace_id, contact_id, sender, kind, keyword, source, at)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [demo.acme, maria, sender, kind, keyword, keyword === null ? 'twilio_error_21610' : 'inbound', at],
    )
  ).rows[0]!.id

const state = async (sender: string) =>
  (
    await db.query<{ opted_out: boolean; event_id: string }>(
      'select opted_out, event_id from consent_states where contact_id = $1 and sender = $2',
      [maria, sender],
    )
  ).rows

describe('the consent ledger', () => {
  it('STOP opts the pair out, START back in; HELP changes nothing', async () => {
    const sender = '+15550101001'
    expect(await state(sender)).toEqual([])
    await record(sender, 'help', '2026-12-01T10:00:00Z')
    expect(await state(sender)).toEqual([])
    const stop = await record(sender, 'opt_out', '2026-12-01T10:01:00Z')
    expect(await state(sender)).toEqual([{ opted_out: true, event_id: stop }])
    await record(sender, 'help', '2026-12-01T10:02:00Z')
    expect(await state(sender)).toEqual([{ opted_out: true, event_id: stop }])
    const start = await record(sender, 'opt_in', '2026-12-01T10:03:00Z')
    expect(await state(sender)).toEqual([{ opted_out: false, event_id: start }])
  })

  it('the newest event decides even when an older one is written last', async () => {
    const sender = '+15550101002'
    const start = await record(sender, 'opt_in', '2026-12-01T11:00:00Z')
    await record(sender, 'opt_out', '2026-12-01T10:00:00Z')
    expect(await state(sender)).toEqual([{ opted_out: false, event_id: start }])
  })

  it("an opt-out covers one sender: the workspace's other numbers are not affected", async () => {
    await record('+15550101003', 'opt_out', '2026-12-01T10:00:00Z')
    expect(await state('+15550101004')).toEqual([])
  })

  it("Twilio's 21610 is an opt-out with no keyword, and only an opt-out", async () => {
    const sender = 'MG0123456789abcdef0123456789abcdef'
    const refused = await record(sender, 'opt_out', '2026-12-01T10:00:00Z', null)
    expect(await state(sender)).toEqual([{ opted_out: true, event_id: refused }])
    expect((await pgError(record(sender, 'opt_in', '2026-12-01T10:01:00Z', null))).code).toBe('23514')
  })

  it('one inbound text records its keyword once, however often Twilio repeats the webhook', async () => {
    const message = (
      await db.query<{ id: string }>(
        `insert into messages (workspace_id, contact_id, content, direction, status) values ($1, $2, 'STOP', 'inbound', 'delivered') returning id`,
        [demo.acme, maria],
      )
    ).rows[0]!.id
    const insert = () =>
      db.query(
        `insert into consent_events (workspace_id, contact_id, sender, kind, keyword, source, message_id)
         values ($1, $2, '+15550101005', 'opt_out', 'STOP', 'inbound', $3)`,
        [demo.acme, maria, message],
      )
    await insert()
    expect((await pgError(insert())).code).toBe('23505')
  })

  it('refuses a sender that is neither a number nor a Messaging Service', async () => {
    expect((await pgError(record('acme-main-line', 'opt_out', '2026-12-01T10:00:00Z'))).code).toBe('23514')
  })

  it('is append-only, even for the service role', async () => {
    for (const sql of [
      `update consent_events set kind = 'opt_in' where contact_id = $1`,
      'delete from consent_events where contact_id = $1',
    ]) {
      expect((await pgError(queryAs(db, serviceRole, sql, [maria]))).code, sql).toBe('42501')
    }
  })
})
