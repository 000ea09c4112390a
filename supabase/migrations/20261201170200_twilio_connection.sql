-- Issue 20, parts 3 and 4: an admin connects the workspace's Twilio account and
-- imports its numbers from the app, through the relay. The seed schema is silent on
-- all of this; the decisions:
--
-- * workspace_twilio_config gains an API key (its SK… SID and secret). When one is
--   stored the relay calls Twilio's REST API with it, so the team can revoke it at
--   Twilio without touching the account's auth token. auth_token stays NOT NULL:
--   Twilio signs every webhook with the account's auth token, and the relay checks
--   each signature with it. Connecting with a key, the relay takes the auth token
--   from the Account resource Twilio answers the key's check with.
-- * The table stays the service role's alone: no privilege on any column to anon
--   or authenticated (20261124000300 revoked them all), and none is granted here.
--   The app learns the account SID and key SID (not secrets) from the relay, which
--   never answers with a secret.
-- * The relay acts for an admin, as the service role, so auth.uid() is NULL in its
--   statements and the audit triggers would record no actor. The relay_* functions
--   below take the admin's id (checked by the relay against workspace_members) and
--   set it as the statement's JWT subject for their own transaction only, so the
--   trail names who connected the account or imported the number.
-- * twilio_numbers still gets rows only from the service role (the relay's import,
--   after Twilio listed the number on the workspace's account; the seed too).
-- * Two audit actions are new: number.webhook_configured (the relay pointed a
--   number's SmsUrl and StatusCallback at itself through Twilio's API; details name
--   the URLs before and after, which are not secret) and twilio.connection_refused
--   (Twilio refused the credentials an admin entered; details name the account SID
--   and the refusal, never the secret).

alter table public.workspace_twilio_config
  add column api_key_sid text check (api_key_sid ~ '^SK[0-9a-fA-F]{32}$'),
  add column api_key_secret text,
  add constraint workspace_twilio_config_api_key_whole
    check ((api_key_sid is null) = (api_key_secret is null));

alter table public.audit_events drop constraint audit_events_action_check;
alter table public.audit_events add constraint audit_events_action_check check (action in (
  'member.invited', 'member.added', 'member.role_changed', 'member.removed',
  'twilio.config_changed', 'number.added', 'number.changed', 'number.removed',
  'conversation.assigned', 'contact.renamed', 'number.webhook_configured', 'twilio.connection_refused'
));

-- The admin the relay acts for, as auth.uid() answers it, until the transaction ends.
create function private.act_as(actor_id uuid)
returns void
language sql
set search_path = ''
as $$
  select set_config('request.jwt.claim.sub', actor_id::text, true);
$$;

create function public.relay_save_twilio_config(
  workspace_id uuid,
  actor_id uuid,
  account_sid text,
  auth_token text,
  api_key_sid text,
  api_key_secret text
)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.act_as(actor_id);
  insert into public.workspace_twilio_config as c
    (workspace_id, account_sid, auth_token, api_key_sid, api_key_secret, is_configured)
  values (workspace_id, account_sid, auth_token, api_key_sid, api_key_secret, true)
  on conflict on constraint workspace_twilio_config_workspace_id_key do update
    set account_sid = excluded.account_sid,
        auth_token = excluded.auth_token,
        api_key_sid = excluded.api_key_sid,
        api_key_secret = excluded.api_key_secret,
        is_configured = true;
end;
$$;

-- Null when the number is held already (by this workspace or another): the caller
-- tells the two apart by reading the row.
create function public.relay_import_number(
  workspace_id uuid,
  actor_id uuid,
  phone_number text,
  twilio_sid text,
  friendly_name text,
  capabilities jsonb,
  messaging_service_sid text
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  inserted uuid;
begin
  perform private.act_as(actor_id);
  insert into public.twilio_numbers
    (workspace_id, phone_number, twilio_sid, friendly_name, capabilities, messaging_service_sid)
  values (workspace_id, phone_number, twilio_sid, friendly_name, capabilities, messaging_service_sid)
  on conflict on constraint twilio_numbers_phone_number_unique do nothing
  returning id into inserted;
  return inserted;
end;
$$;

-- What happened outside the database (at Twilio), recorded for the admin who did it.
create function public.relay_audit(workspace_id uuid, actor_id uuid, action text, subject_id uuid, details jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.act_as(actor_id);
  perform private.audit(workspace_id, action, subject_id, details);
end;
$$;

revoke all on function private.act_as(uuid) from public;
revoke all on function public.relay_save_twilio_config(uuid, uuid, text, text, text, text),
  public.relay_import_number(uuid, uuid, text, text, text, jsonb, text),
  public.relay_audit(uuid, uuid, text, uuid, jsonb) from public, anon, authenticated;
grant execute on function private.act_as(uuid) to service_role;
grant execute on function private.audit(uuid, text, uuid, jsonb) to service_role;
grant execute on function public.relay_save_twilio_config(uuid, uuid, text, text, text, text),
  public.relay_import_number(uuid, uuid, text, text, text, jsonb, text),
  public.relay_audit(uuid, uuid, text, uuid, jsonb) to service_role;
