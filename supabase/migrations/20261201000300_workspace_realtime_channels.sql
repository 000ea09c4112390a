-- Private Realtime channels for a workspace's team: presence (who has which
-- conversation open, who is typing) and broadcast between its agents. Hosted
-- Realtime admits a client to a private channel only when RLS on realtime.messages
-- lets it read there, and relays its broadcasts and presence only when RLS lets it
-- insert there; these policies are that decision.
--
-- A channel's topic is `workspace:<workspace id>`. Membership decides, as it does
-- for every table: a member of the workspace may read and write its channel, anyone
-- else (another workspace's agent, anon) is refused at join. No policy allows
-- update or delete: Realtime never needs them.

-- The workspace a topic names, or null for any other topic: a topic is chosen by
-- the client, so a malformed one must make the policy false, never raise.
create or replace function private.channel_workspace_id()
returns uuid
language sql
stable
set search_path = ''
as $$
  select case
    when t.topic ~ '^workspace:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then substr(t.topic, length('workspace:') + 1)::uuid
  end
  from (select realtime.topic() as topic) t;
$$;

create policy "Members read their workspace's private channels" on realtime.messages
  for select to authenticated
  using (
    extension in ('broadcast', 'presence')
    and (select private.channel_workspace_id()) in (select private.member_workspace_ids())
  );

create policy "Members broadcast and track presence on their workspace's private channels" on realtime.messages
  for insert to authenticated
  with check (
    extension in ('broadcast', 'presence')
    and (select private.channel_workspace_id()) in (select private.member_workspace_ids())
  );
