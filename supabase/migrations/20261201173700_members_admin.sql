-- Issue 20: members and roles managed from the app, through the relay. The seed
-- schema is silent on all of this; the decisions are here.
--
-- * Every change goes through the relay, which calls the relay_* functions below as
--   the service role with the caller's user id. Each function decides under a lock on
--   the workspace row, so two owners demoting each other at once cannot leave it
--   without an owner, and a role read for the check cannot change before the write.
-- * The rules: owners and admins manage members; only an owner makes, demotes or
--   removes an owner (as the RLS policies already say for direct writes); a
--   workspace always keeps one owner: the last one can be neither demoted nor
--   removed, by anyone, by any route (a trigger), so someone can always manage it.
--   Anyone may be invited as an admin or an agent, never straight in as an owner:
--   ownership goes to someone already in the workspace.
-- * An invitation waits in workspace_invitations under its email (lower case). The
--   invitee's first sign-in calls accept_invitations(), which turns each pending
--   invitation for the caller's confirmed email into a membership and deletes it; the
--   membership's own audit row says they joined. Keyed by email, not user id, because
--   an address that already has an account (someone in another workspace) is invited
--   the same way and joins at their next sign-in. Only a confirmed email counts: an
--   invite link confirms it, and an unconfirmed sign-up cannot claim someone's invitation.
-- * The audit trail names who acted: auth.uid() when a member acts under RLS, else
--   the actor the relay passes (app.actor_id, set for the transaction only).
-- * workspace_members is published to Realtime so a role change or a removal reaches
--   every member's app at once; members also see their own membership rows, so the
--   removed member's app is told of its removal (the DELETE passes RLS on the old row).

-- ------------------------------------------------------------ realtime and RLS

create policy "Members see their own memberships" on public.workspace_members
  for select to authenticated using (user_id = (select auth.uid()));

alter table public.workspace_members replica identity full;
alter publication supabase_realtime add table public.workspace_members;

-- ------------------------------------------------------------ one owner at least

create function private.keep_an_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.role <> 'owner' or (tg_op = 'UPDATE' and new.role = 'owner') then
    return coalesce(new, old);
  end if;
  -- A deleted workspace takes its members with it: there is nothing left to own.
  perform 1 from public.workspaces w where w.id = old.workspace_id for update;
  if not found then
    return coalesce(new, old);
  end if;
  if not exists (
    select 1 from public.workspace_members m
     where m.workspace_id = old.workspace_id and m.role = 'owner' and m.id <> old.id
  ) then
    raise exception 'A workspace keeps at least one owner: make another member owner first'
      using errcode = '23514';
  end if;
  return coalesce(new, old);
end;
$$;
create trigger workspace_members_keep_an_owner before update of role or delete on public.workspace_members
  for each row execute function private.keep_an_owner();

-- ------------------------------------------------------------ invitations

create table public.workspace_invitations (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  email text not null check (email = lower(email) and position('@' in email) > 1),
  role text not null check (role in ('admin', 'agent')),
  invited_by uuid references auth.users(id) on delete set null,
  created_at timestamptz not null default now(),
  constraint workspace_invitations_email_unique unique (workspace_id, email)
);
create index workspace_invitations_email_idx on public.workspace_invitations(email);

alter table public.workspace_invitations enable row level security;
revoke all on public.workspace_invitations from anon, authenticated;
grant select on public.workspace_invitations to authenticated;
grant select, insert, update, delete on public.workspace_invitations to service_role;
create policy "Owners and admins see their workspace's pending invitations" on public.workspace_invitations
  for select to authenticated using (workspace_id in (select private.admin_workspace_ids()));
create policy "Only the relay invites" on public.workspace_invitations
  for insert to authenticated with check (false);
create policy "Only the relay changes an invitation" on public.workspace_invitations
  for update to authenticated using (false);
create policy "Invitations end by being accepted or by the relay" on public.workspace_invitations
  for delete to authenticated using (false);

-- ------------------------------------------------------------ the audit's actor

create or replace function private.audit(workspace uuid, action text, subject uuid, details jsonb)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.audit_events (workspace_id, actor_id, action, subject_id, details)
  values (workspace, coalesce(auth.uid(), nullif(current_setting('app.actor_id', true), '')::uuid),
          action, subject, details);
$$;
revoke all on function private.audit(uuid, text, uuid, jsonb) from public;

-- ------------------------------------------------------------ the relay's member actions

