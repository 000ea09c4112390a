-- Demo data: two workspaces (the second shows isolation), three agents (two in
-- Acme, to try the team inbox), one Twilio number each with clearly fake
-- credentials, 30 conversations with realistic histories, some assigned, and
-- saved replies. Loaded by `supabase db reset` (config.toml [db.seed]) and by the
-- embedded backend on first start. Emails, passwords, names, numbers and the
-- conversations are fixed, so that docs and the demo can rely on them. Every id
-- (workspaces, users, contacts, messages) is drawn at random when the seed loads:
-- were they fixed, every install would share them, and a guessed id would let a
-- member of one workspace probe another's rows (duplicate keys, foreign keys).
-- Tests look ids up by workspace name, email or contact name/number
-- (local-backend/db/demo-callers.ts, demoIds).
--
-- Sign in with any of these, password `inbox-demo-1`:
--   ava@acme.test     owner of Acme Support
--   ben@acme.test     agent of Acme Support
--   cleo@globex.test  agent of Globex Care
--
-- Timestamps are relative to now(), so the inbox always looks recent.

-- The ids drawn for this database, carried from one insert to the next.
create temporary table demo_workspaces (
  key text primary key,
  id uuid not null default gen_random_uuid(),
  name text not null
);
insert into demo_workspaces (key, name) values ('acme', 'Acme Support'), ('globex', 'Globex Care');

create temporary table demo_users (
  key text primary key,
  id uuid not null default gen_random_uuid(),
  email text not null,
  full_name text not null
);
insert into demo_users (key, email, full_name) values
  ('ava', 'ava@acme.test', 'Ava Thompson'),
  ('ben', 'ben@acme.test', 'Ben Okafor'),
  ('cleo', 'cleo@globex.test', 'Cleo Martins');

-- GoTrue reads the token columns as strings and fails on NULL, so they are ''.
-- The identities row is what GoTrue creates for an email sign-up.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
  confirmation_token, recovery_token, email_change_token_new, email_change
)
select '00000000-0000-0000-0000-000000000000'::uuid, u.id, 'authenticated', 'authenticated', u.email,
       extensions.crypt('inbox-demo-1', extensions.gen_salt('bf', 10)),
       now() - interval '30 days',
       '{"provider":"email","providers":["email"]}'::jsonb,
       jsonb_build_object('full_name', u.full_name),
       now() - interval '30 days', now() - interval '30 days',
       '', '', '', ''
  from demo_users u;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
       jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
       'email', now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
  from demo_users u;

insert into public.workspaces (id, name, created_at)
select w.id, w.name, now() - interval '30 days' from demo_workspaces w;

insert into public.workspace_members (workspace_id, user_id, role)
select w.id, u.id, m.role
  from (values ('acme', 'ava', 'owner'), ('acme', 'ben', 'agent'), ('globex', 'cleo', 'agent')) as m(workspace, member, role)
  join demo_workspaces w on w.key = m.workspace
  join demo_users u on u.key = m.member;

insert into public.twilio_numbers (workspace_id, phone_number, twilio_sid, friendly_name, capabilities)
select w.id, n.phone_number, n.twilio_sid, n.friendly_name, n.capabilities::jsonb
  from (values
    ('acme', '+15550100001', 'PN11111111111111111111111111111111',
     'Acme Support line', '{"sms": true, "mms": true, "voice": false}'),
    ('globex', '+15550100002', 'PN22222222222222222222222222222222',
     'Globex Care line', '{"sms": true, "mms": false, "voice": false}')
  ) as n(workspace, phone_number, twilio_sid, friendly_name, capabilities)
  join demo_workspaces w on w.key = n.workspace;

-- Test credentials only: they authenticate against the local Twilio double, never Twilio.
insert into public.workspace_twilio_config (workspace_id, account_sid, auth_token, webhook_type, is_configured)
select w.id, c.account_sid, c.auth_token, 'global', true
  from (values
    ('acme', 'AC11111111111111111111111111111111', 'test_token_acme_not_a_secret_0001'),
    ('globex', 'AC22222222222222222222222222222222', 'test_token_globex_not_a_secret_02')
  ) as c(workspace, account_sid, auth_token)
  join demo_workspaces w on w.key = c.workspace;

