-- A number is routed by its To (twilio_numbers_phone_number_unique): whoever holds
-- the row receives the texts sent to it. An owner could insert any unclaimed number,
-- or move a row of theirs onto another phone number or workspace, and so capture
-- another business's inbound texts. A row must be proof that the workspace's own
-- Twilio account owns the number, and only the relay can ask Twilio that
-- (IncomingPhoneNumbers, with the workspace's credentials, which no agent reads).
-- So only the relay, as the service role, adds numbers or changes which number a
-- row is and whose it is; admins still rename a number and remove one.
drop policy if exists "Admins can add numbers" on public.twilio_numbers;
create policy "Only the relay adds numbers, once Twilio shows the account owns them" on public.twilio_numbers
  for insert to authenticated with check (false);
revoke insert, update on public.twilio_numbers from authenticated;
grant update (friendly_name, capabilities) on public.twilio_numbers to authenticated;
