import { describe, expect, it } from 'vitest'
import type { Vsn } from './phoenix-messages.ts'
import { contentsOf, serviceRoleKey, harnessPerFile, subscribe, userToken, waitFor } from './test-support.ts'

const harness = harnessPerFile()
const demo = () => harness().demo

describe.each<Vsn>(['2.0.0', '1.0.0'])('postgres_changes with supabase-js (vsn %s)', (vsn) => {
  it("delivers an insert to the workspace's member with the full payload, and never to another workspace", async () => {
    const acme = await subscribe(await harness().connect(await userToken(demo().ben), vsn), 'acme-inbox', {
      event: '*',
      schema: 'public',
      table: 'messages',
    })
    const globex = await subscribe(
      await harness().connect(await userToken(demo().cleo), vsn),
      'globex-inbox',
      {
        event: '*',
        schema: 'public',
        table: 'messages',
      },
    )
    expect(acme.system).toContainEqual({
      extension: 'postgres_changes',
      status: 'ok',
      message: 'Subscribed to PostgreSQL',
      channel: 'acme-inbox',
    })

    const acmeText = `acme ${vsn} ${Date.now()}`
    const id = await harness().insertMessage(demo().acme, demo().contact('Maria Gonzalez'), acmeText)
    await waitFor(() => acme.changes.some((change) => change.new.id === id), 'the Acme insert')
    const change = acme.changes.find((candidate) => candidate.new.id === id)!
    expect(change).toMatchObject({
      schema: 'public',
      table: 'messages',
      eventType: 'INSERT',
      errors: null,
      old: {},
    })
    expect(change.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(change.new).toMatchObject({
      id,
      workspace_id: demo().acme,
      contact_id: demo().contact('Maria Gonzalez'),
      content: acmeText,
      direction: 'inbound',
      status: 'pending',
      created_by: null,
    })

    // A socket receives changes in commit order. So once a subscriber has a row
    // committed after another, it has received all of the earlier row it ever will:
    // each side's later row proves the other side's row was not leaked to it.
    const globexText = `globex ${vsn} ${Date.now()}`
    await harness().insertMessage(demo().globex, demo().contact('Helen Park'), globexText)
    await waitFor(() => contentsOf(globex).includes(globexText), 'the Globex insert')
    expect(contentsOf(globex)).toEqual([globexText])
    const acmeLaterText = `acme later ${vsn} ${Date.now()}`
    await harness().insertMessage(demo().acme, demo().contact('Maria Gonzalez'), acmeLaterText)
    await waitFor(() => contentsOf(acme).includes(acmeLaterText), 'the later Acme insert')
    expect(contentsOf(acme)).toEqual([acmeText, acmeLaterText])
  })
})

describe('postgres_changes semantics', () => {
  it('carries the old and the new row on UPDATE (replica identity full)', async () => {
    const acme = await subscribe(await harness().connect(await userToken(demo().ava)), 'acme-updates', {
      event: 'UPDATE',
      schema: 'public',
      table: 'messages',
    })
    const id = await harness().insertMessage(demo().acme, demo().contact("James O'Connor"), 'to be sent')
    await harness().db.query(
      `update public.messages set status = 'sent', twilio_sid = 'SM' || md5($1::text) where id = $1`,
      [id],
    )
    await waitFor(() => acme.changes.some((change) => change.new.id === id), 'the update')
    const change = acme.changes.find((candidate) => candidate.new.id === id)!
    expect(change.eventType).toBe('UPDATE')
    expect(change.old).toMatchObject({ id, status: 'pending', twilio_sid: null, content: 'to be sent' })
    expect(change.new).toMatchObject({ id, status: 'sent', content: 'to be sent' })
    // The binding asked for UPDATE only: the insert before it was not delivered.
    expect(acme.changes.every((candidate) => candidate.eventType === 'UPDATE')).toBe(true)
  })

  it('applies a workspace_id=eq filter, for a service-role subscriber that RLS does not restrict', async () => {
    const filtered = await subscribe(await harness().connect(serviceRoleKey), 'filtered', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter: `workspace_id=eq.${demo().acme}`,
    })
    const everything = await subscribe(await harness().connect(serviceRoleKey), 'everything', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
    })
    const globexText = `filtered out ${Date.now()}`
    const acmeText = `filtered in ${Date.now()}`
    await harness().insertMessage(demo().globex, demo().contact('Robert Silva'), globexText)
    await harness().insertMessage(demo().acme, demo().contact('Priya Raman'), acmeText)
    await waitFor(() => contentsOf(filtered).includes(acmeText), 'the filtered insert')
    await waitFor(() => contentsOf(everything).includes(globexText), 'the unfiltered insert')
    // The Globex row was committed first: had the filter let it through, it would be here already.
    expect(contentsOf(filtered)).toEqual([acmeText])
  })

  it("checks one batch under RLS for each subscriber's own claims, however roles interleave", async () => {
    // Subscribed with roles interleaved: the checks of one role share a role switch
    // and change only the claims, which must still decide per subscriber.
    const binding = { event: 'INSERT', schema: 'public', table: 'messages' } as const
    const ben = await subscribe(await harness().connect(await userToken(demo().ben)), 'batch-ben', binding)
    const service = await subscribe(await harness().connect(serviceRoleKey), 'batch-service', binding)
    const cleo = await subscribe(await harness().connect(await userToken(demo().cleo)), 'batch-cleo', binding)
    const ava = await subscribe(await harness().connect(await userToken(demo().ava)), 'batch-ava', binding)
    const prefix = `batch ${Date.now()}`
    const insertRows = (count: number, label: string) =>
      harness().db.query(
        `insert into public.messages (workspace_id, contact_id, content, direction)
         select case when g % 3 = 0 then $1::uuid else $2::uuid end,
                case when g % 3 = 0 then $3::uuid else $4::uuid end,
                $5 || ' ' || case when g % 3 = 0 then 'globex' else 'acme' end || ' ' || g, 'inbound'
           from generate_series(1, $6::int) g`,
        [
          demo().globex,
          demo().acme,
          demo().contact('Helen Park'),
          demo().contact('Maria Gonzalez'),
          label,
          count,
        ],
      )
    // One commit, so one delivery batch: 20 Acme rows and 10 Globex rows, interleaved.
    await insertRows(30, prefix)
    // A later commit with a row of each workspace: once a subscriber has its own, it has
    // everything of the batch it will ever get (changes reach a socket in commit order).
    await insertRows(3, `${prefix} end`)
    const ends = (subscription: typeof ben) =>
      contentsOf(subscription).filter((content) => String(content).startsWith(`${prefix} end`)).length
    await waitFor(() => ends(ben) === 2 && ends(ava) === 2, 'the Acme agents')
    await waitFor(() => ends(cleo) === 1, 'the Globex agent')
    await waitFor(() => ends(service) === 3, 'the service role')
    const counts = (subscription: typeof ben) => {
      const batch = contentsOf(subscription)
        .map(String)
        .filter((content) => content.startsWith(`${prefix} `) && !content.startsWith(`${prefix} end`))
      return {
        acme: batch.filter((content) => content.includes(' acme ')).length,
        globex: batch.filter((content) => content.includes(' globex ')).length,
      }
    }
    const seen = { ben: counts(ben), ava: counts(ava), cleo: counts(cleo), service: counts(service) }
    console.log('batch rows seen (acme, globex):', JSON.stringify(seen))
    expect(seen).toEqual({
      ben: { acme: 20, globex: 0 },
      ava: { acme: 20, globex: 0 },
      cleo: { acme: 0, globex: 10 },
      service: { acme: 20, globex: 10 },
    })
  })

  it('sends only the primary key of a deleted row under RLS, as hosted Realtime does', async () => {
    const acme = await subscribe(await harness().connect(await userToken(demo().ben)), 'acme-deletes', {
      event: 'DELETE',
      schema: 'public',
      table: 'messages',
      filter: `workspace_id=eq.${demo().acme}`,
    })
    const id = await harness().insertMessage(demo().acme, demo().contact('Tom Becker'), 'to be deleted')
    await harness().db.query('delete from public.messages where id = $1', [id])
    await waitFor(() => acme.changes.some((change) => change.old.id === id), 'the delete')
    const change = acme.changes.find((candidate) => candidate.old.id === id)!
    expect(change).toMatchObject({ eventType: 'DELETE', new: {}, old: { id } })
    expect(Object.keys(change.old)).toEqual(['id'])
  })

  it('stops sending a revoked column with the very next change: DDL refreshes what delivery knows of the table', async () => {
    await harness().db.exec(`
      create table public.rt_columns (id int primary key, shown text, secret text);
      grant select on public.rt_columns to authenticated;
      alter publication supabase_realtime add table public.rt_columns;
    `)
    const columns = await subscribe(await harness().connect(await userToken(demo().ben)), 'columns', {
      event: 'INSERT',
      schema: 'public',
      table: 'rt_columns',
    })
    await harness().db.query(`insert into public.rt_columns values (1, 'a', 'before')`)
    await waitFor(() => columns.changes.some((change) => change.new.id === 1), 'the first row')
    await harness().db.exec(`
      revoke select on public.rt_columns from authenticated;
      grant select (id, shown) on public.rt_columns to authenticated;
    `)
    await harness().db.query(`insert into public.rt_columns values (2, 'b', 'after')`)
    await waitFor(() => columns.changes.some((change) => change.new.id === 2), 'the second row')
    expect(columns.changes.map((change) => change.new)).toEqual([
      { id: 1, shown: 'a', secret: 'before' },
      { id: 2, shown: 'b' },
    ])
  })

  it('hides only the rows whose policy raises, and says so in the log', async () => {
    await harness().db.exec(`
      create table public.rt_probe (id int primary key, note text);
      alter table public.rt_probe enable row level security;
      grant select on public.rt_probe to authenticated;
      create function public.rt_probe_check(note text) returns boolean language plpgsql as $fn$
      begin
        if note = 'boom' then raise exception 'policy failure'; end if;
        return note <> 'secret';
      end $fn$;
      create policy rt_probe_read on public.rt_probe for select to authenticated using (public.rt_probe_check(note));
      alter publication supabase_realtime add table public.rt_probe;
    `)
    const probe = await subscribe(await harness().connect(await userToken(demo().ben)), 'probe', {
      event: 'INSERT',
      schema: 'public',
      table: 'rt_probe',
    })
    // One commit, so the rows are checked in one batch; a later row closes the batch's deliveries.
    await harness().db.query(
      `insert into public.rt_probe values (1, 'boom'), (2, 'secret'), (3, 'fine'), (4, 'also fine')`,
    )
    await harness().db.query(`insert into public.rt_probe values (5, 'last')`)
    await waitFor(() => probe.changes.some((change) => change.new.id === 5), 'the last row')
    expect(probe.changes.map((change) => change.new.id)).toEqual([3, 4, 5])
    expect(harness().logLines.some((line) => line.includes('realtime rls check failed'))).toBe(true)
  })
})
