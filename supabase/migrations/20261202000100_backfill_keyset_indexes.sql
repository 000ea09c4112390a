-- The desktop's backfill pages each workspace's rows in (updated_at, key) order, the key
-- breaking ties: id, or contact_id for consent states (one transaction records one event,
-- so it changes one state of a contact). The indexes it reads held (workspace_id,
-- updated_at) only, so a page that starts inside a run of rows sharing one updated_at
-- fetched and sorted the whole run to find its place. Rows share an updated_at whenever
-- one statement writes them with its transaction's now() (a restore or an import with
-- triggers off, any column default), or within the embedded backend's millisecond clock:
-- 100,000 conversations imported together took the first sync 97 s instead of 20.
--
-- With the key as the index's third column, the backfill reads a run of ties as one
-- range (updated_at = the cursor's, key after the cursor's) and the rows after it as
-- another, each in index order with no sort (src/main/sync/sync.ts).
--
-- Decisions the seed schema is silent on:
-- - The indexes keep their names: they still serve "this workspace's rows by updated_at",
--   which the wider index answers as the narrower one did.
-- - Built without CONCURRENTLY, which cannot run inside a migration's transaction; each
--   holds writes to its table for as long as the build takes.

drop index if exists public.contacts_workspace_updated_idx;
create index contacts_workspace_updated_idx on public.contacts(workspace_id, updated_at, id);

drop index if exists public.messages_workspace_updated_idx;
create index messages_workspace_updated_idx on public.messages(workspace_id, updated_at, id);

drop index if exists public.internal_notes_workspace_updated_idx;
create index internal_notes_workspace_updated_idx on public.internal_notes(workspace_id, updated_at, id);

drop index if exists public.consent_states_workspace_updated_idx;
create index consent_states_workspace_updated_idx
  on public.consent_states(workspace_id, updated_at, contact_id);
