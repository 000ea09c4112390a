-- Issue 20: relay_change_member_role and relay_remove_member asked the same questions
-- in the same order (is the actor an owner or admin, is the member there, may this
-- actor touch an owner, would the workspace lose its last owner). One function asks
-- them now, private.begin_member_action, so a rule changes in one place for both.
-- Behaviour, outcome words and grants are those of 20261201173700_members_admin.sql:
-- `create or replace` keeps each function's grants, and the checks keep their order.
--
-- * A removal is a change to no role (new_role null): every check that reads
--   new_role is then false, so it is skipped.
-- * 'unchanged' is among the answers because the change-role function checked it
--   between owners_only and last_owner: re-stating an owner's role as owner is not a
--   demotion, whoever is the last owner.

-- Why the actor may not give the member new_role (null: remove them), or null when
-- they may; then the actor is set for the transaction's audit rows. Locks the
-- workspace row first, as every member action does. The first refusal that applies
-- is the answer, in the order the relay's messages were written for.
create function private.begin_member_action(actor uuid, workspace uuid, member uuid, new_role text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor_role text := private.locked_role(workspace, actor);
  member_role text := (select m.role from public.workspace_members m
                        where m.workspace_id = workspace and m.user_id = member);
  refusal text := case
    when coalesce(actor_role, '') not in ('owner', 'admin') then 'not_admin'
    when member_role is null then 'no_such_member'
    when actor_role <> 'owner' and (member_role = 'owner' or new_role = 'owner') then 'owners_only'
    when member_role = new_role then 'unchanged'
    when member_role = 'owner' and not exists (
      select 1 from public.workspace_members m
       where m.workspace_id = workspace and m.role = 'owner' and m.user_id <> member
    ) then 'last_owner'
  end;
begin
  if refusal is null then
    perform set_config('app.actor_id', actor::text, true);
  end if;
  return refusal;
end;
$$;
revoke all on function private.begin_member_action(uuid, uuid, uuid, text) from public;

create or replace function public.relay_change_member_role(actor uuid, workspace uuid, member uuid, role text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  refusal text := private.begin_member_action(actor, workspace, member, role);
begin
  if refusal is null then
    update public.workspace_members m set role = relay_change_member_role.role
     where m.workspace_id = workspace and m.user_id = member;
  end if;
  return coalesce(refusal, 'done');
end;
$$;

create or replace function public.relay_remove_member(actor uuid, workspace uuid, member uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  refusal text := private.begin_member_action(actor, workspace, member, null);
begin
  if refusal is null then
    delete from public.workspace_members m where m.workspace_id = workspace and m.user_id = member;
  end if;
  return coalesce(refusal, 'done');
end;
$$;
