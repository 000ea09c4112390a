import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PGlite, Transaction } from '@electric-sql/pglite'
import { z } from 'zod'
import { auditEventRowSchema } from '../../src/shared/rows/audit-events.ts'
import { consentEventRowSchema, consentStateRowSchema } from '../../src/shared/rows/consent.ts'
import { contactRowSchema, storedContactRowSchema } from '../../src/shared/rows/contacts.ts'
import { conversationAssignmentRowSchema } from '../../src/shared/rows/conversation-assignments.ts'
import { internalNoteRowSchema } from '../../src/shared/rows/internal-notes.ts'
import { memberProfileRowSchema } from '../../src/shared/rows/member-profiles.ts'
import { savedReplyRowSchema } from '../../src/shared/rows/saved-replies.ts'
import { messageRowSchema, storedMessageRowSchema } from '../../src/shared/rows/messages.ts'
import { twilioNumberRowSchema, workspaceTwilioConfigRowSchema } from '../../src/shared/rows/twilio.ts'
import {
  workspaceChannelKeyRowSchema,
  workspaceInvitationRowSchema,
  workspaceMemberRowSchema,
  workspaceRowSchema,
  workspaceSendingStatusSchema,
} from '../../src/shared/rows/workspaces.ts'
import { openDatabase } from './database.ts'

/*
 * The row schemas in src/shared/rows are the app's one declaration of each table's
 * shape; every reader and writer derives from them. This holds them against the
 * catalog of a database built from supabase/migrations, so a migration and a
 * schema cannot drift apart unnoticed.
 */

const tables: Record<string, z.ZodObject> = {
  workspaces: workspaceRowSchema,
  workspace_members: workspaceMemberRowSchema,
  workspace_invitations: workspaceInvitationRowSchema,
  workspace_channel_keys: workspaceChannelKeyRowSchema,
  contacts: contactRowSchema,
  messages: messageRowSchema,
  twilio_numbers: twilioNumberRowSchema,
  workspace_twilio_config: workspaceTwilioConfigRowSchema,
  member_profiles: memberProfileRowSchema,
  conversation_assignments: conversationAssignmentRowSchema,
  internal_notes: internalNoteRowSchema,
  saved_replies: savedReplyRowSchema,
  audit_events: auditEventRowSchema,
  consent_events: consentEventRowSchema,
  consent_states: consentStateRowSchema,
}

/** Columns a row schema leaves out on purpose, and why. Anything else missing is drift. */
const omitted: Record<string, Record<string, string>> = {
  messages: {
    embedding:
      'a vector(1536) kept for a future semantic search; no reader or writer of the app touches it, and it would cost 6 KB a row on the wire',
  },
}

/** Rows narrowed for reading: each column they make non-null must be one the database fills by default. */
const stored: [table: string, row: z.ZodObject, stored: z.ZodObject][] = [
  ['contacts', contactRowSchema, storedContactRowSchema],
  ['messages', messageRowSchema, storedMessageRowSchema],
]

type Queryable = Pick<PGlite | Transaction, 'query'>

interface Column {
  name: string
  /** The type, or a domain's base type, as format_type prints it without modifiers. */
  type: string
  nullable: boolean
  hasDefault: boolean
  /** The values a pg enum or a single-column `IN (...)` check allows; null when the column is not an enum. */
  values: string[] | null
}