-- The caller's role in the workspace once its row is locked: null when either is missing.
create function private.locked_role(workspace uuid, member uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform 1 from public.workspaces w where w.id = workspace for update;
  return (select m.role from public.workspace_members m where m.workspace_id = workspace and m.user_id = member);
end;
$$;

-- Each returns what happened: 'done', 'unchanged', or why not ('not_admin',
-- 'no_such_member', 'owners_only', 'last_owner', 'already_member'); the relay turns
-- each into a typed error.
create function public.relay_invite_member(actor uuid, workspace uuid, email text, role text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  address text := lower(btrim(email));
begin
  if coalesce(private.locked_role(workspace, actor), '') not in ('owner', 'admin') then
    return 'not_admin';
  end if;
  if role not in ('admin', 'agent') then
    return 'owners_only';
  end if;
  if exists (
    select 1 from public.workspace_members m join auth.users u on u.id = m.user_id
     where m.workspace_id = workspace and lower(u.email) = address
  ) then
    return 'already_member';
  end if;
  insert into public.workspace_invitations (workspace_id, email, role, invited_by)
  values (workspace, address, role, actor)
  on conflict on constraint workspace_invitations_email_unique
  do update set role = excluded.role, invited_by = excluded.invited_by, created_at = now();
  perform set_config('app.actor_id', actor::text, true);
  perform private.audit(workspace, 'member.invited', null, jsonb_build_object('email', address, 'role', role));
  return 'done';
end;
$$;

create function public.relay_change_member_role(actor uuid, workspace uuid, member uuid, role text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor_role text := private.locked_role(workspace, actor);
  member_role text := (select m.role from public.workspace_members m
                        where m.workspace_id = workspace and m.user_id = member);
begin
  if coalesce(actor_role, '') not in ('owner', 'admin') then
    return 'not_admin';
  end if;
  if member_role is null then
    return 'no_such_member';
  end if;
  if actor_role <> 'owner' and 'owner' in (member_role, role) then
    return 'owners_only';
  end if;
  if member_role = role then
    return 'unchanged';
  end if;
  if member_role = 'owner' and not exists (
    select 1 from public.workspace_members m
     where m.workspace_id = workspace and m.role = 'owner' and m.user_id <> member
  ) then
    return 'last_owner';
  end if;
  perform set_config('app.actor_id', actor::text, true);
  update public.workspace_members m set role = relay_change_member_role.role
   where m.workspace_id = workspace and m.user_id = member;
  return 'done';
end;
$$;

create function public.relay_remove_member(actor uuid, workspace uuid, member uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor_role text := private.locked_role(workspace, actor);
  member_role text := (select m.role from public.workspace_members m
                        where m.workspace_id = workspace and m.user_id = member);
begin
  if coalesce(actor_role, '') not in ('owner', 'admin') then
    return 'not_admin';
  end if;
  if member_role is null then
    return 'no_such_member';
  end if;
  if actor_role <> 'owner' and member_role = 'owner' then
    return 'owners_only';
  end if;
  if member_role = 'owner' and not exists (
    select 1 from public.workspace_members m
     where m.workspace_id = workspace and m.role = 'owner' and m.user_id <> member
  ) then
    return 'last_owner';
  end if;
  perform set_config('app.actor_id', actor::text, true);
  delete from public.workspace_members m where m.workspace_id = workspace and m.user_id = member;
  return 'done';
end;
$$;

revoke all on function private.keep_an_owner(), private.locked_role(uuid, uuid) from public;
revoke all on function public.relay_invite_member(uuid, uuid, text, text),
  public.relay_change_member_role(uuid, uuid, uuid, text), public.relay_remove_member(uuid, uuid, uuid)
  from public, anon, authenticated;
grant execute on function public.relay_invite_member(uuid, uuid, text, text),
  public.relay_change_member_role(uuid, uuid, uuid, text), public.relay_remove_member(uuid, uuid, uuid)
  to service_role;

-- ------------------------------------------------------------ accepting

-- The workspaces the caller joined now: every pending invitation for their confirmed email.
create function public.accept_invitations()
returns setof uuid
language sql
volatile
security definer
set search_path = ''
as $$
  with me as (
    select u.id, lower(u.email) as address from auth.users u
     where u.id = (select auth.uid()) and u.email_confirmed_at is not null
  ), taken as (
    delete from public.workspace_invitations i using me where i.email = me.address
    returning i.workspace_id, i.role
  ), joined as (
    insert into public.workspace_members (workspace_id, user_id, role)
    select t.workspace_id, (select id from me), t.role from taken t
    on conflict on constraint workspace_members_workspace_user_unique do nothing
    returning workspace_id
  )
  select workspace_id from joined;
$$;
revoke all on function public.accept_invitations() from public, anon;
grant execute on function public.accept_invitations() to authenticated;

-- ------------------------------------------------------------ reading the trail

-- The trail as the admin screen reads it, names in place of ids. A view (run as its
-- owner, so it may read profiles and accounts) that keeps only the caller's own
-- workspaces where they are an owner or admin, the same rows RLS gives them on
-- audit_events. A member's name is their profile's, else their account's (someone who
-- left has no profile any more); null for no one (the relay or a migration acted).
-- Paged newest first by (created_at, id).
create view public.audit_trail with (security_barrier) as
with accounts as (
  -- An account's name as private.default_display_name gives it (agents may not call it).
  select u.id, coalesce(nullif(left(btrim(u.raw_user_meta_data ->> 'full_name'), 80), ''),
                        nullif(left(split_part(u.email, '@', 1), 80), '')) as name
    from auth.users u
)
select e.id, e.workspace_id, e.action, e.created_at,
       actor.name as actor_name,
       coalesce(subject.name, c.name, c.phone_number) as subject_name,
       assignee.name as assignee_name,
       e.details
  from public.audit_events e
  cross join lateral (select
    case when e.action like 'member.%' then e.subject_id end as member_id,
    case when e.action = 'conversation.assigned' then (e.details ->> 'assignee_id')::uuid end as assignee_id) ids
  cross join lateral (select coalesce(
    (select p.display_name from public.member_profiles p where p.workspace_id = e.workspace_id and p.user_id = e.actor_id),
    (select a.name from accounts a where a.id = e.actor_id)) as name) actor
  cross join lateral (select coalesce(
    (select p.display_name from public.member_profiles p where p.workspace_id = e.workspace_id and p.user_id = ids.member_id),
    (select a.name from accounts a where a.id = ids.member_id)) as name) subject
  cross join lateral (select coalesce(
    (select p.display_name from public.member_profiles p where p.workspace_id = e.workspace_id and p.user_id = ids.assignee_id),
    (select a.name from accounts a where a.id = ids.assignee_id)) as name) assignee
  left join public.contacts c on c.id = e.subject_id and e.action in ('conversation.assigned', 'contact.renamed')
 where e.workspace_id in (select private.admin_workspace_ids());
revoke all on public.audit_trail from anon, authenticated;
grant select on public.audit_trail to authenticated;
