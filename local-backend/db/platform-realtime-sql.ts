/**
 * Realtime's own objects in the project database, as every Supabase project has
 * them: realtime.messages (on which a project's RLS policies authorise private
 * channels), realtime.topic() for those policies, and realtime.send() to broadcast
 * from SQL. Shapes and grants follow Supabase Realtime's tenant migrations; hosted
 * partitions the table by day, which a single embedded database does not need.
 */
export const realtimePlatformSql = `
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
);
create index if not exists messages_inserted_at_topic_index
  on realtime.messages (inserted_at desc, topic) where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

-- The channel a policy is being asked about; Realtime sets it for each check.
create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;

-- Broadcast from SQL: the row is delivered to the topic's members once committed.
-- Runs as its caller, so an agent's call passes the same insert policy a client's
-- broadcast does; failures become warnings, as on hosted, so a trigger using it
-- never aborts the write that fired it.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid := gen_random_uuid();
begin
  begin
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (
      generated_id,
      case when payload ? 'id' then payload else jsonb_set(payload, '{id}', to_jsonb(generated_id)) end,
      event,
      topic,
      private,
      'broadcast'
    );
  exception when others then
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;
grant execute on function realtime.topic(), realtime.send(jsonb, text, text, boolean) to anon, authenticated, service_role;
`
