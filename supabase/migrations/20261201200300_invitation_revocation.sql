-- Issue 20: owners and admins see their workspace's pending invitations (the select
-- policy of 20261201173700_members_admin.sql already gives them, and only them, the
-- rows) and revoke one through the relay. The seed schema is silent on this; the
-- decisions are here.
--
-- * Revoking deletes the invitation: accept_invitations() turns only the invitations
--   it finds into memberships, so a revoked one is not accepted at sign-in, even when
--   the invitee follows the link already emailed (the account exists; it just joins
--   nothing). The auth account itself stays: it may belong to another workspace.
-- * The same rule as inviting: an owner or admin of the workspace, decided under the
--   workspace's lock (private.locked_role). An invitation of another workspace is
--   answered as missing, not as forbidden, so its id reveals nothing.
-- * The trail records it as member.invitation_revoked with the email and role, as
--   member.invited records them: there is no member to name yet.

alter table public.audit_events drop constraint audit_events_action_check;
alter table public.audit_events add constraint audit_events_action_check check (action in (
  'member.invited', 'member.added', 'member.role_changed', 'member.removed',
  'twilio.config_changed', 'number.added', 'number.changed', 'number.removed',
  'conversation.assigned', 'contact.renamed', 'number.webhook_configured', 'twilio.connection_refused',
  'member.invitation_revoked'
));

-- 'done', or why not ('not_admin', 'no_such_invitation'), as the other member actions answer.
create function public.relay_revoke_invitation(actor uuid, workspace uuid, invitation uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  revoked public.workspace_invitations;
begin
  if coalesce(private.locked_role(workspace, actor), '') not in ('owner', 'admin') then
    return 'not_admin';
  end if;
  delete from public.workspace_invitations i where i.id = invitation and i.workspace_id = workspace
  returning * into revoked;
  if revoked.id is null then
    return 'no_such_invitation';
  end if;
  perform set_config('app.actor_id', actor::text, true);
  perform private.audit(workspace, 'member.invitation_revoked', null,
                        jsonb_build_object('email', revoked.email, 'role', revoked.role));
  return 'done';
end;
$$;
revoke all on function public.relay_revoke_invitation(uuid, uuid, uuid) from public, anon, authenticated;
grant execute on function public.relay_revoke_invitation(uuid, uuid, uuid) to service_role;
