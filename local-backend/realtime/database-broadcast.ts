import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'
import { deliverServerBroadcast } from './broadcast.ts'
import type { ChannelRegistry } from './channels.ts'

const notifyChannel = 'realtime_broadcast'
/** Hosted keeps broadcast rows for replay and drops each day's partition after a few days. */
const retentionSql = `delete from realtime.messages where inserted_at < now() - interval '3 days'`
const retentionEveryMs = 60 * 60_000

/**
 * Hosted Realtime reads committed inserts into realtime.messages from a replication
 * slot. PGlite has none, so a row trigger NOTIFYs the id (a payload can outgrow
 * NOTIFY's limit); NOTIFY is transactional, so a rolled-back insert (every policy
 * check is one) announces nothing. Rows without an event are policy checks, not
 * broadcasts.
 */
const installSql = `
create or replace function realtime.announce_broadcast()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_notify('${notifyChannel}', new.id::text);
  return null;
end;
$$;

drop trigger if exists realtime_announce_broadcast on realtime.messages;
create trigger realtime_announce_broadcast after insert on realtime.messages
  for each row when (new.extension = 'broadcast' and new.event is not null)
  execute function realtime.announce_broadcast();
`

interface BroadcastRow {
  id: string
  topic: string
  event: string
  private: boolean | null
  payload: unknown
}

export interface DatabaseBroadcasts {
  stop(): Promise<void>
}

/** Delivers each committed realtime.messages broadcast to its topic's members, in commit order. */
export async function followDatabaseBroadcasts(
  db: PGlite,
  channels: ChannelRegistry,
  logger: Logger,
): Promise<DatabaseBroadcasts> {
  await db.exec(installSql)
  await db.exec(retentionSql)
  let queue = Promise.resolve()
  const deliver = async (id: string) => {
    const { rows } = await db.query<BroadcastRow>(
      'select id::text, topic, event, private, payload from realtime.messages where id = $1::uuid',
      [id],
    )
    const row = rows[0]
    if (!row) return
    const isPrivate = row.private === true
    deliverServerBroadcast(channels.audience(`realtime:${row.topic}`, isPrivate, 'broadcast'), {
      event: row.event,
      payload: { json: row.payload },
      meta: { id: row.id },
      asUserBroadcast: true,
    })
  }
  const unlisten = await db.listen(notifyChannel, (id) => {
    queue = queue
      .then(() => deliver(id))
      .catch((error: unknown) => logger.error('realtime database broadcast failed', { error }))
  })
  const retention = setInterval(() => {
    db.exec(retentionSql).catch((error: unknown) =>
      logger.warn('realtime message retention failed', { error }),
    )
  }, retentionEveryMs)
  retention.unref()
  return {
    async stop() {
      clearInterval(retention)
      await unlisten()
      await queue
    },
  }
}
