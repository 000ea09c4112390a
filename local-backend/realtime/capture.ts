import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'

/** The NOTIFY channel on which each captured change announces its id. */
const captureChannel = 'realtime_capture'
const drainBatch = 2000

/**
 * Change capture inside the database, so that a row written by REST, the relay or
 * raw SQL is broadcast alike. Row triggers on every table of the
 * `supabase_realtime` publication copy the change into a table and NOTIFY its id
 * only: a row can be far larger than NOTIFY's 8000-byte payload limit. An event
 * trigger keeps the triggers in step with the publication when a migration adds
 * or drops a table.
 */
const installSql = `
create schema if not exists realtime;
revoke all on schema realtime from public;

create table if not exists realtime.captured_changes (
  id bigint generated always as identity primary key,
  schema_name text not null,
  table_name text not null,
  action text not null check (action in ('INSERT', 'UPDATE', 'DELETE')),
  record jsonb,
  old_record jsonb,
  -- One timestamp per transaction, as a commit timestamp is.
  committed_at timestamptz not null default now()
);

create or replace function realtime.capture_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  change_id bigint;
begin
  insert into realtime.captured_changes (schema_name, table_name, action, record, old_record)
  values (
    tg_table_schema,
    tg_table_name,
    tg_op,
    case when tg_op <> 'DELETE' then to_jsonb(new) end,
    case when tg_op <> 'INSERT' then to_jsonb(old) end
  )
  returning id into change_id;
  perform pg_notify('${captureChannel}', change_id::text);
  return null;
end;
$$;

create or replace function realtime.sync_capture_triggers()
returns void
language plpgsql
set search_path = ''
as $$
declare
  t record;
begin
  for t in
    select p.schemaname, p.tablename
      from pg_catalog.pg_publication_tables p
     where p.pubname = 'supabase_realtime'
       and not exists (
         select 1 from pg_catalog.pg_trigger tg
          where tg.tgrelid = format('%I.%I', p.schemaname, p.tablename)::regclass
            and tg.tgname = 'realtime_capture_change')
  loop
    execute format(
      'create trigger realtime_capture_change after insert or update or delete on %I.%I '
      'for each row execute function realtime.capture_change()',
      t.schemaname, t.tablename);
  end loop;
  for t in
    select n.nspname, c.relname
      from pg_catalog.pg_trigger tg
      join pg_catalog.pg_class c on c.oid = tg.tgrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where tg.tgname = 'realtime_capture_change'
       and not exists (
         select 1 from pg_catalog.pg_publication_tables p
          where p.pubname = 'supabase_realtime' and p.schemaname = n.nspname and p.tablename = c.relname)
  loop
    execute format('drop trigger realtime_capture_change on %I.%I', t.nspname, t.relname);
  end loop;
end;
$$;

create or replace function realtime.on_publication_change()
returns event_trigger
language plpgsql
as $$
begin
  perform realtime.sync_capture_triggers();
end;
$$;

drop event trigger if exists realtime_sync_capture_triggers;
create event trigger realtime_sync_capture_triggers on ddl_command_end
  when tag in ('CREATE PUBLICATION', 'ALTER PUBLICATION')
  execute function realtime.on_publication_change();

select realtime.sync_capture_triggers();
-- Changes captured while no server was listening have no subscriber left to receive them.
truncate realtime.captured_changes;
`

export async function installCapture(db: PGlite): Promise<void> {
  await db.exec(installSql)
}

export interface CapturedChange {
  id: number
  schema: string
  table: string
  action: 'INSERT' | 'UPDATE' | 'DELETE'
  record: Record<string, unknown> | null
  oldRecord: Record<string, unknown> | null
  commitTimestamp: string
}

/**
 * Takes up to `limit` captured changes, oldest first, deleting them in the same
 * statement. Rows of tables outside `tables` (`schema.table`; nobody listens) are
 * deleted without being read back.
 */
async function drainChanges(
  db: PGlite,
  limit: number,
  tables: string[],
): Promise<{ drained: number; changes: CapturedChange[] }> {
  const result = await db.query<{
    id: number
    schema_name: string
    table_name: string
    action: CapturedChange['action']
    record: Record<string, unknown> | null
    old_record: Record<string, unknown> | null
    commit_timestamp: string | null
    drained: number
  }>(
    `with drained as (
       delete from realtime.captured_changes
        where id in (select id from realtime.captured_changes order by id limit $1)
       returning id, schema_name, table_name, action, record, old_record, committed_at
     )
     select d.id::int as id, d.schema_name, d.table_name, d.action, d.record, d.old_record,
            to_char(d.committed_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as commit_timestamp,
            (select count(*)::int from drained) as drained
       from (select 1) one
       left join drained d on d.schema_name || '.' || d.table_name = any($2::text[])
      order by d.id`,
    [limit, tables],
  )
  const drained = result.rows[0]?.drained ?? 0
  const changes = result.rows
    .filter((row) => row.id !== null)
    .map((row) => ({
      id: row.id,
      schema: row.schema_name,
      table: row.table_name,
      action: row.action,
      record: row.record,
      oldRecord: row.old_record,
      commitTimestamp: row.commit_timestamp ?? '',
    }))
  return { drained, changes }
}

/** Where captured changes go: the tables someone listens to, and the delivery of a batch. */
export interface ChangeSink {
  subscribedTables(): string[]
  deliver(changes: CapturedChange[]): Promise<void>
}

export interface ChangeFeed {
  /** Stops listening; changes captured from then on are dropped when capture is next installed. */
  stop(): Promise<void>
  /** Resolves once the drain under way, if any, has handed over its changes. */
  drained(): Promise<void>
}

/**
 * Hands captured changes to `sink` in capture order, whenever a NOTIFY announces
 * some: one drain at a time, and one more after it if changes came in meanwhile.
 */
export async function followChanges(db: PGlite, sink: ChangeSink, logger: Logger): Promise<ChangeFeed> {
  let stopped = false
  let draining: Promise<void> | undefined
  let drainAgain = false
  const drainAll = async () => {
    do {
      drainAgain = false
      for (;;) {
        const { drained, changes } = await drainChanges(db, drainBatch, sink.subscribedTables())
        await sink.deliver(changes)
        if (drained < drainBatch) break
      }
    } while (drainAgain && !stopped)
  }
  const scheduleDrain = () => {
    if (stopped) return
    if (draining) {
      drainAgain = true
      return
    }
    draining = drainAll()
      .catch((error: unknown) => logger.error('realtime change delivery failed', { error }))
      .finally(() => {
        draining = undefined
      })
  }
  const unlisten = await db.listen(captureChannel, scheduleDrain)
  return {
    async stop() {
      stopped = true
      await unlisten()
    },
    drained: async () => draining,
  }
}
