-- The sticky sender (issue 19, part 3): a reply's workspace number is stored with the
-- reply, in the insert itself, rather than once Twilio has been asked. A relay that dies
-- between the insert and Twilio leaves the send to the sweep, which must send it from the
-- number the agent chose: the row is the only place that choice survives.
--
-- The seed says nothing; our decisions:
-- * relay_insert_outbound takes the number as `from_number` (NULL: not yet known, which
--   only callers from before this migration do; the send records it as before).
-- * The relay has already checked that the workspace holds the number (422 otherwise);
--   the function trusts it as it trusts the rest of the relay's arguments.
-- * Everything else about the function is unchanged from 20261201100000_team_inbox.sql.

drop function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer, boolean, uuid);
create function public.relay_insert_outbound(
  message_id uuid,
  workspace_id uuid,
  contact_id uuid,
  content text,
  created_by uuid,
  lease_ms integer,
  guarded boolean default false,
  seen_message_id uuid default null,
  from_number public.e164 default null
)
returns setof public.messages
language plpgsql
set search_path = ''
as $$
#variable_conflict use_variable
declare
  seen_at timestamptz;
  arrived jsonb;
begin
  if exists (select 1 from public.messages m where m.id = relay_insert_outbound.message_id) then
    return;
  end if;
  if exists (select 1 from public.internal_notes n where n.id = relay_insert_outbound.message_id) then
    raise exception 'message % is an internal note: notes are never sent as SMS', relay_insert_outbound.message_id
      using errcode = 'RG002';
  end if;
  perform 1 from public.contacts c
   where c.id = relay_insert_outbound.contact_id and c.workspace_id = relay_insert_outbound.workspace_id
     for no key update;
  if guarded then
    if seen_message_id is not null then
      select m.created_at into seen_at from public.messages m
       where m.id = relay_insert_outbound.seen_message_id and m.contact_id = relay_insert_outbound.contact_id;
      if not found then
        raise exception 'message % is not a message of this conversation', relay_insert_outbound.seen_message_id
          using errcode = 'RG003';
      end if;
    end if;
    select jsonb_agg(to_jsonb(a) order by a.created_at, a.id) into arrived
      from (
        select m.id, m.direction, m.content, m.created_by, m.created_at
          from public.messages m
         where m.contact_id = relay_insert_outbound.contact_id
           and m.created_by is distinct from relay_insert_outbound.created_by
           and (relay_insert_outbound.seen_message_id is null
                or (m.created_at, m.id) > (seen_at, relay_insert_outbound.seen_message_id))
         order by m.created_at desc, m.id desc
         limit 20
      ) a;
    if arrived is not null then
      raise exception 'newer messages arrived in this conversation' using errcode = 'RG001', detail = arrived::text;
    end if;
  end if;
  return query
    with inserted as (
      insert into public.messages (id, workspace_id, contact_id, content, created_by, direction, status, message_type,
                                   workspace_number)
      values (
        relay_insert_outbound.message_id,
        relay_insert_outbound.workspace_id,
        relay_insert_outbound.contact_id,
        relay_insert_outbound.content,
        relay_insert_outbound.created_by,
        'outbound',
        'pending',
        'sms',
        relay_insert_outbound.from_number
      )
      on conflict (id) do nothing
      returning *
    ), leased as (
      insert into private.message_leases (message_id, lease_until)
      select i.id, clock_timestamp() + relay_insert_outbound.lease_ms * interval '1 millisecond' from inserted i
    )
    select * from inserted;
end;
$$;

revoke execute on function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer, boolean, uuid, public.e164)
  from public, anon, authenticated;
grant execute on function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer, boolean, uuid, public.e164)
  to service_role;
