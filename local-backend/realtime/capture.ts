import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'
import { tableKey } from './subscriptions.ts'

/** The NOTIFY channel on which each captured change travels. */
const captureChannel = 'realtime_capture'
/** The NOTIFY channel that says DDL committed, so facts read from the catalog are stale. */
const catalogChannel = 'realtime_catalog'
const deliverBatch = 2000
/**
 * NOTIFY refuses payloads of 8000 bytes or more; a change that would not fit is
 * stored in a table and only its id travels.
 */
const maxInlineBytes = 7900

/**
 * Change capture inside the database, so that a row written by REST, the relay or
 * raw SQL is broadcast alike. Row triggers on every table of the
 * `supabase_realtime` publication send the change (the new row, the old one, the
 * transaction's timestamp) as the payload of a NOTIFY, which Postgres hands over
 * at commit, in commit order, and drops on rollback: the write path writes no row
 * of its own, which cost a message insert (and the conversation bump it fires) a
 * fifth of its time. A change too large for a payload is stored in a table until
 * delivery reads it. Each change carries a number of its own, so that two equal
 * changes in one transaction are not folded into one, as NOTIFY folds equal
 * payloads. The rows travel as json, printed straight from the row (as jsonb each
 * was built, its keys sorted and then printed). An event trigger keeps the triggers
 * in step with the publication when a migration adds or drops a table.
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
create sequence if not exists realtime.change_numbers;

create or replace function realtime.capture_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  change_number bigint := nextval('realtime.change_numbers');
  committed text := to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  record json := case when tg_op <> 'DELETE' then to_json(new) end;
  old_record json := case when tg_op <> 'INSERT' then to_json(old) end;
  payload text := json_build_array(change_number, tg_table_schema, tg_table_name, tg_op, committed, record, old_record)::text;
begin
  if octet_length(payload) >= ${maxInlineBytes} then
    insert into realtime.captured_changes (id, schema_name, table_name, action, record, old_record)
      overriding system value
      values (change_number, tg_table_schema, tg_table_name, tg_op, record::jsonb, old_record::jsonb);
    payload := json_build_array(change_number, tg_table_schema, tg_table_name, tg_op, committed)::text;
  end if;
  perform pg_notify('${captureChannel}', payload);
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

-- Delivery keeps each table's columns, key, RLS flag and grants until DDL changes them.
create or replace function realtime.on_catalog_change()
returns event_trigger
language plpgsql
as $$
begin
  perform pg_notify('${catalogChannel}', '');
end;
$$;

drop event trigger if exists realtime_catalog_changed;
create event trigger realtime_catalog_changed on ddl_command_end
  execute function realtime.on_catalog_change();

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

type Row = Record<string, unknown> | null

/** A NOTIFY payload: the change, or (stored) without its rows. */
type Notified =
  | [number, string, string, CapturedChange['action'], string, Row, Row]
  | [number, string, string, CapturedChange['action'], string]

function changeOf(payload: string): { change: CapturedChange; stored: boolean } {
  const [id, schema, table, action, commitTimestamp, record, oldRecord] = JSON.parse(payload) as Notified
  return {
    change: {
      id,
      schema,
      table,
      action,
      commitTimestamp,
      record: record ?? null,
      oldRecord: oldRecord ?? null,
    },
    stored: record === undefined,
  }
}

/** Reads the stored rows of `changes` into them, deleting them in the same statement. */
async function readStored(db: PGlite, changes: CapturedChange[]): Promise<void> {
  const result = await db.query<{ id: number; record: Row; old_record: Row }>(
    `delete from realtime.captured_changes where id = any($1::bigint[])
     returning id::float8 as id, record, old_record`,
    [changes.map((change) => change.id)],
  )
  const rows = new Map(result.rows.map((row) => [row.id, row]))
  for (const change of changes) {
    change.record = rows.get(change.id)?.record ?? null
    change.oldRecord = rows.get(change.id)?.old_record ?? null
  }
}

/** Where captured changes go: the tables someone listens to, and the delivery of a batch. */
export interface ChangeSink {
  subscribedTables(): string[]
  deliver(changes: CapturedChange[]): Promise<void>
  /** DDL committed: before any change committed after it is delivered. */
  catalogChanged(): void
}

export interface ChangeFeed {
  /** Stops listening; changes captured from then on are dropped when capture is next installed. */
  stop(): Promise<void>
  /** Resolves once the changes notified so far, if any, have been handed over. */
  drained(): Promise<void>
}

/**
 * Hands captured changes to `sink` in capture order, as their NOTIFYs arrive: one
 * batch at a time, with whatever arrived meanwhile in the next. Changes of tables
 * nobody listens to are dropped (their stored rows too).
 */
export async function followChanges(db: PGlite, sink: ChangeSink, logger: Logger): Promise<ChangeFeed> {
  let stopped = false
  let delivering: Promise<void> | undefined
  const queue: string[] = []
  const deliverAll = async () => {
    while (queue.length > 0 && !stopped) {
      const tables = new Set(sink.subscribedTables())
      const changes: CapturedChange[] = []
      const stored: CapturedChange[] = []
      for (const payload of queue.splice(0, deliverBatch)) {
        const notified = changeOf(payload)
        if (notified.stored) stored.push(notified.change)
        if (tables.has(tableKey(notified.change.schema, notified.change.table))) changes.push(notified.change)
      }
      if (stored.length > 0) await readStored(db, stored)
      await sink.deliver(changes)
    }
  }
  const start = () => {
    // PGlite queues one microtask per notification of a statement: starting in a
    // microtask of our own lets all of them join the first batch.
    delivering ??= Promise.resolve()
      .then(deliverAll)
      .catch((error: unknown) => logger.error('realtime change delivery failed', { error }))
      .finally(() => {
        delivering = undefined
        if (queue.length > 0 && !stopped) start()
      })
  }
  const onNotify = (payload: string) => {
    if (stopped) return
    queue.push(payload)
    start()
  }
  const unlisten = await db.listen(captureChannel, onNotify)
  // Notifications reach listeners in commit order, each in a microtask queued before the
  // batch that a later change starts, so the catalog is forgotten before that batch reads it.
  const unlistenCatalog = await db.listen(catalogChannel, () => sink.catalogChanged())
  return {
    async stop() {
      stopped = true
      await unlisten()
      await unlistenCatalog()
    },
    drained: async () => {
      while (delivering) await delivering
    },
  }
}
