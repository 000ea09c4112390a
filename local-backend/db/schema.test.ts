import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite } from '@electric-sql/pglite'
import { openDatabase } from './database.ts'

/*
 * The expectations below are transcribed from the seed schema
 * (shared/seed/database-schema.md), not from our migrations: a migration that
 * drops or renames anything the seed names fails here. The only deliberate
 * departure is workspace_id, TEXT in three seed tables and UUID here (see the
 * comment at the top of the core-schema migration).
 */
interface SeedColumn {
  type: string
  /** The seed's DEFAULT, as Postgres prints it; null when the seed gives none. */
  default: string | null
  notNull: boolean
}
const c = (type: string, def: string | null = null, notNull = false): SeedColumn => ({
  type,
  default: def,
  notNull,
})

const seedColumns: Record<string, Record<string, SeedColumn>> = {
  messages: {
    id: c('uuid', 'gen_random_uuid()', true),
    workspace_id: c('uuid', null, true),
    contact_id: c('uuid', null, true),
    content: c('text', null, true),
    message_type: c('text'),
    sentiment: c('double precision'),
    embedding: c('vector'),
    twilio_sid: c('text'),
    status: c('text', "'pending'::text"),
    created_at: c('timestamp with time zone', 'now()'),
    updated_at: c('timestamp with time zone', 'now()'),
    created_by: c('uuid'),
  },
  twilio_numbers: {
    id: c('uuid', 'extensions.uuid_generate_v4()', true),
    workspace_id: c('uuid', null, true),
    phone_number: c('text', null, true),
    twilio_sid: c('text', null, true),
    friendly_name: c('text'),
    capabilities: c('jsonb'),
    created_at: c('timestamp with time zone', 'now()'),
    updated_at: c('timestamp with time zone', 'now()'),
  },
  workspace_twilio_config: {
    id: c('uuid', 'extensions.uuid_generate_v4()', true),
    workspace_id: c('uuid'),
    account_sid: c('text', null, true),
    auth_token: c('text', null, true),
    webhook_url: c('text'),
    webhook_type: c('text', "'global'::text"),
    is_configured: c('boolean', 'false'),
    created_at: c('timestamp with time zone', 'now()'),
    updated_at: c('timestamp with time zone', 'now()'),
  },
  contacts: {
    id: c('uuid', 'gen_random_uuid()', true),
    phone_number: c('text', null, true),
    workspace_id: c('uuid', null, true),
    name: c('text'),
    email: c('text'),
    conversation_status: c('text', "'Open'::text"),
    unread_count: c('integer', '0'),
    created_at: c('timestamp with time zone', 'now()'),
    updated_at: c('timestamp with time zone', 'now()'),
  },
}

/** The seed's indexes: name → the table and the part of the definition that matters. */
const seedIndexes: Record<string, { table: string; definition: RegExp }> = {
  idx_messages_contact_id: { table: 'messages', definition: /USING btree \(contact_id\)$/ },
  idx_messages_workspace_id: { table: 'messages', definition: /USING btree \(workspace_id\)$/ },
  idx_messages_created_at: { table: 'messages', definition: /USING btree \(created_at DESC\)$/ },
  idx_messages_twilio_sid: {
    table: 'messages',
    definition: /USING btree \(twilio_sid\) WHERE \(twilio_sid IS NOT NULL\)$/,
  },
  twilio_numbers_workspace_id_idx: { table: 'twilio_numbers', definition: /USING btree \(workspace_id\)$/ },
  twilio_numbers_phone_number_idx: { table: 'twilio_numbers', definition: /USING btree \(phone_number\)$/ },
}