-- The conversations, numbered for the messages below. `unread` marks a conversation
-- whose trailing customer texts nobody has read yet.
create temporary table demo_contacts (
  n int primary key,
  id uuid not null default gen_random_uuid(),
  workspace text not null,
  phone_number text not null,
  name text,
  email text,
  status text not null,
  unread boolean not null
);

insert into demo_contacts (n, workspace, phone_number, name, email, status, unread) values
  ( 1, 'acme', '+14155550101', 'Maria Gonzalez', 'maria.gonzalez@example.com', 'Open', true),
  ( 2, 'acme', '+12125550102', 'James O''Connor', 'james.oconnor@example.com', 'Pending', false),
  ( 3, 'acme', '+13125550103', 'Priya Raman', 'priya.raman@example.com', 'Done', false),
  ( 4, 'acme', '+16175550104', 'Tom Becker', null, 'Open', true),
  ( 5, 'acme', '+447700900105', 'Lucía Fernández', 'lucia.fernandez@example.org', 'Open', false),
  ( 6, 'acme', '+12065550106', 'Kenji Watanabe', 'kenji.w@example.com', 'Done', false),
  ( 7, 'acme', '+14045550107', 'Aisha Bello', 'aisha.bello@example.com', 'Pending', false),
  ( 8, 'acme', '+13105550108', 'Daniel Kim', null, 'Open', true),
  ( 9, 'acme', '+15125550109', 'Sophie Laurent', 'sophie.laurent@example.com', 'Done', false),
  (10, 'acme', '+17205550110', null, null, 'Open', true),
  (11, 'acme', '+16465550111', 'Marcus Reed', 'marcus.reed@example.com', 'Pending', false),
  (12, 'acme', '+19175550112', 'Hannah Schulz', null, 'Done', false),
  (13, 'acme', '+13035550113', 'Carlos Mendes', 'carlos.mendes@example.com', 'Open', false),
  (14, 'acme', '+15035550114', 'Emily Nguyen', 'emily.nguyen@example.com', 'Open', true),
  (15, 'acme', '+17135550115', 'Olivia Brooks', null, 'Done', false),
  (16, 'acme', '+16025550116', 'Noah Patel', 'noah.patel@example.com', 'Pending', false),
  (17, 'acme', '+18585550117', 'Grace Hopper-Lee', null, 'Done', false),
  (18, 'acme', '+12155550118', 'Liam Walsh', 'liam.walsh@example.com', 'Open', true),
  (19, 'acme', '+13055550119', 'Fatima Zahra', null, 'Open', false),
  (20, 'acme', '+14255550120', 'Ethan Brown', 'ethan.brown@example.com', 'Done', false),
  (21, 'acme', '+16195550121', 'Chloe Martin', null, 'Pending', false),
  (22, 'acme', '+17025550122', 'Samuel Adeyemi', 'sam.adeyemi@example.com', 'Done', false),
  (23, 'acme', '+18015550123', 'Isabella Rossi', 'isabella.rossi@example.com', 'Open', false),
  (24, 'acme', '+19195550124', 'Victor Chen', null, 'Open', true),
  (25, 'globex', '+14155550125', 'Helen Park', 'helen.park@example.net', 'Open', true),
  (26, 'globex', '+12125550126', 'Robert Silva', null, 'Pending', false),
  (27, 'globex', '+15035550127', null, null, 'Open', true),
  (28, 'globex', '+13125550128', 'Grace Liu', 'grace.liu@example.net', 'Done', false),
  (29, 'globex', '+16175550129', 'Omar Haddad', 'omar.haddad@example.net', 'Open', false),
  (30, 'globex', '+61491570156', 'Nina Petrova', null, 'Done', false);

insert into public.contacts (id, workspace_id, phone_number, name, email, created_at)
select d.id, w.id, d.phone_number, d.name, d.email, now() - interval '8 days'
  from demo_contacts d
  join demo_workspaces w on w.key = d.workspace;

