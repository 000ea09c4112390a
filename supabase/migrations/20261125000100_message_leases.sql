-- Exactly-once sends across relay crashes, and statuses that do not wait forever for
-- a callback.
--
-- Twilio's Messages API has no idempotency key. A relay that dies between storing a
-- reply and storing Twilio's answer leaves the row `pending` with no SID, and only
-- Twilio knows whether it was sent. Such a row must be resolved (matched against
-- Twilio's message list, or sent) by one relay at a time, and no relay may send what
-- another may still be sending. A lease does that: only the relay holding a message's
-- lease calls Twilio for it; a claim is one statement that takes the lease only where
-- it has run out, decided by the database's clock, never a replica's. A relay starts
-- no send later than its lease allows, so once a lease has run out whatever its holder
-- sent is in Twilio's list for the next holder to find.
--
-- A table of its own in `private`, not columns on messages: a claim must not touch the
-- message row. Every update of messages moves updated_at (the desktop's backfill
-- cursor) and goes over Realtime to every agent of the workspace, and a lease is the
-- relay's business alone. The seed's tables, columns, constraints and indexes are
-- unchanged.
--
-- Only the relay's own sends have a lease (relay_insert_outbound writes both in one
-- statement), so an outbound row written any other way (the seed's, an agent's insert)
-- is never picked up and sent by a sweep.
--
-- The same lease spaces out status checks: a message left queued or sent past a bound
-- is fetched from Twilio, whose callbacks may be lost, at most once per lease.

create table private.message_leases (
  message_id uuid primary key references public.messages(id) on delete cascade,
  lease_until timestamptz not null
);
-- The sweep takes the longest-expired leases first.
create index message_leases_lease_until_idx on private.message_leases(lease_until);
-- Messages still waiting for a final status, oldest update first: the status sweep's scan.
create index messages_awaiting_status_idx on public.messages(updated_at)
  where direction = 'outbound' and twilio_sid is not null and status in ('pending', 'sent');

revoke all on private.message_leases from public, anon, authenticated;
grant select, insert, update, delete on private.message_leases to service_role;

-- A message that got its SID or a new status is no longer in doubt: its lease goes, so
-- the table holds only live work. (A status check leases again when it is due.)
create or replace function private.release_message_lease()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.message_leases where message_id = new.id;
  return null;
end;
$$;

create trigger messages_release_lease after update of status, twilio_sid on public.messages
  for each row
  when (new.status is distinct from old.status or new.twilio_sid is distinct from old.twilio_sid)
  execute function private.release_message_lease();

-- The relay's insert of a reply: the message and its lease together, so a relay that
-- dies right after still leaves a row the sweep will find. Returns the row, or nothing
-- when the id already exists (a repeated client_message_id).
create or replace function public.relay_insert_outbound(
  message_id uuid,
  workspace_id uuid,
  contact_id uuid,
  content text,
  created_by uuid,
  lease_ms integer
)
returns setof public.messages
language sql
set search_path = ''
as $$
  with inserted as (
    insert into public.messages (id, workspace_id, contact_id, content, created_by, direction, status, message_type)
    values (
      relay_insert_outbound.message_id,
      relay_insert_outbound.workspace_id,
      relay_insert_outbound.contact_id,
      relay_insert_outbound.content,
      relay_insert_outbound.created_by,
      'outbound',
      'pending',
      'sms'
    )
    on conflict (id) do nothing
    returning *
  ), leased as (
    insert into private.message_leases (message_id, lease_until)
    select i.id, clock_timestamp() + relay_insert_outbound.lease_ms * interval '1 millisecond' from inserted i
  )
  select * from inserted;
$$;