/** The seed's constraints, under the names Postgres gives the seed's DDL. */
const seedConstraints: { table: string; name: string; type: 'p' | 'f' | 'c' | 'u'; definition: RegExp }[] = [
  { table: 'messages', name: 'messages_pkey', type: 'p', definition: /^PRIMARY KEY \(id\)$/ },
  {
    table: 'messages',
    name: 'messages_workspace_id_fkey',
    type: 'f',
    definition: /^FOREIGN KEY \(workspace_id\) REFERENCES (public\.)?workspaces\(id\) ON DELETE CASCADE$/,
  },
  {
    table: 'messages',
    name: 'messages_contact_id_fkey',
    type: 'f',
    definition: /^FOREIGN KEY \(contact_id\) REFERENCES (public\.)?contacts\(id\) ON DELETE CASCADE$/,
  },
  {
    table: 'messages',
    name: 'messages_created_by_fkey',
    type: 'f',
    definition: /^FOREIGN KEY \(created_by\) REFERENCES auth\.users\(id\)/,
  },
  {
    table: 'messages',
    name: 'messages_sentiment_check',
    type: 'c',
    definition:
      /^CHECK \(\(\(sentiment >= \('?-1'?(::integer)?\)::double precision\) AND \(sentiment <= \(1\)::double precision\)\)\)$/,
  },
  {
    table: 'messages',
    name: 'messages_status_check',
    type: 'c',
    definition:
      /^CHECK \(\(status = ANY \(ARRAY\['pending'::text, 'sent'::text, 'delivered'::text, 'failed'::text\]\)\)\)$/,
  },
  { table: 'twilio_numbers', name: 'twilio_numbers_pkey', type: 'p', definition: /^PRIMARY KEY \(id\)$/ },
  {
    table: 'workspace_twilio_config',
    name: 'workspace_twilio_config_pkey',
    type: 'p',
    definition: /^PRIMARY KEY \(id\)$/,
  },
  {
    table: 'workspace_twilio_config',
    name: 'workspace_twilio_config_workspace_id_fkey',
    type: 'f',
    definition: /^FOREIGN KEY \(workspace_id\) REFERENCES (public\.)?workspaces\(id\) ON DELETE CASCADE$/,
  },
  {
    table: 'workspace_twilio_config',
    name: 'workspace_twilio_config_workspace_id_key',
    type: 'u',
    definition: /^UNIQUE \(workspace_id\)$/,
  },
  { table: 'contacts', name: 'contacts_pkey', type: 'p', definition: /^PRIMARY KEY \(id\)$/ },
  {
    table: 'contacts',
    name: 'contacts_phone_number_workspace_unique',
    type: 'u',
    definition: /^UNIQUE \(phone_number, workspace_id\)$/,
  },
]

const publicTables = [
  'workspaces',
  'workspace_members',
  'workspace_invitations',
  'contacts',
  'messages',
  'twilio_numbers',
  'workspace_twilio_config',
  'member_profiles',
  'conversation_assignments',
  'internal_notes',
  'saved_replies',
  'audit_events',
  'consent_events',
  'consent_states',
  'workspace_channel_keys',
]

let db: PGlite
beforeAll(async () => {
  db = await openDatabase()
})
afterAll(async () => {
  await db.close()
})

