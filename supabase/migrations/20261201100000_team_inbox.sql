-- The team inbox (issue 18): who the members are, who owns a conversation and who
-- changed that, internal notes, saved replies, and the collision guard on replies.
--
-- The seed (shared/seed/database-schema.md) says nothing about any of this, so every
-- decision below is ours and its reason is given beside it. No seed table, column,
-- constraint or index changes: contacts gains one column (assignee_id), and the
-- relay's insert function gains the guard.
--
-- Every new table follows the rule of every seed table: rows belong to a workspace,
-- and only that workspace's members (and the service role) see them. anon gets
-- nothing. Grants start from nothing, as in 20261124000300_row_level_security.sql,
-- because Supabase's default privileges grant ALL on new public tables to anon and
-- authenticated.

-- ---------------------------------------------------------------- member profiles

-- One profile per membership, not per user: a table of its own rather than columns
-- on workspace_members, because a member edits their own name and colour while only
-- admins change roles there. Column grants are per role, not per row, so a policy
-- letting a member update their own membership row would let them change their own
-- role too. One per membership and removed with it, so a profile exists exactly
-- while its member does, under the same workspace RLS as everything else. The role
-- stays in workspace_members.
--
-- Its key is an id of its own, with the membership unique beside it, not the
-- membership as primary key: PostgREST takes a table whose primary key holds foreign
-- keys to two tables for a many-to-many junction, and would then see two ways from
-- workspace_members to workspaces, refusing the app's embed of a membership's
-- workspace (PGRST201).
create table public.member_profiles (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  user_id uuid not null,
  display_name text not null check (length(btrim(display_name)) between 1 and 80),
  -- A #rrggbb colour behind white initials; lower case so equal colours compare equal.
  avatar_color text not null check (avatar_color ~ '^#[0-9a-f]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint member_profiles_membership_unique unique (workspace_id, user_id),
  constraint member_profiles_membership_fk foreign key (workspace_id, user_id)
    references public.workspace_members(workspace_id, user_id) on delete cascade
);
-- The desktop's backfill reads "everything changed since" per workspace.
create index member_profiles_workspace_updated_idx on public.member_profiles(workspace_id, updated_at);

-- A colour for a new member, the same for the same user every time: eight shades
-- that keep white initials readable (WCAG AA, 4.5:1) in both themes.
create function private.default_avatar_color(user_id uuid)
returns text
language sql
immutable
set search_path = ''
as $$
  select (array['#1d4ed8', '#6d28d9', '#be185d', '#b91c1c', '#b45309', '#047857', '#0e7490', '#4d7c0f'])
    [1 + abs(hashtext(user_id::text)) % 8];
$$;

-- The name a new member starts with: the full name given at sign-up, else the
-- email's local part, so a mention or an assignment never shows an id.
create function private.default_display_name(user_id uuid)
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    nullif(left(btrim(u.raw_user_meta_data ->> 'full_name'), 80), ''),
    nullif(left(split_part(u.email, '@', 1), 80), ''),
    'Member'
  )
  from auth.users u where u.id = default_display_name.user_id;
$$;

-- Every membership gets its profile in the same transaction, whoever adds it
-- (onboarding, an admin, the seed), so no reader ever meets a member without one.
create function private.create_member_profile()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.member_profiles (workspace_id, user_id, display_name, avatar_color)
  values (
    new.workspace_id,
    new.user_id,
    coalesce(private.default_display_name(new.user_id), 'Member'),
    private.default_avatar_color(new.user_id)
  )
  on conflict on constraint member_profiles_membership_unique do nothing;
  return null;
end;
$$;

create trigger workspace_members_create_profile after insert on public.workspace_members
  for each row execute function private.create_member_profile();
create trigger member_profiles_touch_updated_at before update on public.member_profiles
  for each row execute function private.touch_updated_at();

-- Members who joined before this migration.
insert into public.member_profiles (workspace_id, user_id, display_name, avatar_color)
select m.workspace_id, m.user_id, coalesce(private.default_display_name(m.user_id), 'Member'),
       private.default_avatar_color(m.user_id)
  from public.workspace_members m
on conflict on constraint member_profiles_membership_unique do nothing;

-- ---------------------------------------------------------------- assignment

-- A conversation is a contacts row, so its owner is a column there: the inbox's Mine
-- and Unassigned views filter the rows they already read, and the change travels
-- over the contacts Realtime stream agents already follow. NULL is "nobody".
-- The foreign key names the membership, not the user: an assignee is always a
-- member of the conversation's own workspace. When a member leaves, only
-- assignee_id is cleared (the column list of SET NULL; workspace_id must stay).
alter table public.contacts add column assignee_id uuid;
alter table public.contacts add constraint contacts_assignee_membership_fk
  foreign key (workspace_id, assignee_id) references public.workspace_members(workspace_id, user_id)
  on delete set null (assignee_id);
