-- Core schema of the SMS inbox: the seed's four tables (shared/seed/database-schema.md)
-- plus the two it references but leaves out (workspaces, workspace_members).
--
-- Decisions where the seed is inconsistent or silent:
--
-- * workspace_id is UUID in `messages` but TEXT in the other tables. A TEXT column
--   cannot reference a UUID primary key, and mixed types force casts into every
--   RLS policy (which defeats the indexes). We use UUID everywhere, always with a
--   foreign key to workspaces(id) ON DELETE CASCADE.
-- * `contacts` has no foreign key to workspaces in the seed: added.
-- * `twilio_numbers` has none either: added, same reasoning.
-- * The seed's notes call the contact's number `phone`; the column is
--   `phone_number`, and that name is kept everywhere.
-- * uuid_generate_v4() comes from uuid-ossp and vector(1536) from pgvector. Both are
--   created in Supabase's `extensions` schema and called schema-qualified, so the
--   migrations do not depend on the caller's search_path.
-- * Every column, default, check, unique constraint and index the seed names is kept
--   under the seed's name. Inline checks keep Postgres' generated names
--   (messages_status_check, messages_sentiment_check), and the unnamed
--   UNIQUE(workspace_id) of workspace_twilio_config keeps its generated name
--   workspace_twilio_config_workspace_id_key.
-- * Where the seed is looser than the product can live with, a column is tightened
--   (NOT NULL, a CHECK) and the reason is given beside it; no seed column is dropped,
--   renamed or retyped except workspace_id as above.

create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists vector with schema extensions;

-- E.164: a plus sign, a non-zero country digit, at most 15 digits in all. Stored
-- normalised so that the (phone_number, workspace_id) unique key really is unique.
create domain public.e164 as text
  constraint e164_check check (value ~ '^\+[1-9][0-9]{1,14}$');

create table if not exists public.workspaces (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 120),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.workspace_members (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  user_id uuid not null references auth.users(id) on delete cascade,
  role text not null default 'agent' check (role in ('owner', 'admin', 'agent')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint workspace_members_workspace_user_unique unique (workspace_id, user_id)
);
-- RLS looks memberships up by user: this index serves every policy.
create index if not exists workspace_members_user_id_idx on public.workspace_members(user_id, workspace_id);

create table if not exists public.contacts (
  id uuid primary key default gen_random_uuid(),
  phone_number public.e164 not null,
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  name text,
  email text,
  -- The seed lists "Open, Pending, Done, etc." without a constraint. The product has
  -- exactly these three filters, so anything else is rejected rather than invented.
  -- NOT NULL (the seed allows NULL): a NULL status would fall out of every inbox
  -- filter, and a NULL count would make the trigger's `unread_count + 1` stay NULL.
  conversation_status text not null default 'Open' check (conversation_status in ('Open', 'Pending', 'Done')),
  unread_count integer not null default 0 check (unread_count >= 0),
  -- Kept by the message trigger so the inbox sorts without scanning messages.
  last_message_at timestamptz,
  last_message_preview text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  constraint contacts_phone_number_workspace_unique unique (phone_number, workspace_id),
  -- Lets messages reference (contact, workspace) together, so a message can never
  -- point at a contact of another workspace.
  constraint contacts_id_workspace_unique unique (id, workspace_id)
);
-- The inbox query: one workspace, one status filter, newest activity first.
create index if not exists contacts_inbox_idx
  on public.contacts(workspace_id, conversation_status, last_message_at desc nulls last);
-- The "All" filter and the desktop's backfill cursor.
create index if not exists contacts_workspace_activity_idx
  on public.contacts(workspace_id, last_message_at desc nulls last);
create index if not exists contacts_workspace_updated_idx on public.contacts(workspace_id, updated_at);

create table if not exists public.messages (
  id uuid default gen_random_uuid() primary key,
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  contact_id uuid not null references public.contacts(id) on delete cascade,
  content text not null,
  -- The seed gives no default and lists "text, email, etc.". Every row this product
  -- writes is an SMS, so the default says so instead of leaving NULL.
  message_type text default 'sms',
  sentiment float check (sentiment >= -1 and sentiment <= 1),
  embedding extensions.vector(1536),
  twilio_sid text,
  status text default 'pending' check (status in ('pending', 'sent', 'delivered', 'failed')),
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  -- The seed's foreign key, with ON DELETE SET NULL added: removing an agent's
  -- account must neither fail nor erase the customer's history; the reply stays,
  -- authorless (the direction check allows that for outbound messages).
  created_by uuid references auth.users(id) on delete set null,
  -- The seed cannot tell a customer's text from an agent's reply.
  direction text not null default 'outbound' check (direction in ('inbound', 'outbound')),
  -- Twilio's refusal or delivery error, kept for failed messages (e.g. 21610, 21211).
  error_code text,
  error_message text,
  -- Webhook retries are idempotent on the Twilio SID. NULLs stay distinct, so
  -- queued sends without a SID yet are fine.
  constraint messages_twilio_sid_unique unique (twilio_sid),
  constraint messages_contact_workspace_fk foreign key (contact_id, workspace_id)
    references public.contacts(id, workspace_id) on delete cascade,
  -- An agent's reply always names its author; an inbound text never has one.
  constraint messages_direction_author_check check (
    (direction = 'inbound' and created_by is null) or direction = 'outbound'
  ),
  -- Twilio caps an SMS body at 1,600 characters. An inbound MMS may carry no text at
  -- all, so only replies must be non-empty.
  constraint messages_content_length_check check (
    length(content) <= 1600 and (direction = 'inbound' or length(btrim(content)) > 0)
  )
);
create index if not exists idx_messages_contact_id on public.messages(contact_id);
create index if not exists idx_messages_workspace_id on public.messages(workspace_id);
create index if not exists idx_messages_created_at on public.messages(created_at desc);
-- Kept as the seed names it; the unique constraint above is what enforces idempotency.
create index if not exists idx_messages_twilio_sid on public.messages(twilio_sid) where twilio_sid is not null;
-- A thread, oldest to newest, paged by time.
create index if not exists messages_thread_idx on public.messages(contact_id, created_at desc);
-- The desktop's gap-free backfill reads "everything changed since" per workspace.
create index if not exists messages_workspace_updated_idx on public.messages(workspace_id, updated_at);

create table if not exists public.twilio_numbers (
  id uuid primary key default extensions.uuid_generate_v4(),
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  phone_number public.e164 not null,
  twilio_sid text not null,
  friendly_name text,
  capabilities jsonb,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  -- An inbound webhook is routed by its To number, so a number belongs to one workspace.
  constraint twilio_numbers_phone_number_unique unique (phone_number)
);
create index if not exists twilio_numbers_workspace_id_idx on public.twilio_numbers(workspace_id);
create index if not exists twilio_numbers_phone_number_idx on public.twilio_numbers(phone_number);

create table if not exists public.workspace_twilio_config (
  id uuid default extensions.uuid_generate_v4() primary key,
  -- The seed allows NULL here; a configuration of no workspace means nothing, so NOT NULL.
  workspace_id uuid not null references public.workspaces(id) on delete cascade,
  account_sid text not null,
  auth_token text not null,
  webhook_url text,
  -- The seed's notes name the two kinds; anything else would be a typo the relay
  -- cannot act on.
  webhook_type text default 'global' check (webhook_type in ('global', 'per-number')),
  is_configured boolean default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  unique (workspace_id)
);
