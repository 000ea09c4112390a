import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from './database.ts'
import { anon, asCaller, demoIds, pgError, queryAs, serviceRole, user } from './demo-callers.ts'
import type { Caller } from './demo-callers.ts'
import { workspaceChannelTopic } from '../../src/shared/workspace-channel.ts'
import { currentWorkspaceTopic } from '../realtime/test-support.ts'

/*
 * Row-level security, as Supabase applies it: each statement runs in a transaction
 * as the JWT's role with request.jwt.claims set (demo-callers.ts), then rolls back,
 * so every case starts from the seed. Targets are always Acme's rows; Cleo is the
 * member of another workspace (Globex); the stranger is an account that signed itself
 * up and belongs to no workspace (sign-up is open: supabase/config.toml).
 */

// Opened before the cases are declared: they name the ids this database's seed drew.
const db = await openDatabase({ seed: true })
const demo = await demoIds(db)
// What a sign-up leaves behind: the account alone, with no membership anywhere.
const strangerId = (
  await db.query<{ id: string }>(
    `insert into auth.users (id, email, encrypted_password, email_confirmed_at)
     values (gen_random_uuid(), 'walk-in@example.test', '', now()) returning id`,
  )
).rows[0]!.id

// A rate-limit bucket for the service role's cases to find (the seed has none).
await db.query(
  `insert into private.relay_rate_limits (bucket, tokens, refilled_at) values ('agent:seeded', 5, now())`,
)

type Outcome = 'rows' | 'none' | 'denied'
/** The actors each case names an outcome for; the stranger's is derived (see the matrix). */
type NamedActor = 'ava' | 'ben' | 'cleo' | 'anon' | 'service'
type Actor = NamedActor | 'stranger'

const actors: Record<Actor, Caller> = {
  ava: user(demo.ava),
  ben: user(demo.ben),
  cleo: user(demo.cleo),
  anon,
  service: serviceRole,
  stranger: user(strangerId),
}

interface Case {
  table: string
  op: 'select' | 'insert' | 'update' | 'delete'
  /** Tells apart the cases of one table and operation. */
  what?: string
  sql: string
  params?: unknown[]
  /** The Realtime channel the statement is about, as realtime.topic() returns it to policies. */
  topic?: string
  expect: Record<NamedActor, Outcome>
}

