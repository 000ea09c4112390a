import type { SupabaseClient } from '@supabase/supabase-js'
import { describe, expect, it } from 'vitest'
import {
  anonKey,
  type Change,
  harnessPerFile,
  serviceRoleKey,
  subscribe,
  userToken,
  waitFor,
} from './test-support.ts'

const harness = harnessPerFile()
const demo = () => harness().demo

const deletesOf = (client: SupabaseClient, topic: string, table: string, filter?: string) =>
  subscribe(client, topic, { event: 'DELETE', schema: 'public', table, ...(filter ? { filter } : {}) })

describe('DELETE visibility (stricter than hosted Realtime)', () => {
  it('delivers a DELETE only to subscribers whose JWT could select the old row, whatever filters another workspace aims at it (hosted sends the key to every matching subscriber)', async () => {
    const messageText = `secret ${Date.now()}`
    const messageId = await harness().insertMessage(
      demo().acme,
      demo().contact('Lucía Fernández'),
      messageText,
    )
    const contact = await harness().db.query<{ id: string }>(
      `insert into public.contacts (workspace_id, phone_number, name) values ($1, '+15550009999', 'Secret Customer')
       returning id`,
      [demo().acme],
    )
    const contactId = contact.rows[0]!.id

    // Cleo, of Globex, aims every filter she can at the two Acme rows: each would
    // tell her whether the deleted row matched, were the filters judged for her.
    const attacker = await harness().connect(await userToken(demo().cleo))
    const probes = await Promise.all([
      deletesOf(attacker, 'probe-m-all', 'messages'),
      deletesOf(attacker, 'probe-m-eq', 'messages', `id=eq.${messageId}`),
      deletesOf(attacker, 'probe-m-lt', 'messages', 'created_at=lt.2999-01-01T00:00:00Z'),
      deletesOf(attacker, 'probe-m-in', 'messages', `content=in.(${messageText})`),
      deletesOf(attacker, 'probe-m-neq', 'messages', `workspace_id=neq.${demo().globex}`),
      deletesOf(attacker, 'probe-c-eq', 'contacts', `id=eq.${contactId}`),
      deletesOf(attacker, 'probe-c-lt', 'contacts', 'phone_number=lt.+19999999999'),
      deletesOf(attacker, 'probe-c-gte', 'contacts', 'name=gte.S'),
      deletesOf(attacker, 'probe-c-in', 'contacts', `workspace_id=in.(${demo().acme})`),
    ])
    // `like` is no operator of Realtime's: the binding is refused at join, so it never sees a row either.
    const like = await deletesOf(attacker, 'probe-m-like', 'messages', 'content=like.secret*')
    expect(like.system).toContainEqual(
      expect.objectContaining({ extension: 'postgres_changes', status: 'error' }),
    )
    const attackerSentinel = await deletesOf(
      attacker,
      'probe-sentinel',
      'messages',
      `workspace_id=eq.${demo().globex}`,
    )

    const member = await harness().connect(await userToken(demo().ben))
    const memberMessage = await deletesOf(member, 'acme-m-eq', 'messages', `id=eq.${messageId}`)
    const memberContact = await deletesOf(member, 'acme-c-eq', 'contacts', `id=eq.${contactId}`)
    const memberSentinel = await deletesOf(
      member,
      'acme-sentinel',
      'messages',
      `workspace_id=eq.${demo().acme}`,
    )

    const globexId = await harness().insertMessage(
      demo().globex,
      demo().contact('Grace Liu'),
      'globex sentinel',
    )
    const acmeLaterId = await harness().insertMessage(
      demo().acme,
      demo().contact('Lucía Fernández'),
      'acme sentinel',
    )
    await harness().db.query('delete from public.messages where id = $1', [messageId])
    await harness().db.query('delete from public.contacts where id = $1', [contactId])
    // Each socket receives changes in commit order: once a client has the delete
    // committed last, it has received everything of the two Acme deletes it ever will.
    await harness().db.query('delete from public.messages where id = $1', [globexId])
    await harness().db.query('delete from public.messages where id = $1', [acmeLaterId])
    await waitFor(() => memberMessage.changes.length > 0, 'the member’s message DELETE')
    await waitFor(() => attackerSentinel.changes.length > 0, 'the Globex delete')
    await waitFor(() => memberSentinel.changes.length > 0, 'the later Acme delete')

    const aboutAcme = (change: Change) => change.old.id === messageId || change.old.id === contactId
    const received = probes.map((probe) => probe.changes.filter(aboutAcme).length)
    console.log(`DELETE events an attacker in another workspace received: ${received.join(', ')}`)
    expect(received).toEqual(probes.map(() => 0))
    // The probes were live: the unfiltered one received Globex's own delete.
    expect(probes[0]!.changes.map((change) => change.old.id)).toEqual([globexId])
    expect(like.changes).toHaveLength(0)
    expect(attackerSentinel.changes.map((change) => change.old.id)).toEqual([globexId])
    expect(memberMessage.changes).toHaveLength(1)
    expect(memberMessage.changes[0]).toMatchObject({ eventType: 'DELETE', old: { id: messageId } })
    expect(memberContact.changes).toHaveLength(1)
    expect(memberContact.changes[0]).toMatchObject({ eventType: 'DELETE', old: { id: contactId } })
  })

  it('judges a deleted row by the select policies as Postgres does: permissive ORed, restrictive ANDed, raising hides only that row', async () => {
    await harness().db.exec(`
      create table public.rt_deleted (id int primary key, note text, level int);
      alter table public.rt_deleted replica identity full;
      alter table public.rt_deleted enable row level security;
      revoke all on public.rt_deleted from anon;
      grant select on public.rt_deleted to authenticated, service_role;
      create function public.rt_deleted_level_ok(level int) returns boolean language plpgsql as $fn$
      begin
        if level = 4 then raise exception 'policy failure'; end if;
        return level < 5;
      end $fn$;
      create policy rt_public on public.rt_deleted for select to authenticated using (note = 'public');
      create policy rt_own on public.rt_deleted for select to authenticated
        using (note = (select auth.jwt() ->> 'sub'));
      create policy rt_level on public.rt_deleted as restrictive for select to authenticated
        using (public.rt_deleted_level_ok(level));
      create policy rt_writes on public.rt_deleted for delete to authenticated using (true);
      alter publication supabase_realtime add table public.rt_deleted;
      insert into public.rt_deleted values
        (1, 'public', 1), (2, '${demo().ben}', 2), (3, 'private', 1), (4, 'public', 9), (5, 'public', 4), (6, 'public', 3);
    `)
    const ben = await deletesOf(
      await harness().connect(await userToken(demo().ben)),
      'ben-deleted',
      'rt_deleted',
    )
    const service = await deletesOf(await harness().connect(serviceRoleKey), 'service-deleted', 'rt_deleted')
    // anon may not select the table at all: an insert tells it so (as hosted), a delete not even that it happened.
    const anon = await subscribe(await harness().connect(anonKey), 'anon-deleted', {
      event: '*',
      schema: 'public',
      table: 'rt_deleted',
    })
    // One statement, so the rows are judged in one batch; the last row closes it for each socket.
    await harness().db.query('delete from public.rt_deleted where id < 6')
    await harness().db.query('delete from public.rt_deleted where id = 6')
    await harness().db.query(`insert into public.rt_deleted values (7, 'public', 1)`)
    await waitFor(() => ben.changes.some((change) => change.old.id === 6), 'the last delete (ben)')
    await waitFor(() => service.changes.some((change) => change.old.id === 6), 'the last delete (service)')
    expect(ben.changes.map((change) => change.old.id)).toEqual([1, 2, 6])
    expect(service.changes.map((change) => change.old.id)).toEqual([1, 2, 3, 4, 5, 6])
    await waitFor(() => anon.changes.length > 0, 'the insert (anon)')
    expect(anon.changes.map((change) => [change.eventType, change.errors])).toEqual([
      ['INSERT', ['Error 401: Unauthorized']],
    ])
    expect(harness().logLines.some((line) => line.includes('realtime rls check failed'))).toBe(true)
  })
})
