/** Runs a callback in one transaction: PGlite, or PostgreSQL 15 through transactorOf (postgres15.ts). */
export interface Transactor {
  transaction(
    run: (tx: { query(sql: string, params?: unknown[]): Promise<unknown> }) => Promise<void>,
  ): Promise<void>
}

export interface Volume {
  contacts: number
  messages: number
}

/**
 * Adds `contacts` conversations and `messages` messages (spread evenly over them,
 * one a minute, alternating direction) to a workspace of the embedded backend, so
 * a bench reads and writes a table of a real team's size rather than the seed's
 * two dozen rows. The rows go in as a replica (triggers off, as a restore does):
 * with them on, 2M per-row trigger updates would take longer than the bench. The
 * columns those triggers keep (last message, preview, unread count: one for a
 * conversation whose newest message is the customer's) are then set
 * in one statement, so the rows read as if they had arrived one by one.
 */
export async function addVolume(db: Transactor, workspaceId: string, volume: Volume): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`set local session_replication_role = replica`)
    await tx.query(
      `create temp table volume_contacts on commit drop as
         select i, ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid as id from generate_series(0, $1::int - 1) as i`,
      [volume.contacts],
    )
    await tx.query(
      `insert into public.contacts (id, workspace_id, phone_number, name, conversation_status, created_at)
       select id, $1, '+1555' || lpad((2000000 + i)::text, 7, '0'), 'Volume Customer ' || i,
              (array['Open', 'Pending', 'Done'])[1 + i % 3], now() - interval '1 year'
         from volume_contacts`,
      [workspaceId],
    )
    await tx.query(
      `insert into public.messages (id, workspace_id, contact_id, content, direction, status, created_at, updated_at)
       select ('00000000-0000-4000-9000-' || lpad(to_hex(m), 12, '0'))::uuid, $1, c.id,
              'Message ' || m || ' about order ' || (m % 9973) || ': refund, shipping or tracking question',
              case when m % 2 = 0 then 'inbound' else 'outbound' end, 'delivered',
              now() - make_interval(mins => $2::int - m), now() - make_interval(mins => $2::int - m)
         from generate_series(0, $2::int - 1) as m
         join volume_contacts c on c.i = m % $3::int`,
      [workspaceId, volume.messages, volume.contacts],
    )
    await tx.query(
      `update public.contacts c
          set last_message_at = latest.created_at,
              last_message_preview = left(latest.content, 140),
              unread_count = case when latest.direction = 'inbound' then 1 else 0 end
         from (select distinct on (m.contact_id) m.contact_id, m.created_at, m.content, m.direction
                 from public.messages m join volume_contacts v on v.id = m.contact_id
                order by m.contact_id, m.created_at desc) latest
        where c.id = latest.contact_id`,
    )
  })
}
