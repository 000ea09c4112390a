import type { PGlite } from '@electric-sql/pglite'

/**
 * A workspace with years of customers: `count` conversations, each with its latest
 * message, as the server would hold them after the triggers ran. Written with
 * triggers off (session_replication_role = replica): the rows are set up in their
 * final state, and realtime capture of the setup would only slow it down.
 * Each contact was last updated when its latest message came, as the trigger leaves it.
 * Every third conversation is unread (1 or 2 messages); the newest is `Bulk customer 1`.
 * The tables are then analyzed, as autovacuum (here autovacuum.ts) would have long
 * before anyone signs in to years of history.
 */
export async function seedLargeWorkspace(
  db: Pick<PGlite, 'transaction' | 'exec'>,
  workspaceId: string,
  count: number,
): Promise<{ unread: number }> {
  await db.transaction(async (tx) => {
    await tx.query(`set local session_replication_role = replica`)
    await tx.query(
      `insert into public.contacts (workspace_id, phone_number, name, conversation_status, last_message_at, last_message_preview, unread_count, updated_at)
       select $1, '+1444' || lpad(i::text, 7, '0'), 'Bulk customer ' || i, (array['Open','Pending','Done'])[1 + i % 3],
              at, 'Latest message ' || i, case when i % 3 = 0 then 1 + i % 2 else 0 end, at
         from generate_series(1, $2::int) as i,
              lateral (select now() - make_interval(secs => 60 + i * 10) as at) as activity`,
      [workspaceId, count],
    )
    await tx.query(
      `insert into public.messages (workspace_id, contact_id, content, direction, status, created_at, updated_at)
       select c.workspace_id, c.id, c.last_message_preview, 'inbound', 'delivered', c.last_message_at, c.last_message_at
         from public.contacts c
        where c.workspace_id = $1 and c.phone_number like '+1444%'`,
      [workspaceId],
    )
  })
  await db.exec('analyze public.contacts, public.messages')
  let unread = 0
  for (let i = 3; i <= count; i += 3) unread += 1 + (i % 2)
  return { unread }
}