-- The messages, oldest first per conversation: (contact, minutes ago, author, status, content).
-- author NULL is the customer (inbound); otherwise the agent who replied. Inbound
-- texts are stored `delivered`: they reached us. The message trigger sets each
-- contact's last_message_at and preview from these rows.
insert into public.messages (
  id, workspace_id, contact_id, direction, content, created_by, status, twilio_sid,
  error_code, error_message, created_at
)
select gen_random_uuid(),
       w.id,
       d.id,
       case when m.author is null then 'inbound' else 'outbound' end,
       m.content,
       u.id,
       m.status,
       -- A send Twilio refused, or one not handed to Twilio yet, has no SID.
       case when m.status in ('failed', 'pending') then null
            else 'SM' || md5('demo-sid:' || m.n || ':' || m.minutes_ago) end,
       case when m.status = 'failed' then '21610' end,
       case when m.status = 'failed' then 'Attempt to send to unsubscribed recipient' end,
       now() - make_interval(mins => m.minutes_ago)
  from (values
    -- Maria: a late order, two unread follow-ups.
    ( 1, 1450, null, 'delivered', 'Hi, my order #A10482 was supposed to arrive yesterday and the tracking has not moved since Monday.'),
    ( 1, 1432, 'ben', 'delivered', 'Hi Maria, sorry about that! Let me check with the carrier, one moment.'),
    ( 1, 1420, 'ben', 'delivered', 'The carrier shows a sorting delay at their hub. It should be out for delivery tomorrow.'),
    ( 1,   48, null, 'delivered', 'Still nothing today. Can you send a replacement instead?'),
    ( 1,   12, null, 'delivered', 'I need it before Saturday, it is a birthday present.'),
    -- James: refund in progress, waiting on the bank.
    ( 2, 5300, null, 'delivered', 'Hello, I returned the blender two weeks ago. When will I see the refund?'),
    ( 2, 5285, 'ava', 'delivered', 'Hi James, the return was received on the 12th and the refund was issued this morning.'),
    ( 2, 5280, 'ava', 'delivered', 'Banks usually take 3 to 5 business days to show it. I will check back with you on Friday.'),
    ( 2, 5100, null, 'delivered', 'Great, thanks for the quick answer.'),
    -- Priya: an exchange, closed.
    ( 3, 8600, null, 'delivered', 'The running shoes I got are a size too small. Can I exchange them for a 9?'),
    ( 3, 8590, 'ben', 'delivered', 'Of course! I just emailed you a prepaid return label. The size 9 ships as soon as we scan the return.'),
    ( 3, 7200, null, 'delivered', 'Dropped them off at the post office.'),
    ( 3, 4300, 'ben', 'delivered', 'Your size 9 pair is on its way, tracking 1Z999AA10123456784. Enjoy!'),
    ( 3, 4290, null, 'delivered', 'Perfect, thank you!'),
    -- Tom: damaged item, just wrote in.
    ( 4,  190, null, 'delivered', 'The lamp arrived with a cracked base. The box looked fine though.'),
    ( 4,  175, 'ava', 'delivered', 'Oh no, sorry Tom. Could you text us a photo of the damage and the label on the box?'),
    ( 4,    6, null, 'delivered', 'Sent the photos to your email, the text would not go through with pictures.'),
    -- Lucía: shipping to the UK, answered.
    ( 5, 3000, null, 'delivered', 'Do you ship to the UK? I could not find it at checkout.'),
    ( 5, 2980, 'ben', 'delivered', 'Hi Lucía! Yes, we ship to the UK. Choose "International" at checkout; it takes 6 to 10 days.'),
    ( 5, 2900, null, 'delivered', 'Will I have to pay import fees on delivery?'),
    ( 5,   95, 'ben', 'delivered', 'Orders over £135 may be charged VAT by the courier. Under that, the VAT is included in our price.'),
    -- Kenji: sign-in trouble, solved.
    ( 6, 9800, null, 'delivered', 'I cannot log in to my account, the reset email never arrives.'),
    ( 6, 9790, 'ava', 'delivered', 'Hi Kenji, it may be in your spam folder. I just sent a new reset link to kenji.w@example.com.'),
    ( 6, 9700, null, 'delivered', 'Found it in spam. I am in now, thanks!'),
    ( 6, 9695, 'ava', 'delivered', 'Glad it worked. Have a good day!'),
    -- Aisha: invoice copy for accounting.
    ( 7, 2500, null, 'delivered', 'Could I get a VAT invoice for order #A10211? Our accounting needs it.'),
    ( 7, 2470, 'ava', 'delivered', 'Sure. Which company name and address should be on it?'),
    ( 7, 2440, null, 'delivered', 'Bello Design LLC, 44 Peachtree St, Atlanta GA 30303.'),
    ( 7, 2400, 'ava', 'delivered', 'Thanks! Finance will issue it within one business day and email it to you.'),
    -- Daniel: wants to cancel his subscription, three unread.
    ( 8, 4200, null, 'delivered', 'How do I pause my coffee subscription?'),
    ( 8, 4180, 'ben', 'delivered', 'Hi Daniel, go to Account > Subscriptions > Pause. You can pause for up to 3 months.'),
    ( 8,  140, null, 'delivered', 'Actually I want to cancel it completely.'),
    ( 8,  139, null, 'delivered', 'And please make sure I am not charged on the 1st.'),
    ( 8,   35, null, 'delivered', 'Hello? Anyone there?'),
    -- Sophie: STOP, the reply after it was refused by Twilio.
    ( 9, 6000, null, 'delivered', 'Is the green armchair back in stock?'),
    ( 9, 5980, 'ben', 'delivered', 'Hi Sophie, it is expected on the 28th. Want me to text you when it arrives?'),
    ( 9, 5900, null, 'delivered', 'STOP'),
    ( 9, 5890, 'ben', 'failed', 'Understood, you will not get texts from us anymore.'),
    -- An unknown number, two unread.
    (10,   75, null, 'delivered', 'Hi is this Acme? I got a package I never ordered.'),
    (10,   74, null, 'delivered', 'The name on it is not mine either. What should I do with it?'),
    -- Marcus: warranty claim, waiting on him.
    (11, 3900, null, 'delivered', 'My headphones stopped charging after 4 months. Are they under warranty?'),
    (11, 3880, 'ava', 'delivered', 'Hi Marcus, yes, they have a 1-year warranty. Could you send me the serial number from the inside of the band?'),
    (11, 1300, 'ava', 'delivered', 'Just checking in: did you find the serial number?'),
    -- Hannah: address change, done.
    (12, 9000, null, 'delivered', 'I made a typo in my shipping address, it should be apartment 4B not 48.'),
    (12, 8990, 'ben', 'delivered', 'Fixed! The label now says Apt 4B. It has not shipped yet, so you are all set.'),
    (12, 8985, null, 'delivered', 'Thank you so much!'),
    -- Carlos: discount code question, answered.
    (13, 700, null, 'delivered', 'The code WELCOME10 says it is invalid.'),
    (13, 690, 'ben', 'delivered', 'Hi Carlos, WELCOME10 works on first orders only. I added a 10% credit to your account instead.'),
    (13, 680, null, 'delivered', 'Oh nice, thanks.'),
    (13, 665, 'ben', 'sent', 'You are welcome! The credit is applied automatically at checkout.'),
    -- Emily: item missing from the box, one unread.
    (14, 2000, null, 'delivered', 'My order came but the charger is missing from the box.'),
    (14, 1985, 'ava', 'delivered', 'Sorry Emily! I am sending a charger separately today, at no cost.'),
    (14,   22, null, 'delivered', 'The charger came, but it is the EU plug, not the US one.'),
    -- Olivia: order status, done.
    (15, 9500, null, 'delivered', 'Did my order ship yet? #A10007'),
    (15, 9490, 'ava', 'delivered', 'Yes! It shipped this morning with USPS, it should arrive Thursday.'),
    -- Noah: bulk order quote, pending on him.
    (16, 3300, null, 'delivered', 'We would like 40 desk chairs for our new office. Do you offer a bulk discount?'),
    (16, 3270, 'ava', 'delivered', 'Hi Noah, for 40 units we can do 12% off and free delivery. Shall I send a formal quote?'),
    (16, 3200, null, 'delivered', 'Yes please, to noah.patel@example.com.'),
    (16, 3150, 'ava', 'delivered', 'Sent! The quote is valid for 30 days. Let me know if you have questions.'),
    -- Grace: gift wrapping, done.
    (17, 8200, null, 'delivered', 'Can you gift wrap the order and leave out the receipt?'),
    (17, 8190, 'ben', 'delivered', 'Absolutely, done. The packing slip will show no prices.'),
    (17, 8180, null, 'delivered', 'You are the best!'),
    -- Liam: charged twice, one unread.
    (18, 1600, null, 'delivered', 'I was charged twice for the same order.'),
    (18, 1590, 'ben', 'delivered', 'Hi Liam, I see one charge and one authorization hold. The hold drops off within 48 hours.'),
    (18,   58, null, 'delivered', 'It has been 48 hours and both charges are still there.'),
    -- Fatima: delivery window, answered.
    (19, 400, null, 'delivered', 'Can the sofa delivery be in the afternoon? I work until noon.'),
    (19, 385, 'ava', 'delivered', 'Sure, I booked the 1 pm to 5 pm window on Tuesday for you.'),
    -- Ethan: size guide, done.
    (20, 7600, null, 'delivered', 'Does the jacket run small?'),
    (20, 7590, 'ben', 'delivered', 'It runs true to size. If you are between sizes, take the larger one for layering.'),
    (20, 7500, null, 'delivered', 'Ordered a large. Thanks!'),
    (20, 7495, 'ben', 'delivered', 'Great choice, enjoy!'),
    -- Chloe: waiting for a photo of the receipt.
    (21, 2800, null, 'delivered', 'I bought a kettle in your store but lost the receipt. Can I still return it?'),
    (21, 2785, 'ben', 'delivered', 'Hi Chloe, if you paid by card we can find it. Could you text the last 4 digits and the date?'),
    (21, 1400, 'ben', 'delivered', 'Hi again, just following up on the kettle return.'),
    -- Samuel: done.
    (22, 9900, null, 'delivered', 'What are your store hours on Sunday?'),
    (22, 9895, 'ava', 'delivered', 'We are open 10 am to 6 pm on Sundays.'),
    (22, 9890, null, 'delivered', 'Thanks'),
    -- Isabella: loyalty points, a reply still queued for the relay.
    (23, 260, null, 'delivered', 'My loyalty points did not show up after my last purchase.'),
    (23, 250, 'ava', 'delivered', 'Hi Isabella, points post 24 hours after the order ships. Yours shipped today.'),
    (23, 240, null, 'delivered', 'Ok, and do they expire?'),
    (23,   3, 'ava', 'pending', 'They are valid for 12 months from the date you earn them.'),
    -- Victor: new, unread.
    (24,  15, null, 'delivered', 'Hello, do you price match if I find the TV cheaper elsewhere?'),
    -- Helen (Globex): a prescription refill, one unread.
    (25, 1500, null, 'delivered', 'Hi, I need a refill of my blood pressure prescription.'),
    (25, 1480, 'cleo', 'delivered', 'Hi Helen, Dr. Alvarez approved the refill. It will be ready at the pharmacy after 3 pm.'),
    (25,   30, null, 'delivered', 'Can my husband pick it up for me?'),
    -- Robert (Globex): rescheduling, waiting on him.
    (26, 3600, null, 'delivered', 'I need to move my appointment on Thursday, something came up at work.'),
    (26, 3580, 'cleo', 'delivered', 'No problem Robert. We have Friday 9:30 am or Monday 2 pm. Which works better?'),
    -- An unknown number (Globex), two unread.
    (27,  90, null, 'delivered', 'Is this the Globex clinic?'),
    (27,  88, null, 'delivered', 'I would like to book a flu shot for my daughter.'),
    -- Grace (Globex): billing, done.
    (28, 8000, null, 'delivered', 'My insurance was billed twice for the same visit.'),
    (28, 7980, 'cleo', 'delivered', 'Thanks for flagging it, Grace. Our billing team voided the duplicate claim today.'),
    (28, 7900, null, 'delivered', 'Great, appreciate it.'),
    -- Omar (Globex): lab results, answered.
    (29, 600, null, 'delivered', 'Are my lab results back yet?'),
    (29, 560, 'cleo', 'delivered', 'Hi Omar, they are in. Dr. Alvarez will call you this afternoon to go over them.'),
    -- Nina (Globex): travel vaccines, done.
    (30, 9200, null, 'delivered', 'Which vaccines do I need for a trip to Kenya?'),
    (30, 9150, 'cleo', 'delivered', 'Hi Nina, usually yellow fever and typhoid. Let us book a travel consult so the doctor can check your records.'),
    (30, 9100, null, 'delivered', 'Booked for Monday, thank you.')
  ) as m(n, minutes_ago, author, status, content)
  join demo_contacts d on d.n = m.n
  join demo_workspaces w on w.key = d.workspace
  left join demo_users u on u.key = m.author
 order by m.minutes_ago desc;

