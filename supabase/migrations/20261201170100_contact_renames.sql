-- Issue 19, part 2: the contact panel edits a contact's name, and every change is
-- recorded (who, when, old and new) and seen live by every agent.
--
-- Decisions the seed schema is silent on:
--
-- * The record is the workspace's audit trail (20261201150300_audit_trail.sql), not a
--   table of its own: it is already append-only for every role, names the actor
--   (auth.uid()) and keeps the order of changes, and owners and admins read every kind
--   of change there in one place. A rename adds action 'contact.renamed' with the
--   contact as subject and details {"from": old name, "to": new name}; NULL is "no name".
--   Written by a trigger in the same transaction as the rename, so no client can skip it.
-- * Only the name is editable from the app. The number is the conversation's identity:
--   the relay files each inbound text under the contact holding its From number, and
--   consent (STOP) is recorded per contact and sender. Changing it would file the
--   customer's old history and opt-outs under someone else's phone, and send replies
--   to a person who never wrote. A new number is a new conversation. Agents were never
--   granted update on phone_number (20261124000300_row_level_security.sql); that stays.
-- * A name is at most 100 characters and never blank (src/shared/rows/contacts.ts,
--   contactNameSchema, says the same to the app): the check stops any other client of
--   the API from storing what no screen can show. NULL stays allowed: the relay creates
--   contacts without a name from their first text.
-- * Live for every agent: contacts is already published for Realtime with REPLICA
--   IDENTITY FULL (20261124000400_realtime.sql), so the rename reaches each agent's
--   cache as the contacts UPDATE it already syncs. Nothing to add here.

alter table public.contacts add constraint contacts_name_check
  check (name is null or (char_length(name) <= 100 and btrim(name) <> ''));

alter table public.audit_events drop constraint audit_events_action_check;
alter table public.audit_events add constraint audit_events_action_check check (action in (
  'member.invited', 'member.added', 'member.role_changed', 'member.removed',
  'twilio.config_changed', 'number.added', 'number.changed', 'number.removed',
  'conversation.assigned', 'contact.renamed'
));

create function private.audit_contact_rename()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.audit(new.workspace_id, 'contact.renamed', new.id,
    jsonb_build_object('from', old.name, 'to', new.name));
  return null;
end;
$$;
create trigger contacts_audit_rename after update of name on public.contacts
  for each row when (new.name is distinct from old.name)
  execute function private.audit_contact_rename();

revoke all on function private.audit_contact_rename() from public;
