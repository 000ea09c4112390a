import { describe, expect, it } from 'vitest'
import { harnessPerFile, subscribe, userToken, waitFor } from './test-support.ts'

const harness = harnessPerFile()
const demo = () => harness().demo

const captureTriggers = async (table: string) =>
  (
    await harness().db.query<{ n: number }>(
      `select count(*)::int as n from pg_catalog.pg_trigger
        where tgname = 'realtime_capture_change' and tgrelid = $1::regclass`,
      [table],
    )
  ).rows[0]!.n

describe('change capture', () => {
  it('delivers contacts changes made by the message trigger (raw SQL and triggers alike)', async () => {
    const acme = await subscribe(await harness().connect(await userToken(demo().ben)), 'acme-contacts', {
      event: 'UPDATE',
      schema: 'public',
      table: 'contacts',
      filter: `id=eq.${demo().contact('Lucía Fernández')}`,
    })
    await harness().insertMessage(demo().acme, demo().contact('Lucía Fernández'), 'bumps the conversation')
    await waitFor(() => acme.changes.length > 0, 'the contact update')
    expect(acme.changes[0]!.new).toMatchObject({
      id: demo().contact('Lucía Fernández'),
      last_message_preview: 'bumps the conversation',
    })
    expect(typeof acme.changes[0]!.new.unread_count).toBe('number')
  })

  it('delivers a multi-row commit in order and leaves no captured change behind', async () => {
    const acme = await subscribe(await harness().connect(await userToken(demo().ben)), 'acme-bulk', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter: `contact_id=eq.${demo().contact('Carlos Mendes')}`,
    })
    // 1,100 rows and 1,100 contacts updates nobody listens to: more than one drain batch.
    await harness().db.query(
      `insert into public.messages (workspace_id, contact_id, content, direction)
       select $1, $2, 'bulk ' || g, 'inbound' from generate_series(1, 1100) g`,
      [demo().acme, demo().contact('Carlos Mendes')],
    )
    await waitFor(() => acme.changes.length === 1100, 'all 1,100 inserts', 30_000)
    expect(acme.changes.map((change) => change.new.content)).toEqual(
      Array.from({ length: 1100 }, (_, index) => `bulk ${index + 1}`),
    )
    // A drain deletes the changes it hands over before they are sent, the unheard ones
    // with them: once the last row has arrived, nothing of the commit is left.
    const left = await harness().db.query<{ n: number }>(
      'select count(*)::int as n from realtime.captured_changes',
    )
    expect(left.rows[0]!.n).toBe(0)
  })

  it('keeps its triggers in step with the publication, and captures a table published later', async () => {
    await harness().db.exec(`
      create table public.rt_later (id int primary key, note text);
      grant select on public.rt_later to authenticated;
    `)
    expect(await captureTriggers('public.rt_later')).toBe(0)
    await harness().db.exec('alter publication supabase_realtime add table public.rt_later')
    expect(await captureTriggers('public.rt_later')).toBe(1)

    const later = await subscribe(await harness().connect(await userToken(demo().ben)), 'later', {
      event: 'INSERT',
      schema: 'public',
      table: 'rt_later',
    })
    await harness().db.query(`insert into public.rt_later values (1, 'captured')`)
    await waitFor(() => later.changes.length > 0, 'the row of the table published later')
    expect(later.changes[0]!.new).toEqual({ id: 1, note: 'captured' })

    await harness().db.exec('alter publication supabase_realtime drop table public.rt_later')
    expect(await captureTriggers('public.rt_later')).toBe(0)
  })
})
