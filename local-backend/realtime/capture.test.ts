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

const storedChanges = async () =>
  (await harness().db.query<{ n: number }>('select count(*)::int as n from realtime.captured_changes'))
    .rows[0]!.n

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
    // Small changes travel in their NOTIFY: the write path stores none of them.
    expect(await storedChanges()).toBe(0)
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

  it('carries changes larger than a NOTIFY payload whole, old rows too, and keeps none of them stored', async () => {
    await harness().db.exec(`
      create table public.rt_large (id int primary key, body text);
      alter table public.rt_large replica identity full;
      grant select on public.rt_large to authenticated;
      alter publication supabase_realtime add table public.rt_large;
    `)
    const large = await subscribe(await harness().connect(await userToken(demo().ben)), 'large', {
      event: '*',
      schema: 'public',
      table: 'rt_large',
    })
    const [x, y] = ['x'.repeat(20_000), 'y'.repeat(20_000)]
    await harness().db.query('insert into public.rt_large values (1, $1)', [x])
    await harness().db.query('update public.rt_large set body = $1 where id = 1', [y])
    await harness().db.query('delete from public.rt_large where id = 1')
    await waitFor(() => large.changes.length === 3, 'the insert, update and delete')
    expect(large.changes.map(({ eventType, new: row, old }) => [eventType, row, old])).toEqual([
      ['INSERT', { id: 1, body: x }, {}],
      ['UPDATE', { id: 1, body: y }, { id: 1, body: x }],
      ['DELETE', {}, { id: 1, body: y }],
    ])
    // Stored for being too large, each was deleted as delivery read it.
    expect(await storedChanges()).toBe(0)
  })

  it('delivers equal changes of one transaction each, which NOTIFY alone would fold into one', async () => {
    await harness().db.exec(`
      create table public.rt_twice (id int primary key, note text);
      grant select on public.rt_twice to authenticated;
      alter publication supabase_realtime add table public.rt_twice;
      insert into public.rt_twice values (1, 'same');
    `)
    const twice = await subscribe(await harness().connect(await userToken(demo().ben)), 'twice', {
      event: '*',
      schema: 'public',
      table: 'rt_twice',
    })
    await harness().db.exec(`
      begin;
      update public.rt_twice set note = 'same' where id = 1;
      update public.rt_twice set note = 'same' where id = 1;
      insert into public.rt_twice values (2, 'after');
      commit;
    `)
    await waitFor(() => twice.changes.some((change) => change.eventType === 'INSERT'), 'the insert after')
    expect(twice.changes.map((change) => [change.eventType, change.new])).toEqual([
      ['UPDATE', { id: 1, note: 'same' }],
      ['UPDATE', { id: 1, note: 'same' }],
      ['INSERT', { id: 2, note: 'after' }],
    ])
  })
})