async function catalogColumns(db: Queryable, table: string): Promise<Map<string, Column>> {
  const { rows } = await db.query<{
    name: string
    type: string
    nullable: boolean
    has_default: boolean
    enum_values: string[] | null
  }>(
    `select a.attname as name,
            format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), null) as type,
            not (a.attnotnull or t.typnotnull) as nullable,
            a.atthasdef as has_default,
            (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e
              where e.enumtypid = a.atttypid) as enum_values
       from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped`,
    [`public.${table}`],
  )
  const checks = await db.query<{ name: string; definition: string }>(
    `select a.attname as name, pg_get_constraintdef(k.oid) as definition
       from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
      where k.conrelid = $1::regclass and k.contype = 'c' and cardinality(k.conkey) = 1`,
    [`public.${table}`],
  )
  const checked = new Map<string, string[]>()
  for (const check of checks.rows) {
    // Postgres prints `col in ('a', 'b')` as `(col = ANY (ARRAY['a'::text, 'b'::text]))`.
    const list = /= ANY \(\(?ARRAY\[(.*)\]\)/.exec(check.definition)?.[1]
    if (list)
      checked.set(
        check.name,
        [...list.matchAll(/'((?:[^']|'')*)'::/g)].map((m) => m[1]!),
      )
  }
  return new Map(
    rows.map((row) => [
      row.name,
      {
        name: row.name,
        type: row.type,
        nullable: row.nullable,
        hasDefault: row.has_default,
        values: row.enum_values ?? checked.get(row.name) ?? null,
      },
    ]),
  )
}

/** The result columns of a set-returning function (`returns table (...)`); a function declares no NOT NULL. */
async function functionColumns(db: Queryable, name: string): Promise<Map<string, Column>> {
  const { rows } = await db.query<{ name: string; type: string }>(
    `select arg.name, format_type(arg.type, null) as type
       from pg_proc p, unnest(p.proargnames, p.proallargtypes, p.proargmodes) as arg(name, type, mode)
      where p.oid = $1::regproc and arg.mode = 't'`,
    [`public.${name}`],
  )
  return new Map(rows.map((row) => [row.name, { ...row, nullable: true, hasDefault: false, values: null }]))
}

interface FieldJson {
  type?: string
  format?: string
  enum?: string[]
  items?: FieldJson
}

const unwrapNullable = (field: z.ZodType): z.ZodType =>
  field instanceof z.ZodNullable ? (field.unwrap() as z.ZodType) : field

/** Whether the column's Postgres type and the field's zod type hold the same values. */
function typeMismatch(column: Column, field: z.ZodType): string | null {
  const inner = unwrapNullable(field)
  if (column.type === 'jsonb' || column.type === 'json') {
    const anyJson = ['text', 1, true, [1], { a: null }].every((value) => inner.safeParse(value).success)
    return anyJson ? null : `${column.type} column, but the schema does not take any JSON value`
  }
  const json = z.toJSONSchema(inner, { io: 'input' }) as FieldJson
  const expected: Record<string, (json: FieldJson) => boolean> = {
    uuid: (j) => j.type === 'string' && j.format === 'uuid',
    text: (j) => j.type === 'string' && j.format !== 'uuid',
    'timestamp with time zone': (j) => j.type === 'string' && j.format === undefined,
    integer: (j) => j.type === 'integer',
    bigint: (j) => j.type === 'integer',
    smallint: (j) => j.type === 'integer',
    'double precision': (j) => j.type === 'number',
    boolean: (j) => j.type === 'boolean',
    'uuid[]': (j) => j.type === 'array' && j.items?.type === 'string' && j.items.format === 'uuid',
  }
  const fits = expected[column.type]
  if (!fits) return `${column.type} column, a type this test does not know how to compare: add it`
  if (!fits(json)) return `${column.type} column, but the schema's type is ${JSON.stringify(json)}`
  const inSchema = json.enum ? [...json.enum].sort() : null
  const inDatabase = column.values ? [...column.values].sort() : null
  if (JSON.stringify(inSchema) !== JSON.stringify(inDatabase))
    return `the database allows ${JSON.stringify(inDatabase ?? 'any value')}, the schema ${JSON.stringify(inSchema ?? 'any value')}`
  return null
}