describe("the seed schema's four tables", () => {
  it.each(Object.entries(seedColumns))(
    '%s has every seed column with its type, default and NOT NULL',
    async (table, columns) => {
      const { rows } = await db.query<{
        column_name: string
        data_type: string
        udt_name: string
        domain_base: string | null
        column_default: string | null
        is_nullable: 'YES' | 'NO'
      }>(
        `select c.column_name, c.data_type, c.udt_name, c.column_default, c.is_nullable,
              format_type(t.typbasetype, null) as domain_base
         from information_schema.columns c
         left join pg_type t on t.typname = c.domain_name and c.domain_name is not null
        where c.table_schema = 'public' and c.table_name = $1`,
        [table],
      )
      const actual = new Map(rows.map((row) => [row.column_name, row]))
      for (const [name, expected] of Object.entries(columns)) {
        const column = actual.get(name)
        expect(column, `${table}.${name}`).toBeDefined()
        if (!column) continue
        const type =
          column.domain_base ?? (column.data_type === 'USER-DEFINED' ? column.udt_name : column.data_type)
        expect(type, `${table}.${name} type`).toBe(expected.type)
        if (expected.default !== null)
          expect(column.column_default, `${table}.${name} default`).toBe(expected.default)
        if (expected.notNull) expect(column.is_nullable, `${table}.${name} NOT NULL`).toBe('NO')
      }
    },
  )

  it('messages.embedding is vector(1536) from pgvector in the extensions schema', async () => {
    const { rows } = await db.query<{ type: string; schema: string }>(
      `select format_type(a.atttypid, a.atttypmod) as type, n.nspname as schema
         from pg_attribute a join pg_type t on t.oid = a.atttypid join pg_namespace n on n.oid = t.typnamespace
        where a.attrelid = 'public.messages'::regclass and a.attname = 'embedding'`,
    )
    expect(rows).toEqual([{ type: 'extensions.vector(1536)', schema: 'extensions' }])
  })

  it('uuid-ossp and pgvector live in the extensions schema', async () => {
    const { rows } = await db.query<{ extname: string; schema: string }>(
      `select e.extname, n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname in ('uuid-ossp', 'vector') order by 1`,
    )
    expect(rows).toEqual([
      { extname: 'uuid-ossp', schema: 'extensions' },
      { extname: 'vector', schema: 'extensions' },
    ])
  })

  it.each(Object.entries(seedIndexes))(
    'index %s exists on its table as the seed defines it',
    async (name, expected) => {
      const { rows } = await db.query<{ tablename: string; indexdef: string }>(
        `select tablename, indexdef from pg_indexes where schemaname = 'public' and indexname = $1`,
        [name],
      )
      expect(rows).toHaveLength(1)
      expect(rows[0]!.tablename).toBe(expected.table)
      expect(rows[0]!.indexdef).toMatch(expected.definition)
    },
  )

  it.each(seedConstraints)('constraint $name on $table', async (expected) => {
    const { rows } = await db.query<{ contype: string; definition: string }>(
      `select contype, pg_get_constraintdef(oid) as definition from pg_constraint
        where conrelid = $1::regclass and conname = $2`,
      [`public.${expected.table}`, expected.name],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.contype).toBe(expected.type)
    expect(rows[0]!.definition).toMatch(expected.definition)
  })
})

