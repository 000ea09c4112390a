-- Issue 19: an agent starts a conversation from a phone number. The number decides
-- where texts go, so it is checked where the Twilio credentials are: the relay's
-- POST /contacts reads it with libphonenumber-js (src/shared/phone.ts) and stores it
-- only as E.164 and only when a text can reach it (mobile, or a North American number,
-- which the numbering plan does not split into mobile and landline).
--
-- The seed let members insert contacts themselves, so a number the relay never saw
-- (an invalid one, a landline, a free-form string) could become a conversation and
-- be texted. Contacts are now created only by the service role: from a customer's
-- first text (the inbound webhook) or by POST /contacts. Members keep reading,
-- editing and (admins) deleting them.
revoke insert on public.contacts from authenticated;
drop policy if exists "Members can add contacts to their workspaces" on public.contacts;
-- Said as a policy too, as the audit trail says its refusals: every table names who may do
-- each of select, insert, update and delete, so a refusal is a decision anyone can read.
create policy "Only the relay creates contacts" on public.contacts
  for insert to authenticated with check (false);
