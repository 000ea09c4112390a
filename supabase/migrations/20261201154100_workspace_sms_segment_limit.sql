-- How many SMS segments a reply may cost before the composer warns (issue 19, item 6).
--
-- The limit is the workspace's, not each agent's: a long reply costs the workspace's
-- Twilio account per segment, so every agent of a workspace sees the same limit, and
-- it follows the workspace to any machine. It lives on public.workspaces because it
-- is a setting of the workspace, read with its name; a settings table of one row per
-- workspace would add a join for one number.
--
-- The default, 3, lets a reply of up to 459 GSM-7 characters (201 in UCS-2) through
-- without a warning: longer than any usual support answer, short enough that a pasted
-- document or an emoji-laden text that silently triples the cost gets noticed.
-- 10 is the most Twilio recommends in one message; 1 is a workspace that wants to
-- hear about any split. The composer only warns; sending past the limit is allowed,
-- because an agent may have a reason the setting cannot know.
--
-- Owners and admins change it as they rename the workspace: the existing update
-- policy ("Admins can rename their workspaces") decides who, and the column grant
-- below lets that policy apply to this column too.

alter table public.workspaces
  add column sms_segment_limit integer not null default 3
    constraint workspaces_sms_segment_limit_range check (sms_segment_limit between 1 and 10);

grant update (sms_segment_limit) on public.workspaces to authenticated;