-- The Mine and Unassigned views: one workspace, one assignee (or none), newest activity first.
create index contacts_assignee_inbox_idx
  on public.contacts(workspace_id, assignee_id, last_message_at desc nulls last);

-- Any member may assign any conversation of the workspace to any member or to
-- nobody, as in the products our users compare us with; the update policy on
-- contacts (members of the workspace) already says who.
grant update (assignee_id) on public.contacts to authenticated;

-- "An inbound text on a conversation that is Done reopens it and keeps its assignee":
-- the seed's status has Done, and private.bump_conversation (20261124000200_triggers.sql)
-- already sets an inbound text's Done conversation back to Open without touching any
-- other column, so the assignee is kept by that trigger as it is; no new one is needed.

-- Who assigned whom, and when: one row per change, appended by the database in the
-- same transaction as the change, so no client can forget to write it or write it
-- wrong. assigned_by is the caller's auth.uid(): NULL when no agent made the change
-- (the service role, or a membership removed by the service role).
--
-- assignee_id and assigned_by carry no foreign key on purpose: the record must
-- outlive the membership and the account it names, and a key's ON DELETE action
-- would have to update or delete rows that must never change.
create table public.conversation_assignments (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  contact_id uuid not null,
  assignee_id uuid,
  assigned_by uuid,
  -- clock_timestamp(): two changes in one transaction keep their order.
  assigned_at timestamptz not null default clock_timestamp(),
  -- The history goes with its conversation (and, through it, its workspace), and
  -- cannot name a contact of another workspace.
  constraint conversation_assignments_contact_fk foreign key (contact_id, workspace_id)
    references public.contacts(id, workspace_id) on delete cascade
);
-- A conversation's history, newest first.
create index conversation_assignments_thread_idx on public.conversation_assignments(contact_id, assigned_at desc);
-- The desktop's backfill: rows are never updated, so assigned_at is their cursor.
create index conversation_assignments_workspace_assigned_idx
  on public.conversation_assignments(workspace_id, assigned_at);

create function private.record_assignment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.conversation_assignments (workspace_id, contact_id, assignee_id, assigned_by)
  values (new.workspace_id, new.id, new.assignee_id, auth.uid());
  return null;
end;
$$;

create trigger contacts_record_assignment after update of assignee_id on public.contacts
  for each row when (new.assignee_id is distinct from old.assignee_id)
  execute function private.record_assignment();

-- Append-only, for every role: RLS gives agents no update or delete, and this
-- trigger refuses them to the service role too (which bypasses RLS). The one delete
-- it lets through is the cascade from a deleted conversation or workspace: by the
-- time a cascade reaches the history, that row is already gone. The error is 42501,
-- as for an agent, so every caller is told the same thing.
create function private.refuse_history_change()
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
  raise exception 'conversation_assignments is append-only: a change of assignee is recorded by assigning again'
    using errcode = '42501';
end;
$$;

create trigger conversation_assignments_append_only before update or delete on public.conversation_assignments
  for each row execute function private.refuse_history_change();
create trigger conversation_assignments_no_truncate before truncate on public.conversation_assignments
  for each statement execute function private.refuse_history_change();

-- ---------------------------------------------------------------- internal notes

-- Notes are a table of their own, never rows of messages: the relay reads and sends
-- only messages, so a note has no path to Twilio at all, and no message_type value
-- can ever be mistaken for one. A note is a record like an SMS: its author or an
-- admin may delete it, nobody edits it (a mention notifies once, when written).
create table public.internal_notes (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  contact_id uuid not null,
  body text not null check (length(body) <= 4000 and length(btrim(body)) > 0),
  -- The members the note @mentions, by user id, each at most once (the trigger
  -- below keeps the first of repeats and refuses non-members). An array on the
  -- row rather than a table of its own: the note and its mentions are written in
  -- one insert and arrive in one Realtime event, which is what notifies.
  mentions uuid[] not null default '{}'
    check (cardinality(mentions) <= 50 and array_position(mentions, null) is null),
  -- As messages.created_by: the author, kept authorless if the account is removed.
  created_by uuid default auth.uid() references auth.users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint internal_notes_contact_fk foreign key (contact_id, workspace_id)
    references public.contacts(id, workspace_id) on delete cascade
);
-- A thread's notes beside its messages, paged by time.
create index internal_notes_thread_idx on public.internal_notes(contact_id, created_at desc);
create index internal_notes_workspace_updated_idx on public.internal_notes(workspace_id, updated_at);
-- "Notes that mention me".
create index internal_notes_mentions_idx on public.internal_notes using gin (mentions);

