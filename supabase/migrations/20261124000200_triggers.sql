-- Triggers that keep derived columns right inside the database, in the same
-- transaction as the write, so no client ever does a read-modify-write.

-- Functions that only the database itself calls live in `private`, which PostgREST
-- does not expose.
create schema if not exists private;

-- updated_at on every table. clock_timestamp() rather than now(): the desktop's
-- backfill cursor is "updated_at > last seen", and two writes in one transaction
-- must still be ordered.
create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := clock_timestamp();
  return new;
end;
$$;

create trigger workspaces_touch_updated_at before update on public.workspaces
  for each row execute function private.touch_updated_at();
create trigger workspace_members_touch_updated_at before update on public.workspace_members
  for each row execute function private.touch_updated_at();
create trigger contacts_touch_updated_at before insert or update on public.contacts
  for each row execute function private.touch_updated_at();
create trigger messages_touch_updated_at before insert or update on public.messages
  for each row execute function private.touch_updated_at();
create trigger twilio_numbers_touch_updated_at before update on public.twilio_numbers
  for each row execute function private.touch_updated_at();
create trigger workspace_twilio_config_touch_updated_at before update on public.workspace_twilio_config
  for each row execute function private.touch_updated_at();

-- A new message bumps its conversation: last activity and preview for the inbox
-- sort, and for a customer's text one more unread and a reopened conversation.
-- `unread_count = unread_count + 1` is a single UPDATE that takes the row lock, so
-- it stays exact under any number of concurrent inserts.
create or replace function private.bump_conversation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.contacts c
     set last_message_at = greatest(coalesce(c.last_message_at, new.created_at), new.created_at),
         last_message_preview = case
           when c.last_message_at is null or new.created_at >= c.last_message_at
             then left(regexp_replace(new.content, '\s+', ' ', 'g'), 140)
           else c.last_message_preview
         end,
         unread_count = c.unread_count + case when new.direction = 'inbound' then 1 else 0 end,
         conversation_status = case
           when new.direction = 'inbound' and c.conversation_status = 'Done' then 'Open'
           else c.conversation_status
         end
   where c.id = new.contact_id;
  return null;
end;
$$;

create trigger messages_bump_conversation after insert on public.messages
  for each row execute function private.bump_conversation();

-- Delivery statuses only move forward. Twilio's callbacks arrive out of order
-- (a late `sent` after `delivered` is normal), so the rank decides, not arrival.
create or replace function private.message_status_rank(status text)
returns int
language sql
immutable
set search_path = ''
as $$
  select case status
    when 'pending' then 0
    when 'sent' then 1
    when 'delivered' then 2
    when 'failed' then 3
    else -1
  end;
$$;

-- One exception: a send that Twilio never accepted (failed, no SID) may go back to
-- pending when the agent retries it. Callbacks always carry a SID, so no late
-- callback can take that path.
create or replace function private.keep_status_forward()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is not distinct from old.status then
    return new;
  end if;
  if old.status = 'failed' and new.status = 'pending' and old.twilio_sid is null then
    new.error_code := null;
    new.error_message := null;
    return new;
  end if;
  if old.status in ('delivered', 'failed')
     or private.message_status_rank(new.status) < private.message_status_rank(old.status) then
    new.status := old.status;
    new.error_code := old.error_code;
    new.error_message := old.error_message;
  end if;
  return new;
end;
$$;

create trigger messages_keep_status_forward before update of status on public.messages
  for each row execute function private.keep_status_forward();