/** Every way `schema` and the catalog's `columns` disagree, one line each; empty when they agree. */
function drift(
  where: string,
  columns: Map<string, Column>,
  schema: z.ZodObject,
  omit: Record<string, string> = {},
  checkNullability = true,
): string[] {
  const problems: string[] = []
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const column = columns.get(key)
    if (!column) {
      problems.push(`${where}.${key}: in the schema, but no such column`)
      continue
    }
    const acceptsNull = field.safeParse(null).success
    if (checkNullability && column.nullable !== acceptsNull)
      problems.push(
        `${where}.${key}: ${column.nullable ? 'nullable' : 'NOT NULL'} in the database, but the schema ${acceptsNull ? 'accepts' : 'refuses'} null`,
      )
    const mismatch = typeMismatch(column, field)
    if (mismatch) problems.push(`${where}.${key}: ${mismatch}`)
  }
  for (const name of columns.keys()) {
    if (!(name in schema.shape) && !(name in omit))
      problems.push(`${where}.${name}: a column the schema neither has nor lists as omitted`)
  }
  for (const name of Object.keys(omit)) {
    if (!columns.has(name)) problems.push(`${where}.${name}: listed as omitted, but no such column`)
    if (name in schema.shape) problems.push(`${where}.${name}: listed as omitted, yet in the schema`)
  }
  return problems
}

async function tableDrift(db: Queryable): Promise<string[]> {
  const problems: string[] = []
  for (const [table, schema] of Object.entries(tables))
    problems.push(...drift(table, await catalogColumns(db, table), schema, omitted[table]))
  return problems
}

let db: PGlite
beforeAll(async () => {
  db = await openDatabase()
})
afterAll(async () => {
  await db.close()
})

/** Runs `change` and returns the drift it causes, leaving the database as it was. */
async function driftAfter(change: string): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.exec(change)
    const problems = await tableDrift(tx)
    await tx.rollback()
    return problems
  })
}

describe('the row schemas in src/shared/rows', () => {
  it('cover every table the app reads', async () => {
    const { rows } = await db.query<{ name: string }>(
      `select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1`,
    )
    expect(rows.map((row) => row.name)).toEqual(Object.keys(tables).sort())
  })

  it('match the migrated tables column for column: names, nullability, types and allowed values', async () => {
    expect(await tableDrift(db)).toEqual([])
  })

  it('make a column non-null for reading only where the database fills it by default', async () => {
    for (const [table, row, narrowed] of stored) {
      const columns = await catalogColumns(db, table)
      const filled = Object.keys(narrowed.shape).filter(
        (key) =>
          (row.shape[key] as z.ZodType).safeParse(null).success &&
          !(narrowed.shape[key] as z.ZodType).safeParse(null).success,
      )
      expect(filled.length, table).toBeGreaterThan(0)
      for (const key of filled)
        expect(columns.get(key), `${table}.${key}`).toMatchObject({ hasDefault: true })
    }
  })

  it('match workspace_sending_status() by name and type (a function result declares no NOT NULL)', async () => {
    const columns = await functionColumns(db, 'workspace_sending_status')
    expect(drift('workspace_sending_status()', columns, workspaceSendingStatusSchema, {}, false)).toEqual([])
  })
})

describe('a migration that drifts from the schemas', () => {
  it.each([
    [
      'tightens a column',
      'alter table public.contacts alter column name set not null',
      ['contacts.name: NOT NULL in the database, but the schema accepts null'],
    ],
    [
      'renames a column',
      'alter table public.workspaces rename column name to title',
      [
        'workspaces.name: in the schema, but no such column',
        'workspaces.title: a column the schema neither has nor lists as omitted',
      ],
    ],
    [
      'retypes a column',
      'alter table public.twilio_numbers alter column friendly_name type integer using null',
      [expect.stringMatching(/^twilio_numbers\.friendly_name: integer column, but the schema's type is/)],
    ],
    [
      'allows another status',
      `alter table public.messages drop constraint messages_status_check;
       alter table public.messages add constraint messages_status_check
         check (status in ('pending', 'sent', 'delivered', 'failed', 'read'))`,
      [
        'messages.status: the database allows ["delivered","failed","pending","read","sent"], the schema ["delivered","failed","pending","sent"]',
      ],
    ],
    [
      'adds a column',
      'alter table public.contacts add column tags text[]',
      ['contacts.tags: a column the schema neither has nor lists as omitted'],
    ],
    [
      'drops an omitted column',
      'alter table public.messages drop column embedding',
      ['messages.embedding: listed as omitted, but no such column'],
    ],
  ])('%s: the check names it', async (_what, change, expected) => {
    expect(await driftAfter(change)).toEqual(expected)
  })
})