-- A mention names a member of the note's workspace, or the note is refused (23503,
-- as a foreign key would). Repeats collapse to the first, keeping the order written.
create function private.check_note_mentions()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.mentions := coalesce(
    (select array_agg(u.id order by u.first)
       from (select m.id, min(m.ord) as first from unnest(new.mentions) with ordinality m(id, ord) group by m.id) u),
    '{}'
  );
  if exists (
    select 1 from unnest(new.mentions) m(id)
     where not exists (
       select 1 from public.workspace_members w where w.workspace_id = new.workspace_id and w.user_id = m.id
     )
  ) then
    raise exception 'a note may mention only members of its workspace' using errcode = '23503';
  end if;
  return new;
end;
$$;

create trigger internal_notes_check_mentions before insert or update of mentions on public.internal_notes
  for each row execute function private.check_note_mentions();
create trigger internal_notes_touch_updated_at before insert or update on public.internal_notes
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------- saved replies

-- Templates the composer inserts. owner_id NULL is a workspace-wide reply; otherwise
-- it is that member's personal one, seen by its owner alone (not even by admins:
-- personal means personal). Workspace-wide replies speak for the whole team, so
-- only owners and admins write them; any member writes their own.
create table public.saved_replies (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  owner_id uuid,
  title text not null check (length(btrim(title)) between 1 and 80),
  -- The unexpanded text with its {{variables}}; its expansion is held to an SMS's
  -- limit when it is sent.
  body text not null check (length(body) <= 1600 and length(btrim(body)) > 0),
  created_by uuid default auth.uid() references auth.users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A personal reply belongs to a member of the workspace and leaves with them.
  constraint saved_replies_owner_membership_fk foreign key (workspace_id, owner_id)
    references public.workspace_members(workspace_id, user_id) on delete cascade,
  -- "/" finds a reply by title: two of one list with the same title could not be
  -- told apart. NULLS NOT DISTINCT makes the workspace-wide list one list too.
  constraint saved_replies_title_unique unique nulls not distinct (workspace_id, owner_id, title)
);
create index saved_replies_workspace_updated_idx on public.saved_replies(workspace_id, updated_at);

create trigger saved_replies_touch_updated_at before insert or update on public.saved_replies
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------- RLS

revoke all on public.member_profiles, public.conversation_assignments, public.internal_notes,
  public.saved_replies from anon, authenticated;
grant all on public.member_profiles, public.conversation_assignments, public.internal_notes,
  public.saved_replies to service_role;
-- The history refuses changes even to the service role (see its trigger); a grant
-- would only promise what the trigger then refuses.
revoke update, delete, truncate on public.conversation_assignments from service_role;

alter table public.member_profiles enable row level security;
alter table public.conversation_assignments enable row level security;
alter table public.internal_notes enable row level security;
alter table public.saved_replies enable row level security;

-- member_profiles: members see their colleagues; each member edits their own.
-- Profiles are created and removed with memberships, never directly.
grant select on public.member_profiles to authenticated;
grant update (display_name, avatar_color) on public.member_profiles to authenticated;
create policy "Members can view profiles of their workspaces" on public.member_profiles
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Profiles come with memberships" on public.member_profiles
  for insert to authenticated with check (false);
create policy "Profiles go with memberships" on public.member_profiles
  for delete to authenticated using (false);
create policy "Members edit their own profile" on public.member_profiles
  for update to authenticated
  using (user_id = (select auth.uid()) and workspace_id in (select private.member_workspace_ids()))
  with check (user_id = (select auth.uid()) and workspace_id in (select private.member_workspace_ids()));

-- conversation_assignments: members read; only the trigger writes.
grant select on public.conversation_assignments to authenticated;
create policy "Members can view assignment history of their workspaces" on public.conversation_assignments
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Only the assignment trigger writes history" on public.conversation_assignments
  for insert to authenticated with check (false);
create policy "Assignment history is never changed" on public.conversation_assignments
  for update to authenticated using (false);
create policy "Assignment history is never deleted" on public.conversation_assignments
  for delete to authenticated using (false);

