-- An agent's message must name a contact of its own workspace, and the policy now
-- says so. Before, that was left to the two foreign keys on contact_id, and which
-- one failed told a member of one workspace whether a contact id existed in
-- another (messages_contact_workspace_fk: it exists elsewhere; messages_contact_id_fkey:
-- nowhere). The policy runs before either key is checked, and the subquery reads
-- contacts under the caller's own RLS, so both cases are the same 42501.
alter policy "Members can insert outbound messages as themselves" on public.messages
  with check (
    workspace_id in (select private.member_workspace_ids())
    and exists (
      select 1 from public.contacts c where c.id = messages.contact_id and c.workspace_id = messages.workspace_id
    )
    and direction = 'outbound'
    and created_by = (select auth.uid())
    and status = 'pending'
    and twilio_sid is null
  );
