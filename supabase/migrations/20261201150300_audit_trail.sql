-- Issue 20: who did what to a workspace, and when. The seed schema has no audit
-- table; this one is decided here.
--
-- * Append-only for every role, as conversation_assignments is: RLS gives no one an
--   update or delete, and a trigger refuses them to the service role and the
--   migration owner too. The one delete let through is the cascade from a deleted
--   workspace (its trail goes with it: nothing would be left to audit).
-- * Rows are written by triggers on the audited tables (security definer, so the
--   caller needs no insert right) and by the relay with the service role for what
--   happens outside the database (an invitation sent, Twilio credentials checked).
-- * actor_id is auth.uid() of the change: NULL when the relay or a migration acted.
-- * details never carries a secret: a Twilio configuration change names the
--   columns that changed, never their values.
-- * Owners and admins read their workspace's trail; agents do not.

create table public.audit_events (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  actor_id uuid references auth.users(id) on delete set null,
  action text not null check (action in (
    'member.invited', 'member.added', 'member.role_changed', 'member.removed',
    'twilio.config_changed', 'number.added', 'number.changed', 'number.removed',
    'conversation.assigned'
  )),
  -- The member, number or conversation the action is about.
  subject_id uuid,
  details jsonb not null default '{}'::jsonb,
  -- clock_timestamp(): several changes in one transaction keep their order.
  created_at timestamptz not null default clock_timestamp()
);
-- The admin screen reads a workspace's trail newest first.
create index audit_events_workspace_created_idx on public.audit_events(workspace_id, created_at desc);

alter table public.audit_events enable row level security;
create policy "Owners and admins read their workspace's audit trail" on public.audit_events
  for select to authenticated using (workspace_id in (select private.admin_workspace_ids()));
create policy "Only triggers and the relay write the audit trail" on public.audit_events
  for insert to authenticated with check (false);
create policy "The audit trail is never changed" on public.audit_events
  for update to authenticated using (false);
create policy "The audit trail is never deleted" on public.audit_events
  for delete to authenticated using (false);
revoke all on public.audit_events from anon;
revoke insert, update, delete, truncate on public.audit_events from authenticated;
revoke update, delete, truncate on public.audit_events from service_role;

create function private.refuse_audit_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.workspaces w where w.id = old.workspace_id) then
    return old;
  end if;
  raise exception 'audit_events is append-only: the trail records what happened and cannot be edited'
    using errcode = '42501';
end;
$$;
create trigger audit_events_append_only before update or delete on public.audit_events
  for each row execute function private.refuse_audit_change();
create trigger audit_events_no_truncate before truncate on public.audit_events
  for each statement execute function private.refuse_audit_change();

create function private.audit(workspace uuid, action text, subject uuid, details jsonb)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.audit_events (workspace_id, actor_id, action, subject_id, details)
  values (workspace, auth.uid(), action, subject, details);
$$;

create function private.audit_membership()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.workspace_id, 'member.added', new.user_id, jsonb_build_object('role', new.role));
  elsif tg_op = 'UPDATE' then
    perform private.audit(new.workspace_id, 'member.role_changed', new.user_id,
      jsonb_build_object('from', old.role, 'to', new.role));
  -- A membership removed by its workspace's deletion leaves no trail to write to.
  elsif exists (select 1 from public.workspaces w where w.id = old.workspace_id) then
    perform private.audit(old.workspace_id, 'member.removed', old.user_id, jsonb_build_object('role', old.role));
  end if;
  return null;
end;
$$;
create trigger workspace_members_audit after insert or delete on public.workspace_members
  for each row execute function private.audit_membership();
create trigger workspace_members_audit_role after update of role on public.workspace_members
  for each row when (new.role is distinct from old.role) execute function private.audit_membership();

create function private.audit_twilio_config()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed text[];
begin
  if tg_op = 'DELETE' then
    if exists (select 1 from public.workspaces w where w.id = old.workspace_id) then
      perform private.audit(old.workspace_id, 'twilio.config_changed', null, '{"removed": true}'::jsonb);
    end if;
    return null;
  end if;
  -- Names of the columns that changed, never their values: auth_token is a secret.
  select coalesce(array_agg(key order by key), '{}') into changed
    from jsonb_each(to_jsonb(new)) n
   where key not in ('id', 'created_at', 'updated_at')
     and (tg_op = 'INSERT' or n.value is distinct from to_jsonb(old) -> key);
  if cardinality(changed) > 0 then
    perform private.audit(new.workspace_id, 'twilio.config_changed', null, jsonb_build_object('columns', changed));
  end if;
  return null;
end;
$$;
create trigger workspace_twilio_config_audit after insert or update or delete on public.workspace_twilio_config
  for each row execute function private.audit_twilio_config();

create function private.audit_number()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.workspace_id, 'number.added', new.id, jsonb_build_object('phone_number', new.phone_number));
  elsif tg_op = 'UPDATE' then
    perform private.audit(new.workspace_id, 'number.changed', new.id, jsonb_build_object('phone_number', new.phone_number));
  elsif exists (select 1 from public.workspaces w where w.id = old.workspace_id) then
    perform private.audit(old.workspace_id, 'number.removed', old.id, jsonb_build_object('phone_number', old.phone_number));
  end if;
  return null;
end;
$$;
create trigger twilio_numbers_audit after insert or update or delete on public.twilio_numbers
  for each row execute function private.audit_number();

-- conversation_assignments is itself the assignment history; the trail repeats each
-- entry so an admin reads every kind of change in one place.
create function private.audit_assignment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.audit(new.workspace_id, 'conversation.assigned', new.contact_id,
    jsonb_build_object('assignee_id', new.assignee_id));
  return null;
end;
$$;
create trigger conversation_assignments_audit after insert on public.conversation_assignments
  for each row execute function private.audit_assignment();

revoke all on function private.audit(uuid, text, uuid, jsonb) from public;
revoke all on function private.refuse_audit_change(), private.audit_membership(), private.audit_twilio_config(),
  private.audit_number(), private.audit_assignment() from public;