-- Takes the lease of one message still without a SID: a pending one whose lease has
-- run out (or that never had one), or, when reopen_failed, a failed one, which goes
-- back to pending (the status guard clears its error). A failed row has no live
-- sender, since storing the failure is a send's last act. True when this call holds
-- the lease.
create or replace function public.relay_claim_send(message_id uuid, lease_ms integer, reopen_failed boolean)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  target record;
begin
  select m.status, m.twilio_sid, m.direction into target
    from public.messages m where m.id = relay_claim_send.message_id
    for update;
  if not found or target.direction <> 'outbound' or target.twilio_sid is not null then
    return false;
  end if;
  if target.status = 'failed' and reopen_failed then
    update public.messages m set status = 'pending' where m.id = relay_claim_send.message_id;
    insert into private.message_leases as l (message_id, lease_until)
      values (relay_claim_send.message_id, clock_timestamp() + lease_ms * interval '1 millisecond')
      on conflict on constraint message_leases_pkey do update set lease_until = excluded.lease_until;
    return true;
  end if;
  if target.status <> 'pending' then
    return false;
  end if;
  insert into private.message_leases as l (message_id, lease_until)
    values (relay_claim_send.message_id, clock_timestamp() + lease_ms * interval '1 millisecond')
    on conflict on constraint message_leases_pkey do update set lease_until = excluded.lease_until
      where l.lease_until < clock_timestamp();
  return found;
end;
$$;

-- The sweep's claim: up to max_rows of the relay's sends left pending with no SID whose
-- lease has run out, leased again to the caller. A concurrent sweep skips them.
create or replace function public.relay_claim_in_doubt(lease_ms integer, max_rows integer)
returns setof public.messages
language sql
set search_path = ''
as $$
  with due as (
    select l.message_id
      from private.message_leases l
      join public.messages m on m.id = l.message_id
     where l.lease_until < clock_timestamp()
       and m.direction = 'outbound' and m.status = 'pending' and m.twilio_sid is null
     order by l.lease_until
     limit max_rows
       for update of l skip locked
  ), leased as (
    update private.message_leases l
       set lease_until = clock_timestamp() + relay_claim_in_doubt.lease_ms * interval '1 millisecond'
      from due where l.message_id = due.message_id
    returning l.message_id
  )
  select m.* from public.messages m join leased on leased.message_id = m.id;
$$;

-- The status sweep's claim: up to max_rows sent messages whose status has not moved for
-- stale_ms (a callback may be lost), younger than max_age_ms, each leased for stale_ms
-- so it is fetched at most that often.
create or replace function public.relay_claim_status_checks(stale_ms integer, max_age_ms integer, max_rows integer)
returns table (id uuid, workspace_id uuid, twilio_sid text)
language sql
set search_path = ''
as $$
  with due as (
    select m.id
      from public.messages m
     where m.direction = 'outbound' and m.twilio_sid is not null and m.status in ('pending', 'sent')
       and m.updated_at < clock_timestamp() - relay_claim_status_checks.stale_ms * interval '1 millisecond'
       and m.created_at > clock_timestamp() - relay_claim_status_checks.max_age_ms * interval '1 millisecond'
       and not exists (
         select 1 from private.message_leases l where l.message_id = m.id and l.lease_until >= clock_timestamp()
       )
     order by m.updated_at
     limit max_rows
       for update of m skip locked
  ), leased as (
    insert into private.message_leases as l (message_id, lease_until)
    select due.id, clock_timestamp() + relay_claim_status_checks.stale_ms * interval '1 millisecond' from due
    on conflict on constraint message_leases_pkey do update set lease_until = excluded.lease_until
    returning l.message_id
  )
  select m.id, m.workspace_id, m.twilio_sid from public.messages m join leased on leased.message_id = m.id;
$$;

revoke execute on function private.release_message_lease() from public;
revoke execute on function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer),
  public.relay_claim_send(uuid, integer, boolean),
  public.relay_claim_in_doubt(integer, integer),
  public.relay_claim_status_checks(integer, integer, integer)
  from public, anon, authenticated;
grant execute on function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer),
  public.relay_claim_send(uuid, integer, boolean),
  public.relay_claim_in_doubt(integer, integer),
  public.relay_claim_status_checks(integer, integer, integer)
  to service_role;