const acme = demo.acme
const maria = demo.contact('Maria Gonzalez')
const tom = demo.contact('Tom Becker')
const readable = { ava: 'rows', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' } as const
const adminsOnly = { ava: 'rows', ben: 'none', cleo: 'none', anon: 'denied', service: 'rows' } as const
const serviceOnly = { ava: 'denied', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'rows' } as const
const nobody = { ava: 'denied', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'denied' } as const
const bensOwn = { ava: 'none', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' } as const
/** Each workspace's private channel under its current key, and Acme's under a key it no longer has. */
const channels = {
  [demo.acme]: await currentWorkspaceTopic(db, demo.acme),
  [demo.globex]: await currentWorkspaceTopic(db, demo.globex),
}
const acmeChannel = channels[acme]!
const staleAcmeChannel = workspaceChannelTopic({ workspace_id: acme, key: crypto.randomUUID() })

const matrix: Case[] = [
  {
    table: 'workspaces',
    op: 'select',
    sql: 'select id from workspaces where id = $1',
    params: [acme],
    expect: readable,
  },
  // Workspaces are created by onboarding with the service role, with the owner's membership.
  {
    table: 'workspaces',
    op: 'insert',
    sql: `insert into workspaces (name) values ('Initech') returning id`,
    expect: serviceOnly,
  },
  {
    table: 'workspaces',
    op: 'update',
    sql: `update workspaces set name = 'Acme Helpdesk' where id = $1 returning id`,
    params: [acme],
    expect: adminsOnly,
  },
  {
    table: 'workspaces',
    op: 'update',
    what: 'segment limit',
    sql: `update workspaces set sms_segment_limit = 5 where id = $1 returning id`,
    params: [acme],
    expect: adminsOnly,
  },
  {
    table: 'workspaces',
    op: 'delete',
    sql: 'delete from workspaces where id = $1 returning id',
    params: [acme],
    expect: adminsOnly,
  },

  {
    table: 'workspace_members',
    op: 'select',
    sql: 'select id from workspace_members where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'workspace_members',
    op: 'insert',
    sql: `insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'agent') returning id`,
    params: [acme, demo.cleo],
    expect: { ava: 'rows', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'workspace_members',
    op: 'update',
    sql: `update workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2 returning id`,
    params: [acme, demo.ben],
    expect: adminsOnly,
  },
  {
    table: 'workspace_members',
    op: 'delete',
    sql: 'delete from workspace_members where workspace_id = $1 and user_id = $2 returning id',
    params: [acme, demo.ben],
    expect: adminsOnly,
  },

  {
    table: 'contacts',
    op: 'select',
    sql: 'select id from contacts where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'contacts',
    op: 'insert',
    sql: `insert into contacts (workspace_id, phone_number, name) values ($1, '+14155550199', 'Walk-in') returning id`,
    params: [acme],
    // Only the relay creates contacts, having checked the number (20261201170500_contacts_created_by_relay.sql).
    expect: { ava: 'denied', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'contacts',
    op: 'update',
    sql: `update contacts set conversation_status = 'Done' where id = $1 returning id`,
    params: [maria],
    expect: { ava: 'rows', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' },
  },
  {
    table: 'contacts',
    op: 'delete',
    sql: 'delete from contacts where id = $1 returning id',
    params: [maria],
    expect: adminsOnly,
  },

  {
    table: 'messages',
    op: 'select',
    sql: 'select id from messages where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'messages',
    op: 'insert',
    sql: `insert into messages (workspace_id, contact_id, content, direction, created_by)
          values ($1, $2, 'On it!', 'outbound', coalesce(auth.uid(), $3::uuid)) returning id`,
    params: [acme, maria, demo.ava],
    expect: { ava: 'rows', ben: 'rows', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  // Statuses come from Twilio through the relay; no agent edits a message.
  {
    table: 'messages',
    op: 'update',
    sql: `update messages set content = 'edited' where contact_id = $1 returning id`,
    params: [maria],
    expect: serviceOnly,
  },
  {
    table: 'messages',
    op: 'delete',
    sql: 'delete from messages where contact_id = $1 returning id',
    params: [maria],
    expect: adminsOnly,
  },

  {
    table: 'twilio_numbers',
    op: 'select',
    sql: 'select id from twilio_numbers where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'twilio_numbers',
    op: 'insert',
    sql: `insert into twilio_numbers (workspace_id, phone_number, twilio_sid)
          values ($1, '+15550100009', 'PN99999999999999999999999999999999') returning id`,
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'twilio_numbers',
    op: 'update',
    sql: `update twilio_numbers set friendly_name = 'Main line' where workspace_id = $1 returning id`,
    params: [acme],
    expect: adminsOnly,
  },
  // Which number a row is, and whose, is what routes inbound texts: only the relay sets it.
  {
    table: 'twilio_numbers',
    op: 'update',
    what: 'phone_number',
    sql: `update twilio_numbers set phone_number = '+15550100009' where workspace_id = $1 returning id`,
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'twilio_numbers',
    op: 'update',
    what: 'workspace_id',
    sql: `update twilio_numbers set workspace_id = $2 where workspace_id = $1 returning id`,
    params: [acme, demo.globex],
    expect: serviceOnly,
  },
  {
    table: 'twilio_numbers',
    op: 'delete',
    sql: 'delete from twilio_numbers where workspace_id = $1 returning id',
    params: [acme],
    expect: adminsOnly,
  },

  {
    table: 'workspace_twilio_config',
    op: 'select',
    sql: 'select id from workspace_twilio_config where workspace_id = $1',
    params: [acme],
    expect: serviceOnly,
  },
  // The API key's secret, like the auth token, is no agent role's to read, owner's included.
  {
    table: 'workspace_twilio_config',
    op: 'select',
    what: 'api_key_secret',
    sql: 'select api_key_secret, auth_token from workspace_twilio_config where workspace_id = $1',
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'workspace_twilio_config',
    op: 'insert',
    sql: `with w as (insert into workspaces (name) values ('Initech') returning id)
          insert into workspace_twilio_config (workspace_id, account_sid, auth_token)
          select id, 'AC00000000000000000000000000000000', 'test_token_initech' from w returning id`,
    expect: serviceOnly,
  },
  {
    table: 'workspace_twilio_config',
    op: 'update',
    sql: `update workspace_twilio_config set is_configured = false where workspace_id = $1 returning id`,
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'workspace_twilio_config',
    op: 'delete',
    sql: 'delete from workspace_twilio_config where workspace_id = $1 returning id',
    params: [acme],
    expect: serviceOnly,
  },

  // Profiles come and go with memberships; each member edits only their own.
  {
    table: 'member_profiles',
    op: 'select',
    sql: 'select user_id from member_profiles where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'member_profiles',
    op: 'insert',
    sql: `with gone as (delete from member_profiles where workspace_id = $1 and user_id = $2 returning workspace_id, user_id)
          insert into member_profiles (workspace_id, user_id, display_name, avatar_color)
          select workspace_id, user_id, 'Benjamin', '#000000' from gone returning user_id`,
    params: [acme, demo.ben],
    expect: serviceOnly,
  },
  {
    table: 'member_profiles',
    op: 'update',
    sql: `update member_profiles set display_name = 'Benji', avatar_color = '#047857'
           where workspace_id = $1 and user_id = $2 returning user_id`,
    params: [acme, demo.ben],
    expect: { ava: 'none', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' },
  },
  {
    table: 'member_profiles',
    op: 'delete',
    sql: 'delete from member_profiles where workspace_id = $1 returning user_id',
    params: [acme],
    expect: serviceOnly,
  },

  // Any member renames a contact of the workspace; the audit trail records it (20261201170100_contact_renames.sql).
  {
    table: 'contacts',
    op: 'update',
    what: 'name',
    sql: `update contacts set name = 'Maria G.' where id = $1 returning id`,
    params: [maria],
    expect: { ava: 'rows', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' },
  },
  // A contact's number is its conversation's identity (20261201170100_contact_renames.sql):
  // no agent may change it.
  {
    table: 'contacts',
    op: 'update',
    what: 'phone_number',
    sql: `update contacts set phone_number = '+14155550123' where id = $1 returning id`,
    params: [maria],
    expect: { ava: 'denied', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  // Any member assigns a conversation of the workspace; the history is written by the database alone.
  {
    table: 'contacts',
    op: 'update',
    what: 'assignee_id',
    sql: 'update contacts set assignee_id = $2 where id = $1 returning id',
    params: [maria, demo.ben],
    expect: { ava: 'rows', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' },
  },
  {
    table: 'conversation_assignments',
    op: 'select',
    sql: 'select id from conversation_assignments where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'conversation_assignments',
    op: 'insert',
    sql: `insert into conversation_assignments (workspace_id, contact_id, assignee_id, assigned_by)
          values ($1, $2, $3, $3) returning id`,
    params: [acme, maria, demo.ben],
    expect: serviceOnly,
  },
  {
    table: 'conversation_assignments',
    op: 'update',
    sql: 'update conversation_assignments set assignee_id = null where contact_id = $1 returning id',
    params: [maria],
    expect: nobody,
  },
  {
    table: 'conversation_assignments',
    op: 'delete',
    sql: 'delete from conversation_assignments where contact_id = $1 returning id',
    params: [maria],
    expect: nobody,
  },

  // The audit trail: owners and admins read it; triggers and the relay write it; nobody edits it.
  {
    table: 'audit_events',
    op: 'select',
    sql: 'select id from audit_events where workspace_id = $1',
    params: [acme],
    expect: adminsOnly,
  },
  {
    table: 'audit_events',
    op: 'insert',
    sql: `insert into audit_events (workspace_id, action, subject_id) values ($1, 'member.invited', $2) returning id`,
    params: [acme, demo.ben],
    expect: serviceOnly,
  },
  {
    table: 'audit_events',
    op: 'update',
    sql: `update audit_events set action = 'member.added' where workspace_id = $1 returning id`,
    params: [acme],
    expect: nobody,
  },
  {
    table: 'audit_events',
    op: 'delete',
    sql: 'delete from audit_events where workspace_id = $1 returning id',
    params: [acme],
    expect: nobody,
  },

  // The trail's reader: a view that gives owners and admins their own workspace's trail, with names.
  {
    table: 'audit_trail',
    op: 'select',
    sql: 'select id from audit_trail where workspace_id = $1',
    params: [acme],
    // The relay reads audit_events itself; the view keeps to the caller's admin workspaces.
    expect: { ...adminsOnly, service: 'none' },
  },

  // Pending invitations: owners and admins see them; only the relay writes them.
  {
    table: 'workspace_invitations',
    op: 'select',
    sql: 'select id from workspace_invitations where workspace_id = $1',
    params: [acme],
    expect: adminsOnly,
  },
  {
    table: 'workspace_invitations',
    op: 'insert',
    sql: `insert into workspace_invitations (workspace_id, email, role) values ($1, 'new@example.test', 'agent') returning id`,
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'workspace_invitations',
    op: 'update',
    sql: `update workspace_invitations set role = 'admin' where workspace_id = $1 returning id`,
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'workspace_invitations',
    op: 'delete',
    sql: 'delete from workspace_invitations where workspace_id = $1 returning id',
    params: [acme],
    expect: serviceOnly,
  },

  // Notes: members write them as themselves; the author or an admin deletes; nobody edits.
  {
    table: 'internal_notes',
    op: 'select',
    sql: 'select id from internal_notes where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'internal_notes',
    op: 'insert',
    sql: `insert into internal_notes (workspace_id, contact_id, body, mentions, created_by)
          values ($1, $2, 'Call her back after 5', array[$3::uuid], coalesce(auth.uid(), $4::uuid)) returning id`,
    params: [acme, maria, demo.ava, demo.ben],
    expect: { ava: 'rows', ben: 'rows', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'internal_notes',
    op: 'update',
    sql: `update internal_notes set body = 'edited' where contact_id = $1 returning id`,
    params: [maria],
    expect: serviceOnly,
  },
  {
    table: 'internal_notes',
    op: 'delete',
    what: 'of its author (Ben)',
    sql: 'delete from internal_notes where contact_id = $1 returning id',
    params: [maria],
    expect: { ava: 'rows', ben: 'rows', cleo: 'none', anon: 'denied', service: 'rows' },
  },
  {
    table: 'internal_notes',
    op: 'delete',
    what: 'of another author (Ava)',
    sql: 'delete from internal_notes where contact_id = $1 returning id',
    params: [tom],
    expect: { ava: 'rows', ben: 'none', cleo: 'none', anon: 'denied', service: 'rows' },
  },

  // Saved replies: the workspace's (written by admins) and each member's own, seen by that member alone.
  {
    table: 'saved_replies',
    op: 'select',
    what: 'workspace-wide',
    sql: 'select id from saved_replies where workspace_id = $1 and owner_id is null',
    params: [acme],
    expect: readable,
  },
  {
    table: 'saved_replies',
    op: 'select',
    what: "Ben's personal",
    sql: 'select id from saved_replies where workspace_id = $1 and owner_id = $2',
    params: [acme, demo.ben],
    expect: bensOwn,
  },
  {
    table: 'saved_replies',
    op: 'insert',
    what: 'workspace-wide',
    sql: `insert into saved_replies (workspace_id, owner_id, title, body)
          values ($1, null, 'Hours', 'We are open 9 to 5, {{first_name}}.') returning id`,
    params: [acme],
    expect: { ava: 'rows', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'saved_replies',
    op: 'insert',
    what: 'personal, for oneself',
    sql: `insert into saved_replies (workspace_id, owner_id, title, body)
          values ($1, coalesce(auth.uid(), $2::uuid), 'Hours', 'Back tomorrow!') returning id`,
    params: [acme, demo.ben],
    expect: { ava: 'rows', ben: 'rows', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'saved_replies',
    op: 'insert',
    what: 'personal, for Ben',
    sql: `insert into saved_replies (workspace_id, owner_id, title, body)
          values ($1, $2, 'Hours', 'Back tomorrow!') returning id`,
    params: [acme, demo.ben],
    expect: { ava: 'denied', ben: 'rows', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'saved_replies',
    op: 'update',
    what: 'workspace-wide',
    sql: `update saved_replies set body = 'edited' where workspace_id = $1 and owner_id is null returning id`,
    params: [acme],
    expect: adminsOnly,
  },
  {
    table: 'saved_replies',
    op: 'update',
    what: "Ben's personal",
    sql: `update saved_replies set body = 'edited' where workspace_id = $1 and owner_id = $2 returning id`,
    params: [acme, demo.ben],
    expect: bensOwn,
  },
  {
    table: 'saved_replies',
    op: 'update',
    what: "Ben's personal into the workspace's",
    sql: `update saved_replies set owner_id = null where workspace_id = $1 and owner_id = $2 returning id`,
    params: [acme, demo.ben],
    expect: { ava: 'none', ben: 'denied', cleo: 'none', anon: 'denied', service: 'rows' },
  },
  {
    table: 'saved_replies',
    op: 'delete',
    what: 'workspace-wide',
    sql: 'delete from saved_replies where workspace_id = $1 and owner_id is null returning id',
    params: [acme],
    expect: adminsOnly,
  },
  {
    table: 'saved_replies',
    op: 'delete',
    what: "Ben's personal",
    sql: 'delete from saved_replies where workspace_id = $1 and owner_id = $2 returning id',
    params: [acme, demo.ben],
    expect: bensOwn,
  },

  // Consent: the relay records what customers said; the ledger derives the state; agents read both.
  {
    table: 'consent_events',
    op: 'select',
    sql: 'select id from consent_events where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'consent_events',
    op: 'insert',
    sql: `insert into consent_events (workspace_id, contact_id, sender, kind, keyword, source)
          values ($1, $2, '+15550100001', 'opt_in', 'START', 'inbound') returning id`,
    params: [acme, maria],
    expect: serviceOnly,
  },
  {
    table: 'consent_events',
    op: 'update',
    sql: `update consent_events set kind = 'opt_in' where contact_id = $1 returning id`,
    params: [maria],
    expect: { ava: 'denied', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'denied' },
  },
  {
    table: 'consent_events',
    op: 'delete',
    sql: 'delete from consent_events where contact_id = $1 returning id',
    params: [maria],
    expect: nobody,
  },
  {
    table: 'consent_states',
    op: 'select',
    sql: 'select contact_id from consent_states where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'consent_states',
    op: 'insert',
    sql: `insert into consent_states (workspace_id, contact_id, sender, opted_out, event_id, changed_at)
          select workspace_id, contact_id, 'MG00000000000000000000000000000000', false, id, now()
            from consent_events where contact_id = $1 returning contact_id`,
    params: [maria],
    expect: nobody,
  },
  {
    table: 'consent_states',
    op: 'update',
    sql: 'update consent_states set opted_out = false where contact_id = $1 returning contact_id',
    params: [maria],
    expect: nobody,
  },
  {
    table: 'consent_states',
    op: 'delete',
    sql: 'delete from consent_states where contact_id = $1 returning contact_id',
    params: [maria],
    expect: nobody,
  },

  // The key in the topic of a workspace's private channel: its members read it, only the database writes it.
  {
    table: 'workspace_channel_keys',
    op: 'select',
    sql: 'select workspace_id from workspace_channel_keys where workspace_id = $1',
    params: [acme],
    expect: readable,
  },
  {
    table: 'workspace_channel_keys',
    op: 'insert',
    sql: `insert into workspace_channel_keys (workspace_id) values ($1)
          on conflict (workspace_id) do update set key = gen_random_uuid() returning workspace_id`,
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'workspace_channel_keys',
    op: 'update',
    sql: 'update workspace_channel_keys set key = gen_random_uuid() where workspace_id = $1 returning workspace_id',
    params: [acme],
    expect: serviceOnly,
  },
  {
    table: 'workspace_channel_keys',
    op: 'delete',
    sql: 'delete from workspace_channel_keys where workspace_id = $1 returning workspace_id',
    params: [acme],
    expect: serviceOnly,
  },

  // The relay's send leases (beforeAll leases one of Maria's messages): its business alone.
  // The relay's rate-limit buckets: the relay's business alone, as the leases.
  {
    table: 'private.relay_rate_limits',
    op: 'select',
    sql: 'select bucket from private.relay_rate_limits',
    expect: serviceOnly,
  },
  {
    table: 'private.relay_rate_limits',
    op: 'insert',
    sql: `insert into private.relay_rate_limits (bucket, tokens, refilled_at) values ('ip:192.0.2.1', 1, now()) returning bucket`,
    expect: serviceOnly,
  },
  {
    table: 'private.relay_rate_limits',
    op: 'update',
    sql: 'update private.relay_rate_limits set tokens = 100 returning bucket',
    expect: serviceOnly,
  },
  {
    table: 'private.relay_rate_limits',
    op: 'delete',
    sql: 'delete from private.relay_rate_limits returning bucket',
    expect: serviceOnly,
  },
  {
    table: 'private.message_leases',
    op: 'select',
    sql: 'select message_id from private.message_leases',
    expect: serviceOnly,
  },
  {
    table: 'private.message_leases',
    op: 'insert',
    sql: `insert into private.message_leases (message_id, lease_until)
          select id, now() from public.messages
           where contact_id = $1 and id not in (select message_id from private.message_leases)
           limit 1 returning message_id`,
    params: [maria],
    expect: serviceOnly,
  },
  {
    table: 'private.message_leases',
    op: 'update',
    sql: 'update private.message_leases set lease_until = now() returning message_id',
    expect: serviceOnly,
  },
  {
    table: 'private.message_leases',
    op: 'delete',
    sql: 'delete from private.message_leases returning message_id',
    expect: serviceOnly,
  },
  // A workspace's private Realtime channel: Realtime reads (join) and inserts (broadcast,
  // presence) as the caller with the topic set, and never updates or deletes.
  {
    table: 'realtime.messages',
    op: 'select',
    sql: 'select id from realtime.messages where topic = $1',
    params: [acmeChannel],
    topic: acmeChannel,
    expect: { ava: 'rows', ben: 'rows', cleo: 'none', anon: 'none', service: 'rows' },
  },
  {
    table: 'realtime.messages',
    op: 'insert',
    sql: `insert into realtime.messages (topic, extension) values ($1, 'presence') returning id`,
    params: [acmeChannel],
    topic: acmeChannel,
    expect: { ava: 'rows', ben: 'rows', cleo: 'denied', anon: 'denied', service: 'rows' },
  },
  {
    table: 'realtime.messages',
    op: 'select',
    what: 'under a key that is not the current one',
    sql: 'select id from realtime.messages where topic = $1',
    params: [staleAcmeChannel],
    topic: staleAcmeChannel,
    expect: { ava: 'none', ben: 'none', cleo: 'none', anon: 'none', service: 'rows' },
  },
  {
    table: 'realtime.messages',
    op: 'insert',
    what: 'under a key that is not the current one',
    sql: `insert into realtime.messages (topic, extension) values ($1, 'broadcast') returning id`,
    params: [staleAcmeChannel],
    topic: staleAcmeChannel,
    expect: serviceOnly,
  },
  {
    table: 'realtime.messages',
    op: 'insert',
    what: 'on the workspace without its key',
    sql: `insert into realtime.messages (topic, extension) values ($1, 'presence') returning id`,
    params: [`workspace:${acme}`],
    topic: `workspace:${acme}`,
    expect: serviceOnly,
  },
  {
    table: 'realtime.messages',
    op: 'insert',
    what: 'on a topic that names no workspace',
    sql: `insert into realtime.messages (topic, extension) values ($1, 'broadcast') returning id`,
    params: ['workspace:not-a-uuid'],
    topic: 'workspace:not-a-uuid',
    expect: serviceOnly,
  },
  {
    table: 'realtime.messages',
    op: 'update',
    sql: `update realtime.messages set payload = '{}' where topic = $1 returning id`,
    params: [acmeChannel],
    topic: acmeChannel,
    expect: { ava: 'none', ben: 'none', cleo: 'none', anon: 'none', service: 'rows' },
  },
  {
    table: 'realtime.messages',
    op: 'delete',
    sql: 'delete from realtime.messages where topic = $1 returning id',
    params: [acmeChannel],
    topic: acmeChannel,
    expect: { ava: 'denied', ben: 'denied', cleo: 'denied', anon: 'denied', service: 'denied' },
  },
]

beforeAll(async () => {
  // The seed has no relay sends, so no lease; one for the lease rows of the matrix.
  await db.query(
    `insert into private.message_leases (message_id, lease_until)
     select id, now() + interval '1 minute' from public.messages where contact_id = $1 limit 1`,
    [maria],
  )
  // One of each team row in both workspaces, for the matrix and the isolation checks to find.
  await db.query(`update contacts set assignee_id = $2 where id = $1`, [maria, demo.ava])
  await db.query(`update contacts set assignee_id = $2 where id = $1`, [
    demo.contact('Helen Park'),
    demo.cleo,
  ])
  await db.query(
    `insert into internal_notes (workspace_id, contact_id, body, created_by)
     values ($1, $2, 'She prefers texts', $3), ($1, $4, 'Refund approved', $5), ($6, $7, 'VIP', $8)`,
    [acme, maria, demo.ben, tom, demo.ava, demo.globex, demo.contact('Helen Park'), demo.cleo],
  )
  await db.query(
    `insert into saved_replies (workspace_id, owner_id, title, body)
     values ($1, null, 'Shipping', 'Hi {{first_name}}, it ships today.'), ($1, $2, 'Sign-off', 'Cheers, Ben'),
            ($1, $3, 'Sign-off', 'Best, Ava'), ($4, null, 'Hello', 'Hello from Globex')`,
    [acme, demo.ben, demo.ava, demo.globex],
  )
  // Maria and Helen each texted STOP, for the consent rows of the matrix and the isolation checks.
  await db.query(
    `insert into consent_events (workspace_id, contact_id, sender, kind, keyword, source)
     values ($1, $2, '+15550100001', 'opt_out', 'STOP', 'inbound'), ($3, $4, '+15550100002', 'opt_out', 'stop', 'inbound')`,
    [acme, maria, demo.globex, demo.contact('Helen Park')],
  )
  // One pending invitation in each workspace, for the invitation rows and the isolation checks.
  await db.query(
    `insert into workspace_invitations (workspace_id, email, role) values ($1, 'pending@acme.test', 'agent'), ($2, 'pending@globex.test', 'agent')`,
    [acme, demo.globex],
  )
  // One broadcast already on Acme's channel (and one on a stale key's), for the realtime.messages rows to find.
  await db.query(
    `insert into realtime.messages (topic, extension, event, payload)
     values ($1, 'broadcast', 'seed', '{}'), ($2, 'broadcast', 'seed', '{}')`,
    [acmeChannel, staleAcmeChannel],
  )
})
afterAll(async () => {
  await db.close()
})

async function outcome(caller: Actor, test: Case): Promise<Outcome> {
  try {
    const rows = await asCaller(db, actors[caller], async (tx) => {
      if (test.topic) await tx.query(`select set_config('realtime.topic', $1, true)`, [test.topic])
      return (await tx.query(test.sql, test.params ?? [])).rows
    })
    return rows.length > 0 ? 'rows' : 'none'
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return 'denied'
    throw error
  }
}

describe('the RLS matrix: every table × select/insert/update/delete × owner, agent, other workspace, stranger, anon, service role', () => {
  // Every target is Acme's, so a self-registered stranger may do exactly what the member of
  // another workspace may: never more. Cleo getting rows anywhere would break that reading.
  it('no case lets the member of another workspace reach a row', () => {
    expect(matrix.filter((test) => test.expect.cleo === 'rows')).toEqual([])
  })
  const rows = matrix.flatMap((test) =>
    (Object.keys(actors) as Actor[]).map((actor) => ({
      name: `${test.table} ${test.op}${test.what ? ` ${test.what}` : ''}`,
      actor,
      test,
      want: test.expect[actor === 'stranger' ? 'cleo' : actor],
    })),
  )
  it.each(rows)('$name as $actor → $want', async ({ actor, test, want }) => {
    expect(await outcome(actor, test)).toBe(want)
  })
})

describe('the relay’s lease and rate-limit functions: the service role’s alone', () => {
  const calls = [
    `select * from relay_insert_outbound(gen_random_uuid(), '${acme}', '${maria}', 'x', '${demo.ben}', 1000)`,
    `select relay_claim_send('${maria}', 1000, true)`,
    'select * from relay_claim_in_doubt(1000, 10)',
    'select * from relay_claim_status_checks(1000, 60000, 10)',
    "select relay_take_rate_token('agent:matrix', 5, 1)",
    `select relay_save_twilio_config('${acme}', '${demo.ava}', 'AC11111111111111111111111111111111', 'test_token_acme_not_a_secret_0001', null, null)`,
    `select relay_import_number('${acme}', '${demo.ava}', '+15550100001', 'PN11111111111111111111111111111111', null, null, null)`,
    `select relay_audit('${acme}', '${demo.ava}', 'number.webhook_configured', null, '{}')`,
  ]
  const denied = (['ava', 'ben', 'cleo', 'anon'] as const).flatMap((actor) =>
    calls.map((sql) => ({ actor, sql })),
  )
  it.each(denied)('$actor may not call $sql', async ({ actor, sql }) => {
    expect((await pgError(queryAs(db, actors[actor], sql))).code).toBe('42501')
  })
  it.each(calls)('the service role calls %s', async (sql) => {
    await expect(queryAs(db, serviceRole, sql)).resolves.toBeInstanceOf(Array)
  })
})

describe('isolation of whole tables', () => {
  const tables = [
    'workspaces',
    'workspace_members',
    'contacts',
    'messages',
    'twilio_numbers',
    'member_profiles',
    'conversation_assignments',
    'internal_notes',
    'saved_replies',
    'consent_events',
    'consent_states',
    'workspace_channel_keys',
  ]
  it.each(tables)('%s: each member sees exactly their own workspace', async (table) => {
    const column = table === 'workspaces' ? 'id' : 'workspace_id'
    const visible = async (caller: Caller) =>
      (
        await queryAs<{ ws: string }>(db, caller, `select distinct ${column} as ws from ${table} order by 1`)
      ).map((row) => row.ws)
    expect(await visible(user(demo.ben))).toEqual([demo.acme])
    expect(await visible(user(demo.cleo))).toEqual([demo.globex])
    expect(await visible(serviceRole)).toEqual([demo.acme, demo.globex].sort())
    expect((await pgError(visible(anon))).code).toBe('42501')
  })

  it('a self-registered stranger reads no row of any public table, and no workspace channel', async () => {
    const { rows: tables } = await db.query<{ name: string }>(
      `select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname = 'public'`,
    )
    expect(tables.map((table) => table.name)).toContain('public.messages')
    const seen: Record<string, number | 'denied'> = {}
    for (const { name } of tables) {
      seen[name] = await queryAs<{ n: number }>(
        db,
        user(strangerId),
        `select count(*)::int as n from ${name}`,
      )
        .then((rows) => rows[0]!.n)
        .catch((error: { code?: string }) => {
          if (error.code === '42501') return 'denied' as const
          throw error
        })
    }
    expect(Object.entries(seen).filter(([, n]) => n !== 0 && n !== 'denied')).toEqual([])
    for (const workspace of [demo.acme, demo.globex]) {
      const topic = channels[workspace]!
      const visible = await asCaller(db, user(strangerId), async (tx) => {
        await tx.query(`select set_config('realtime.topic', $1, true)`, [topic])
        return (await tx.query('select id from realtime.messages where topic = $1', [topic])).rows
      })
      expect(visible, topic).toEqual([])
    }
  })

  it('a member of another workspace changes nothing even when naming every row', async () => {
    const changed = await asCaller(db, user(demo.cleo), async (tx) => {
      const counts: number[] = []
      for (const sql of [
        `update contacts set name = 'x' where workspace_id = '${demo.acme}'`,
        `delete from messages where workspace_id = '${demo.acme}'`,
        `update twilio_numbers set friendly_name = 'x' where workspace_id = '${demo.acme}'`,
        `delete from workspace_members where workspace_id = '${demo.acme}'`,
      ]) {
        counts.push((await tx.query(sql)).affectedRows ?? -1)
      }
      return counts
    })
    expect(changed).toEqual([0, 0, 0, 0])
  })

  it('an agent cannot set unread_count or the activity columns directly', async () => {
    for (const column of [
      'unread_count = 0',
      `last_message_at = now()`,
      `last_message_preview = 'x'`,
      `workspace_id = '${demo.globex}'`,
    ]) {
      const error = await pgError(
        queryAs(db, user(demo.ben), `update contacts set ${column} where id = $1`, [maria]),
      )
      expect(error.code, column).toBe('42501')
    }
  })

  it('an agent cannot send a message into a contact of another workspace through its own workspace id', async () => {
    const error = await pgError(
      queryAs(
        db,
        user(demo.ben),
        `insert into messages (workspace_id, contact_id, content, direction, created_by) values ($1, $2, 'hi', 'outbound', $3)`,
        [demo.acme, demo.contact('Helen Park'), demo.ben],
      ),
    )
    // The policy refuses it before any foreign key is checked, so the error names no constraint.
    expect(error).toMatchObject({ code: '42501' })
    expect(error).not.toHaveProperty('constraint')
  })
})

describe('the channel key moves when a membership ends', () => {
  const keysAfter = (change: string, params: unknown[]) =>
    asCaller(db, serviceRole, async (tx) => {
      await tx.query(change, params)
      return Object.fromEntries(
        (
          await tx.query<{ workspace_id: string; key: string }>(
            'select workspace_id, key from workspace_channel_keys',
          )
        ).rows.map((row) => [row.workspace_id, workspaceChannelTopic(row)]),
      )
    })

  it('removing a member rotates that workspace’s key, and no other', async () => {
    const after = await keysAfter('delete from workspace_members where workspace_id = $1 and user_id = $2', [
      acme,
      demo.ben,
    ])
    expect(after[acme]).not.toBe(acmeChannel)
    expect(after[demo.globex]).toBe(channels[demo.globex])
  })

  it('a role change keeps the key', async () => {
    const promoted = await keysAfter(
      `update workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2`,
      [acme, demo.ben],
    )
    expect(promoted[acme]).toBe(acmeChannel)
  })

  it('a new workspace has a key from the start, and it goes with the workspace', async () => {
    const keys = await asCaller(db, serviceRole, async (tx) => {
      const created = await tx.query<{ id: string }>(
        `insert into workspaces (name) values ('Initech') returning id`,
      )
      const id = created.rows[0]!.id
      const count = async () =>
        (
          await tx.query<{ n: number }>(
            'select count(*)::int as n from workspace_channel_keys where workspace_id = $1',
            [id],
          )
        ).rows[0]!.n
      const made = await count()
      await tx.query('delete from workspaces where id = $1', [id])
      return [made, await count()]
    })
    expect(keys).toEqual([1, 0])
  })
})

describe('owners are managed only by owners', () => {
  /** Runs `fn` as Cleo after making her an admin of Acme (all rolled back). */
  const asAcmeAdmin = (sql: string, params: unknown[]) =>
    db.transaction(async (tx) => {
      await tx.query(`insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'admin')`, [
        demo.acme,
        demo.cleo,
      ])
      await tx.query(
        `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
        [JSON.stringify({ sub: demo.cleo, role: 'authenticated' })],
      )
      try {
        return (await tx.query(sql, params)).affectedRows
      } finally {
        await tx.rollback()
      }
    })

  it('an admin manages agents', async () => {
    expect(
      await asAcmeAdmin(
        `update workspace_members set role = 'admin' where user_id = $1 and workspace_id = $2`,
        [demo.ben, demo.acme],
      ),
    ).toBe(1)
  })

  it('an admin cannot promote anyone, itself included, to owner', async () => {
    for (const target of [demo.cleo, demo.ben]) {
      const error = await pgError(
        asAcmeAdmin(`update workspace_members set role = 'owner' where user_id = $1 and workspace_id = $2`, [
          target,
          demo.acme,
        ]),
      )
      expect(error.code).toBe('42501')
    }
  })

  it('an admin cannot demote or remove the owner, nor add a new owner', async () => {
    expect(
      await asAcmeAdmin(
        `update workspace_members set role = 'agent' where user_id = $1 and workspace_id = $2`,
        [demo.ava, demo.acme],
      ),
    ).toBe(0)
    expect(
      await asAcmeAdmin(`delete from workspace_members where user_id = $1 and workspace_id = $2`, [
        demo.ava,
        demo.acme,
      ]),
    ).toBe(0)
    // Ben is a member already: RLS refuses the row before the unique key could (23505).
    const error = await pgError(
      asAcmeAdmin(`insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'owner')`, [
        demo.acme,
        demo.ben,
      ]),
    )
    expect(error.code).toBe('42501')
  })
})

describe('Twilio secrets: no route for any agent', () => {
  const secrets = [demo.acmeToken, demo.acmeAccountSid, demo.globexToken, demo.globexAccountSid]
  const leaks = (value: unknown) => secrets.filter((secret) => JSON.stringify(value).includes(secret))
  const agents = [user(demo.ava), user(demo.ben), user(demo.cleo), anon]

  it('only the service role holds a privilege on the secret columns', async () => {
    const { rows } = await db.query<{ role: string; col: string; privilege: string; granted: boolean }>(
      `select r.role, c.col, p.privilege,
              has_column_privilege(r.role, 'public.workspace_twilio_config', c.col, p.privilege) as granted
         from unnest(array['anon', 'authenticated', 'service_role']) r(role),
              unnest(array['account_sid', 'auth_token']) c(col),
              unnest(array['select', 'insert', 'update', 'references']) p(privilege)`,
    )
    expect(rows).toHaveLength(24)
    for (const row of rows)
      expect(row.granted, `${row.role} ${row.privilege} ${row.col}`).toBe(row.role === 'service_role')
  })

  it.each([
    'select auth_token from workspace_twilio_config',
    'select * from workspace_twilio_config',
    'select account_sid from workspace_twilio_config',
  ])('%s is refused for every agent and anon', async (sql) => {
    for (const caller of agents) expect((await pgError(queryAs(db, caller, sql))).code).toBe('42501')
  })

  it('the service role (the relay) reads them', async () => {
    const rows = await queryAs(
      db,
      serviceRole,
      'select auth_token from workspace_twilio_config where workspace_id = $1',
      [demo.acme],
    )
    expect(rows).toEqual([{ auth_token: demo.acmeToken }])
  })

  it('no view readable by an agent exposes them', async () => {
    const { rows: views } = await db.query<{ name: string }>(
      `select format('%I.%I', schemaname, viewname) as name from pg_views
        where schemaname not in ('pg_catalog', 'information_schema')
       union all
       select format('%I.%I', schemaname, matviewname) from pg_matviews`,
    )
    for (const { name } of views) {
      for (const caller of agents) {
        const rows = await queryAs(db, caller, `select * from ${name}`).catch(() => [])
        expect(leaks(rows), name).toEqual([])
      }
    }
  })

  it('no function an agent may execute returns them', async () => {
    const { rows: functions } = await db.query<{ name: string; nargs: number; returns: string }>(
      `select p.oid::regprocedure::text as name, p.pronargs as nargs, format_type(p.prorettype, null) as returns
         from pg_proc p
        where p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
          and p.prokind = 'f'
          and has_function_privilege('authenticated', p.oid, 'execute')`,
    )
    expect(functions.map((f) => f.name)).toContain('workspace_sending_status()')
    for (const fn of functions) {
      if (fn.returns === 'trigger') continue
      if (fn.nargs > 0) {
        // Nothing an agent can call with arguments returns text at all.
        expect(['void', 'integer', 'boolean', 'uuid'], fn.name).toContain(fn.returns)
        continue
      }
      for (const caller of [user(demo.ava), user(demo.ben), user(demo.cleo)]) {
        const rows = await queryAs(db, caller, `select * from ${fn.name.replace(/\(\)$/, '')}()`)
        expect(leaks(rows), fn.name).toEqual([])
      }
    }
  })

  it('workspace_sending_status tells each member only whether its own workspace can send', async () => {
    expect(await queryAs(db, user(demo.ben), 'select * from workspace_sending_status()')).toEqual([
      { workspace_id: demo.acme, is_configured: true, sending_number: '+15550100001' },
    ])
    expect(await queryAs(db, user(demo.cleo), 'select * from workspace_sending_status()')).toEqual([
      { workspace_id: demo.globex, is_configured: true, sending_number: '+15550100002' },
    ])
    expect((await pgError(queryAs(db, anon, 'select * from workspace_sending_status()'))).code).toBe('42501')
  })
})