describe('what the seed leaves out or gets wrong, resolved', () => {
  it('workspace_id is a UUID with a cascading foreign key to workspaces in every table', async () => {
    const { rows } = await db.query<{ table: string; type: string; cascades: boolean }>(
      `select a.attrelid::regclass::text as table, format_type(a.atttypid, a.atttypmod) as type,
              exists (select 1 from pg_constraint k
                       where k.conrelid = a.attrelid and k.contype = 'f' and k.confrelid = 'public.workspaces'::regclass
                         and k.conkey = array[a.attnum] and k.confdeltype = 'c') as cascades
         from pg_attribute a
        where a.attname = 'workspace_id' and not a.attisdropped
          and a.attrelid in (select oid from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r')
        order by 1`,
    )
    expect(rows.map((row) => row.table).sort()).toEqual(publicTables.filter((t) => t !== 'workspaces').sort())
    for (const row of rows) expect(row, row.table).toMatchObject({ type: 'uuid', cascades: true })
  })

  it('workspace_members ties a user to a workspace once, with owner, admin or agent', async () => {
    const { rows } = await db.query<{ conname: string; definition: string }>(
      `select conname, pg_get_constraintdef(oid) as definition from pg_constraint
        where conrelid = 'public.workspace_members'::regclass order by conname`,
    )
    const byName = Object.fromEntries(rows.map((row) => [row.conname, row.definition]))
    expect(byName.workspace_members_workspace_user_unique).toBe('UNIQUE (workspace_id, user_id)')
    expect(byName.workspace_members_user_id_fkey).toMatch(/REFERENCES auth\.users\(id\) ON DELETE CASCADE/)
    expect(byName.workspace_members_role_check).toMatch(/'owner'.*'admin'.*'agent'/)
  })

  it('the product columns exist: direction, last_message_at, last_message_preview', async () => {
    const { rows } = await db.query<{ table_name: string; column_name: string; data_type: string }>(
      `select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public'
          and (table_name, column_name) in (('messages', 'direction'), ('contacts', 'last_message_at'), ('contacts', 'last_message_preview'))
        order by 1, 2`,
    )
    expect(rows).toEqual([
      { table_name: 'contacts', column_name: 'last_message_at', data_type: 'timestamp with time zone' },
      { table_name: 'contacts', column_name: 'last_message_preview', data_type: 'text' },
      { table_name: 'messages', column_name: 'direction', data_type: 'text' },
    ])
  })

  it('twilio_sid is unique per message, and the inbox has its index', async () => {
    const { rows } = await db.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes
        where schemaname = 'public' and indexname in ('messages_twilio_sid_unique', 'contacts_inbox_idx') order by 1`,
    )
    expect(rows[0]!.indexdef).toMatch(
      /USING btree \(workspace_id, conversation_status, last_message_at DESC NULLS LAST\)/,
    )
    expect(rows[1]!.indexdef).toMatch(/CREATE UNIQUE INDEX messages_twilio_sid_unique .*\(twilio_sid\)/)
  })

  // The assignment history and the consent ledger are only ever inserted, so their default replica identity serves;
  // a channel key is only ever updated in place, its key column being the workspace it belongs to, so the default
  // serves there too (Realtime checks an UPDATE against the new row).
  it('what agents follow live is published for Realtime, with full replica identity where rows change', async () => {
    const { rows } = await db.query<{ tablename: string; relreplident: string }>(
      `select p.tablename, c.relreplident from pg_publication_tables p
         join pg_class c on c.oid = format('%I.%I', p.schemaname, p.tablename)::regclass
        where p.pubname = 'supabase_realtime' and p.schemaname = 'public' order by 1`,
    )
    expect(rows).toEqual([
      { tablename: 'consent_events', relreplident: 'd' },
      { tablename: 'consent_states', relreplident: 'f' },
      { tablename: 'contacts', relreplident: 'f' },
      { tablename: 'conversation_assignments', relreplident: 'd' },
      { tablename: 'internal_notes', relreplident: 'f' },
      { tablename: 'member_profiles', relreplident: 'f' },
      { tablename: 'messages', relreplident: 'f' },
      { tablename: 'saved_replies', relreplident: 'f' },
      { tablename: 'workspace_channel_keys', relreplident: 'd' },
      { tablename: 'workspace_members', relreplident: 'f' },
    ])
  })

  it('every table has row-level security and a policy for each of select, insert, update and delete', async () => {
    const { rows } = await db.query<{ relname: string; relrowsecurity: boolean; commands: string[] }>(
      `select c.relname, c.relrowsecurity,
              array(select distinct p.cmd from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname order by 1) as commands
         from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' order by 1`,
    )
    expect(rows.map((row) => row.relname)).toEqual([...publicTables].sort())
    for (const row of rows) {
      expect(row.relrowsecurity, row.relname).toBe(true)
      const commands = row.commands.includes('ALL') ? ['DELETE', 'INSERT', 'SELECT', 'UPDATE'] : row.commands
      expect(commands, row.relname).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE'])
    }
  })

  it('every policy reaches auth.uid() only inside a sub-select, so it runs once per statement', async () => {
    const { rows } = await db.query<{ policyname: string; expression: string }>(
      `select policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expression
         from pg_policies where schemaname = 'public'`,
    )
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      const bare = row.expression.replace(/\(\s*SELECT [a-z_]+\.[a-z_]+\(\) AS [a-z_]+\)/g, '')
      expect(bare, row.policyname).not.toMatch(/auth\.uid\(\)|private\.\w+\(\)/)
    }
  })
})