-- The trigger counted every inbound text as unread and reopened conversations
-- when the customer wrote last. Set the state the demo wants: a conversation marked
-- unread counts the customer's texts since the last reply; every other one is read.
update public.contacts c
   set conversation_status = d.status,
       unread_count = case when not d.unread then 0 else (
         select count(*) from public.messages m
          where m.contact_id = c.id and m.direction = 'inbound'
            and m.created_at > coalesce(
              (select max(o.created_at) from public.messages o
                where o.contact_id = c.id and o.direction = 'outbound'), '-infinity')
       ) end
  from demo_contacts d
 where c.id = d.id;

-- Who owns what, so Mine, Unassigned and All differ from the start. Assigned as Ava
-- (owner of Acme) and Cleo would assign, so the history names who assigned whom:
-- the trigger reads the assigner from the JWT claims, as for any agent.
select set_config('request.jwt.claims', json_build_object('sub', u.id)::text, false)
  from demo_users u where u.key = 'ava';
update public.contacts c set assignee_id = u.id
  from demo_contacts d, (values (4, 'ben'), (7, 'ben'), (2, 'ava'), (13, 'ava')) as a(n, member), demo_users u
 where d.id = c.id and d.n = a.n and u.key = a.member;
select set_config('request.jwt.claims', json_build_object('sub', u.id)::text, false)
  from demo_users u where u.key = 'cleo';
