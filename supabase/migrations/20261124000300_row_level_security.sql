-- Who may see and change what. The seed's rule, membership through
-- workspace_members and auth.uid(), applies to every table; RLS is enabled on all
-- of them, and privileges are granted column by column where a role may change
-- only part of a row.
--
-- Performance (Supabase's RLS guide): policies call security-definer helpers inside
-- a sub-select, `workspace_id in (select private.member_workspace_ids())`, so the
-- membership lookup runs once per statement as an InitPlan and the planner can use
-- the workspace_id indexes. The helpers are security definer so that the policy on
-- workspace_members does not recurse into itself.
--
-- anon gets nothing: every table is for signed-in agents or the service role.
-- service_role bypasses RLS (as on every Supabase project) and is what the relay uses.

create or replace function private.member_workspace_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.workspace_id from public.workspace_members m where m.user_id = (select auth.uid());
$$;

create or replace function private.admin_workspace_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.workspace_id from public.workspace_members m
   where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin');
$$;

create or replace function private.owner_workspace_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.workspace_id from public.workspace_members m
   where m.user_id = (select auth.uid()) and m.role = 'owner';
$$;

revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
revoke all on all functions in schema private from public;
grant execute on function private.member_workspace_ids() to authenticated, service_role;
grant execute on function private.admin_workspace_ids() to authenticated, service_role;
grant execute on function private.owner_workspace_ids() to authenticated, service_role;
-- The status guard (a trigger, so it runs as whoever updates the message: the relay's
-- service_role) calls the rank function; without this grant every status callback
-- fails with "permission denied for function message_status_rank".
grant execute on function private.message_status_rank(text) to authenticated, service_role;

-- Start from nothing, then grant exactly what each role needs. (Supabase's default
-- privileges grant ALL on new public tables to anon and authenticated.)
revoke all on public.workspaces, public.workspace_members, public.contacts, public.messages,
  public.twilio_numbers, public.workspace_twilio_config from anon, authenticated;
grant all on public.workspaces, public.workspace_members, public.contacts, public.messages,
  public.twilio_numbers, public.workspace_twilio_config to service_role;

alter table public.workspaces enable row level security;
alter table public.workspace_members enable row level security;
alter table public.contacts enable row level security;
alter table public.messages enable row level security;
alter table public.twilio_numbers enable row level security;
alter table public.workspace_twilio_config enable row level security;

-- workspaces: members read; owners and admins rename; owners delete. Creating a
-- workspace is an onboarding step done with the service role (it must also create
-- the owner's membership in the same transaction).
grant select, delete on public.workspaces to authenticated;
grant update (name) on public.workspaces to authenticated;
create policy "Members can view their workspaces" on public.workspaces
  for select to authenticated using (id in (select private.member_workspace_ids()));
create policy "Nobody inserts workspaces directly" on public.workspaces
  for insert to authenticated with check (false);
create policy "Admins can rename their workspaces" on public.workspaces
  for update to authenticated
  using (id in (select private.admin_workspace_ids()))
  with check (id in (select private.admin_workspace_ids()));
create policy "Owners can delete their workspaces" on public.workspaces
  for delete to authenticated using (id in (select private.owner_workspace_ids()));

-- workspace_members: members see their colleagues; owners and admins manage members.
-- Only an owner may create, change or remove an owner's membership: otherwise an
-- admin could promote itself to owner and then delete the workspace.
grant select, insert, delete on public.workspace_members to authenticated;
grant update (role) on public.workspace_members to authenticated;
create policy "Members can view members of their workspaces" on public.workspace_members
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Admins can add members" on public.workspace_members
  for insert to authenticated with check (
    workspace_id in (select private.admin_workspace_ids())
    and (role <> 'owner' or workspace_id in (select private.owner_workspace_ids()))
  );
create policy "Admins can change roles" on public.workspace_members
  for update to authenticated
  using (
    workspace_id in (select private.admin_workspace_ids())
    and (role <> 'owner' or workspace_id in (select private.owner_workspace_ids()))
  )
  with check (
    workspace_id in (select private.admin_workspace_ids())
    and (role <> 'owner' or workspace_id in (select private.owner_workspace_ids()))
  );
create policy "Admins can remove members" on public.workspace_members
  for delete to authenticated using (
    workspace_id in (select private.admin_workspace_ids())
    and (role <> 'owner' or workspace_id in (select private.owner_workspace_ids()))
  );

-- contacts: members read, create and edit conversations. unread_count and the
-- activity columns are not granted: the trigger and the read-state RPCs own them.
grant select on public.contacts to authenticated;
grant insert (id, workspace_id, phone_number, name, email, conversation_status) on public.contacts to authenticated;
grant update (name, email, conversation_status) on public.contacts to authenticated;
grant delete on public.contacts to authenticated;
create policy "Members can view contacts of their workspaces" on public.contacts
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Members can add contacts to their workspaces" on public.contacts
  for insert to authenticated with check (workspace_id in (select private.member_workspace_ids()));
create policy "Members can update contacts of their workspaces" on public.contacts
  for update to authenticated
  using (workspace_id in (select private.member_workspace_ids()))
  with check (workspace_id in (select private.member_workspace_ids()));
create policy "Admins can delete contacts" on public.contacts
  for delete to authenticated using (workspace_id in (select private.admin_workspace_ids()));

-- messages: members read their workspaces' threads. Sending goes through the relay
-- (service role), which alone reaches Twilio; an agent may still insert an outbound
-- message in its own name (it stays pending until the relay sends it), never an
-- inbound one and never one claiming another author. Statuses come only from
-- Twilio through the relay, so agents update nothing. Admins may delete (e.g. to
-- honour a customer's erasure request).
grant select, delete on public.messages to authenticated;
grant insert (id, workspace_id, contact_id, content, message_type, direction, created_by)
  on public.messages to authenticated;
create policy "Users can view messages from their workspaces" on public.messages
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Members can insert outbound messages as themselves" on public.messages
  for insert to authenticated with check (
    workspace_id in (select private.member_workspace_ids())
    and direction = 'outbound'
    and created_by = (select auth.uid())
    and status = 'pending'
    and twilio_sid is null
  );
create policy "Only the relay updates messages" on public.messages
  for update to authenticated using (false);
create policy "Admins can delete messages" on public.messages
  for delete to authenticated using (workspace_id in (select private.admin_workspace_ids()));

-- twilio_numbers: not secret (number, name, capabilities); members read, admins manage.
grant select, insert, update, delete on public.twilio_numbers to authenticated;
create policy "Members can view their workspaces' numbers" on public.twilio_numbers
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Admins can add numbers" on public.twilio_numbers
  for insert to authenticated with check (workspace_id in (select private.admin_workspace_ids()));
create policy "Admins can update numbers" on public.twilio_numbers
  for update to authenticated
  using (workspace_id in (select private.admin_workspace_ids()))
  with check (workspace_id in (select private.admin_workspace_ids()));
create policy "Admins can remove numbers" on public.twilio_numbers
  for delete to authenticated using (workspace_id in (select private.admin_workspace_ids()));

-- workspace_twilio_config holds the Twilio account SID and auth token. No agent
-- role gets any privilege or policy on it: only the service role (the relay) reads
-- secrets. Agents learn whether they can send through workspace_sending_status().
create policy "Agents never touch Twilio credentials" on public.workspace_twilio_config
  for all to authenticated using (false) with check (false);

create or replace function public.workspace_sending_status()
returns table (workspace_id uuid, is_configured boolean, sending_number text)
language sql
stable
security definer
set search_path = ''
as $$
  select w.id,
         coalesce(c.is_configured, false) and n.phone_number is not null,
         n.phone_number::text
    from public.workspaces w
    left join public.workspace_twilio_config c on c.workspace_id = w.id
    left join lateral (
      select t.phone_number from public.twilio_numbers t
       where t.workspace_id = w.id order by t.created_at, t.id limit 1
    ) n on true
   where w.id in (select private.member_workspace_ids());
$$;

-- Read state. Opening a conversation zeroes its unread count; "mark as unread"
-- makes it at least one. Both only for members, and both raise 42501 for anything
-- else (including a contact that does not exist), so they reveal nothing.
create or replace function public.mark_conversation_read(contact_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.contacts c set unread_count = 0
   where c.id = mark_conversation_read.contact_id
     and c.workspace_id in (select private.member_workspace_ids());
  if not found then
    raise exception 'not a member of this conversation''s workspace' using errcode = '42501';
  end if;
end;
$$;

create or replace function public.mark_conversation_unread(contact_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.contacts c set unread_count = greatest(c.unread_count, 1)
   where c.id = mark_conversation_unread.contact_id
     and c.workspace_id in (select private.member_workspace_ids());
  if not found then
    raise exception 'not a member of this conversation''s workspace' using errcode = '42501';
  end if;
end;
$$;

revoke execute on function public.workspace_sending_status() from public, anon;
revoke execute on function public.mark_conversation_read(uuid) from public, anon;
revoke execute on function public.mark_conversation_unread(uuid) from public, anon;
grant execute on function public.workspace_sending_status() to authenticated, service_role;
grant execute on function public.mark_conversation_read(uuid) to authenticated, service_role;
grant execute on function public.mark_conversation_unread(uuid) to authenticated, service_role;