-- internal_notes: members read and write notes in their own name on their own
-- workspace's conversations (the contact is checked under the caller's RLS, as for
-- messages, so a foreign key error never tells whether another workspace's contact
-- exists); the author or an admin deletes.
grant select, delete on public.internal_notes to authenticated;
grant insert (id, workspace_id, contact_id, body, mentions, created_by) on public.internal_notes to authenticated;
create policy "Members can view notes of their workspaces" on public.internal_notes
  for select to authenticated using (workspace_id in (select private.member_workspace_ids()));
create policy "Members write notes as themselves" on public.internal_notes
  for insert to authenticated with check (
    workspace_id in (select private.member_workspace_ids())
    and exists (
      select 1 from public.contacts c
       where c.id = internal_notes.contact_id and c.workspace_id = internal_notes.workspace_id
    )
    and created_by = (select auth.uid())
  );
create policy "Nobody edits a note" on public.internal_notes
  for update to authenticated using (false);
create policy "Authors and admins delete notes" on public.internal_notes
  for delete to authenticated using (
    workspace_id in (select private.admin_workspace_ids())
    or (created_by = (select auth.uid()) and workspace_id in (select private.member_workspace_ids()))
  );

-- saved_replies: see the table's comment for who sees and writes which.
grant select, delete on public.saved_replies to authenticated;
grant insert (id, workspace_id, owner_id, title, body, created_by) on public.saved_replies to authenticated;
grant update (owner_id, title, body) on public.saved_replies to authenticated;
create policy "Members see workspace replies and their own" on public.saved_replies
  for select to authenticated using (
    workspace_id in (select private.member_workspace_ids())
    and (owner_id is null or owner_id = (select auth.uid()))
  );
-- One policy for every write: it also reads, but only rows the select policy shows anyway.
create policy "Members write their own replies, admins the workspace's" on public.saved_replies
  for all to authenticated
  using (
    (owner_id = (select auth.uid()) and workspace_id in (select private.member_workspace_ids()))
    or (owner_id is null and workspace_id in (select private.admin_workspace_ids()))
  )
  with check (
    (owner_id = (select auth.uid()) and workspace_id in (select private.member_workspace_ids()))
    or (owner_id is null and workspace_id in (select private.admin_workspace_ids()))
  );

revoke execute on function private.default_avatar_color(uuid), private.default_display_name(uuid),
  private.create_member_profile(), private.record_assignment(), private.refuse_history_change(),
  private.check_note_mentions()
  from public;

-- ---------------------------------------------------------------- Realtime

-- Every agent's screen follows these live: names and colours, who was assigned
-- (the contacts stream carries the assignee itself), notes and their mentions, and
-- the saved replies list. REPLICA IDENTITY FULL where a row is updated or deleted,
-- so the event carries the old row and Realtime can check RLS on it (a personal
-- saved reply's delete reaches its owner alone); the history is only ever inserted.
alter table public.member_profiles replica identity full;
alter table public.internal_notes replica identity full;
alter table public.saved_replies replica identity full;
alter publication supabase_realtime add table public.member_profiles, public.conversation_assignments,
  public.internal_notes, public.saved_replies;

-- ---------------------------------------------------------------- the collision guard

-- A reply carries the newest message its author had seen in the conversation
-- (seen_message_id, NULL for an empty thread). When `guarded`, it is inserted only
-- if no message newer than that one, by anyone but its author, exists in the
-- conversation; otherwise nothing is written and the call raises RG001 with the
-- messages that arrived in its DETAIL, as JSON, so what the agent is shown is what
-- the decision saw. The author's own messages never count: an agent who sends twice
-- in a row answered nobody blind.
--
-- The check and the insert are one transaction, and the conversation's contacts row
-- is locked first (the insert's trigger updates that row anyway), so of two
-- concurrent replies to one conversation the second sees the first.
--
-- "Newer" is the thread's order, (created_at, id). A repeated message_id (the
-- desktop's outbox replaying a send) returns nothing before any check, as before, so
-- a replay is answered from the stored row and never refused. An id that is an
-- internal note's is refused (RG002): whatever handed the relay a note, it is not
-- sent. A seen_message_id that is not a message of this conversation is RG003.
drop function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer);
create function public.relay_insert_outbound(
  message_id uuid,
  workspace_id uuid,
  contact_id uuid,
  content text,
  created_by uuid,
  lease_ms integer,
  guarded boolean default false,
  seen_message_id uuid default null
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
end;
$$;

revoke execute on function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer, boolean, uuid)
  from public, anon, authenticated;
grant execute on function public.relay_insert_outbound(uuid, uuid, uuid, text, uuid, integer, boolean, uuid)
  to service_role;