update public.contacts c set assignee_id = u.id
  from demo_contacts d, demo_users u
 where d.id = c.id and d.n = 26 and u.key = 'cleo';
select set_config('request.jwt.claims', '', false);

-- Saved replies: each workspace's, with variables the composer fills from the
-- contact, and one of Ben's own, which only he sees.
insert into public.saved_replies (workspace_id, owner_id, title, body, created_by)
select w.id, o.id, r.title, r.body, coalesce(o.id, a.id)
  from (values
    ('acme', null, 'Order update', 'Hi {{first_name}}, your order is on its way. You will get a tracking link by email today.'),
    ('acme', null, 'Closing the conversation', 'Glad we could help, {{first_name}}! Text us any time if anything else comes up.'),
    ('acme', 'ben', 'My intro', 'Hi {{first_name}}, Ben from Acme Support here. Let me look into this for you.'),
    ('globex', null, 'Appointment reminder', 'Hi {{first_name}}, a reminder of your appointment with Globex Care. Reply C to confirm.')
  ) as r(workspace, owner, title, body)
  join demo_workspaces w on w.key = r.workspace
  left join demo_users o on o.key = r.owner
  join demo_users a on a.key = case r.workspace when 'acme' then 'ava' else 'cleo' end;

drop table demo_contacts, demo_users, demo_workspaces;
