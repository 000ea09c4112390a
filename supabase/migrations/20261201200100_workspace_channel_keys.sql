-- Issue 20: a removed member stops hearing the workspace's private channel within
-- seconds, on hosted Supabase as here. The seed schema is silent on this; the
-- decisions are here.
--
-- * Realtime checks the policies on realtime.messages when a client joins a private
--   channel, and again only when that client sends a new access token. A removed
--   member whose app keeps its socket open and never refreshes its token would go on
--   hearing presence and broadcasts on `workspace:<id>` until the token expires.
--   Realtime offers no way to evict a joined client, so the channel moves instead.
-- * Each workspace has a channel key, and its private channel's topic is
--   `workspace:<workspace id>:<key>`; the policies admit a member only on the topic
--   that carries the current key. Removing a member rotates the key in the same
--   transaction, and the remaining members, told of the new key by Realtime (an UPDATE
--   of workspace_channel_keys, delivered under RLS, so only to current members), leave
--   the old topic and join the new one. The removed member is left alone on the old
--   topic, and is refused on the new one: they never learn its key, and the membership
--   check would refuse them even if they did.
-- * The key is not a secret from the workspace's members, only from everyone else:
--   members read it under RLS as they read the workspace. No client writes it; only
--   these triggers do (and the service role, which bypasses RLS).
-- * Only a membership that ends rotates the key, and a membership ends only by its
--   row being deleted: it cannot be handed to another user or workspace, as the
--   member's profile pins (workspace_id, user_id). A role change does not rotate it:
--   roles do not decide channel access. One rotation per workspace per statement, so
--   removing several members at once moves the team once.
-- * A malformed topic makes the policies false and never raises: the topic is chosen
--   by the client.

create table public.workspace_channel_keys (
  workspace_id uuid primary key references public.workspaces(id) on delete cascade,
  key uuid not null default gen_random_uuid(),
  rotated_at timestamptz not null default now()
);

alter table public.workspace_channel_keys enable row level security;
revoke all on public.workspace_channel_keys from anon, authenticated;
grant select on public.workspace_channel_keys to authenticated;
grant select, insert, update, delete on public.workspace_channel_keys to service_role;
create policy "Members read their workspace's channel key" on public.workspace_channel_keys
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Only a new workspace makes a channel key" on public.workspace_channel_keys
  for insert to authenticated with check (false);
create policy "Only a membership that ends rotates the channel key" on public.workspace_channel_keys
  for update to authenticated using (false);
create policy "A channel key goes with its workspace" on public.workspace_channel_keys
  for delete to authenticated using (false);

alter publication supabase_realtime add table public.workspace_channel_keys;

insert into public.workspace_channel_keys (workspace_id) select w.id from public.workspaces w;

-- ------------------------------------------------------------ a key for each new workspace

create function private.make_channel_key()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.workspace_channel_keys (workspace_id) values (new.id);
  return null;
end;
$$;
create trigger workspaces_make_channel_key after insert on public.workspaces
  for each row execute function private.make_channel_key();

-- ------------------------------------------------------------ rotation when a membership ends

create function private.rotate_channel_keys()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.workspace_channel_keys k set key = gen_random_uuid(), rotated_at = now()
   where k.workspace_id in (select e.workspace_id from ended e);
  return null;
end;
$$;
create trigger workspace_members_rotate_channel_key after delete on public.workspace_members
  referencing old table as ended
  for each statement execute function private.rotate_channel_keys();

revoke all on function private.make_channel_key(), private.rotate_channel_keys() from public;

-- ------------------------------------------------------------ the channel policies, keyed

drop policy "Members read their workspace's private channels" on realtime.messages;
drop policy "Members broadcast and track presence on their workspace's private channels" on realtime.messages;
drop function private.channel_workspace_id();

-- The workspace whose current channel the topic names, or null: for any other topic,
-- a malformed one, or an old key. Security definer, so the policies read the key
-- without going through its own RLS; membership is still checked by the policies.
-- Each cast sits behind the pattern in one CASE, so a malformed topic never reaches it.
create function private.current_channel_workspace_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select k.workspace_id
    from (select case when t.topic ~ '^workspace:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$'
                      then array[split_part(t.topic, ':', 2)::uuid, split_part(t.topic, ':', 3)::uuid] end as ids
            from (select realtime.topic() as topic) t) parsed
    join public.workspace_channel_keys k on k.workspace_id = parsed.ids[1] and k.key = parsed.ids[2];
$$;
revoke all on function private.current_channel_workspace_id() from public, anon;
grant execute on function private.current_channel_workspace_id() to authenticated, service_role;

create policy "Members read their workspace's current private channel" on realtime.messages
  for select to authenticated
  using (
    extension in ('broadcast', 'presence')
    and (select private.current_channel_workspace_id()) in (select private.member_workspace_ids())
  );

create policy "Members broadcast and track presence on their workspace's current private channel" on realtime.messages
  for insert to authenticated
  with check (
    extension in ('broadcast', 'presence')
    and (select private.current_channel_workspace_id()) in (select private.member_workspace_ids())
  );
