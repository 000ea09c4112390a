-- Consent (issue 19, part 4): a ledger of what each customer said about being
-- texted, per contact and sender, and the state it comes to; plus the number each
-- inbound text reached (part 3).
--
-- The seed says nothing about consent, so every decision here is ours:
--
-- * The sender an opt-out covers ("sender" below) is the workspace number the
--   customer texted, as E.164, or the Messaging Service's SID (MG...) when that
--   number belongs to one: Twilio blocks the whole service then, so the ledger does
--   too. Stored as text rather than a reference to twilio_numbers, because an
--   opt-out outlives the number's row: removing a number and adding it again must
--   not re-open it to someone who said STOP.
-- * consent_events is append-only, even for the service role: consent is evidence,
--   and a change of mind is a new event (START after STOP), never an edit. Rows go
--   only with their contact or workspace (an erasure request). A contact created again
--   for the same phone number starts with no ledger; Twilio keeps its own block, and
--   its 21610 on the first send writes the opt-out back (source twilio_error_21610).
-- * consent_states is derived: one row per (contact, sender) that ever opted out or
--   in, written only by the trigger below from the newest opt-out or opt-in event.
--   HELP is recorded but changes nothing, as at Twilio. No row means no keyword was
--   ever received: sending is allowed (the customer wrote first, or consented
--   elsewhere; this product does not run campaigns).
-- * Agents read both (the conversation shows the state, the contact panel the
--   history); only the relay writes events, because only it sees Twilio's webhooks
--   and errors. An agent cannot opt a customer back in: only the customer can, by
--   texting START, as Twilio requires.
-- * twilio_numbers.messaging_service_sid says which Messaging Service a number
--   belongs to, if any. Set with the service role only (like which number a row is):
--   it widens or narrows what an opt-out covers.
-- * messages.workspace_number: the workspace number an inbound text reached, or the
--   one a reply left from, so each conversation knows which of the workspace's
--   numbers it is with. NULL for rows written before this column.

alter table public.twilio_numbers
  add column messaging_service_sid text check (messaging_service_sid ~ '^MG[0-9a-f]{32}$');

alter table public.messages add column workspace_number public.e164;

create table public.consent_events (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  contact_id uuid not null,
  sender text not null check (sender ~ '^\+[1-9][0-9]{1,14}$' or sender ~ '^MG[0-9a-f]{32}$'),
  kind text not null check (kind in ('opt_out', 'opt_in', 'help')),
  -- The keyword as the customer wrote it (trimmed); NULL when Twilio's 21610 told us.
  keyword text check (length(keyword) <= 32),
  source text not null check (source in ('inbound', 'twilio_error_21610')),
  -- The inbound text that carried the keyword, or the reply Twilio refused with 21610.
  message_id uuid references public.messages(id) on delete set null,
  at timestamptz not null default now(),
  constraint consent_events_contact_fk foreign key (contact_id, workspace_id)
    references public.contacts(id, workspace_id) on delete cascade,
  constraint consent_events_keyword_source_check check ((source = 'inbound') = (keyword is not null)),
  constraint consent_events_error_is_opt_out_check check (source = 'inbound' or kind = 'opt_out')
);
-- Twilio repeats a webhook it got no answer to: one text records its keyword once.
create unique index consent_events_inbound_message_unique on public.consent_events(message_id)
  where source = 'inbound';
create index consent_events_contact_idx on public.consent_events(contact_id, at desc);
create index consent_events_workspace_at_idx on public.consent_events(workspace_id, at);

create table public.consent_states (
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  contact_id uuid not null,
  sender text not null,
  opted_out boolean not null,
  -- The event that decided the state, and when it happened.
  event_id uuid not null references public.consent_events(id) on delete cascade,
  changed_at timestamptz not null,
  updated_at timestamptz not null default now(),
  primary key (contact_id, sender),
  constraint consent_states_contact_fk foreign key (contact_id, workspace_id)
    references public.contacts(id, workspace_id) on delete cascade
);
-- The desktop's backfill reads "everything changed since" per workspace.
create index consent_states_workspace_updated_idx on public.consent_states(workspace_id, updated_at);

-- The assignment history's guard serves the ledger too, naming whichever table it guards.
create or replace function private.refuse_history_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and (
    not exists (select 1 from public.contacts c where c.id = old.contact_id)
    or not exists (select 1 from public.workspaces w where w.id = old.workspace_id)
  ) then
    return old;
  end if;
  raise exception '% is append-only: a change is recorded as a new row', tg_table_name using errcode = '42501';
end;
$$;

create trigger consent_events_append_only before update or delete on public.consent_events
  for each row execute function private.refuse_history_change();
create trigger consent_events_no_truncate before truncate on public.consent_events
  for each statement execute function private.refuse_history_change();

-- The newest opt-out or opt-in decides, by (at, id), whatever order the events are
-- written in. Security definer: nobody, the relay included, writes states directly.
create function private.apply_consent_event()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.kind = 'help' then
    return null;
  end if;
  insert into public.consent_states as s (workspace_id, contact_id, sender, opted_out, event_id, changed_at)
  values (new.workspace_id, new.contact_id, new.sender, new.kind = 'opt_out', new.id, new.at)
  on conflict (contact_id, sender) do update
    set opted_out = excluded.opted_out, event_id = excluded.event_id, changed_at = excluded.changed_at,
        updated_at = now()
    where (s.changed_at, s.event_id) < (excluded.changed_at, excluded.event_id);
  return null;
end;
$$;

create trigger consent_events_apply after insert on public.consent_events
  for each row execute function private.apply_consent_event();

revoke execute on function private.refuse_history_change(), private.apply_consent_event() from public;

-- ---------------------------------------------------------------- RLS

revoke all on public.consent_events, public.consent_states from anon, authenticated, service_role;
grant select, insert on public.consent_events to service_role;
grant select on public.consent_states to service_role;

alter table public.consent_events enable row level security;
alter table public.consent_states enable row level security;

grant select on public.consent_events, public.consent_states to authenticated;
create policy "Members can view consent events of their workspaces" on public.consent_events
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Only the relay records consent" on public.consent_events
  for insert to authenticated with check (false);
create policy "Consent events are never changed" on public.consent_events
  for update to authenticated using (false);
create policy "Consent events go only with their contact" on public.consent_events
  for delete to authenticated using (false);
create policy "Members can view consent of their workspaces" on public.consent_states
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Only the ledger writes consent" on public.consent_states
  for all to authenticated using (false) with check (false);

-- ---------------------------------------------------------------- Realtime

-- Every agent's composer follows a STOP live. States are updated, so the event
-- carries the old row for Realtime's RLS check; events are only ever inserted.
alter table public.consent_states replica identity full;
alter publication supabase_realtime add table public.consent_events, public.consent_states;
