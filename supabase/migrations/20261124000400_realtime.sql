-- Realtime: the desktop subscribes to postgres_changes on messages and contacts.
-- REPLICA IDENTITY FULL makes UPDATE and DELETE events carry the old row (the client
-- shows a status moving from sent to delivered), and lets Realtime check RLS on the
-- old row's workspace_id. The publication exists on every Supabase project; it is
-- created here only where the platform did not (a bare Postgres).
alter table public.messages replica identity full;
alter table public.contacts replica identity full;

do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end;
$$;

alter publication supabase_realtime add table public.messages, public.contacts;
