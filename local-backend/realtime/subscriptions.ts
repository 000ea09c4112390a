import type { PGlite } from '@electric-sql/pglite'
import { z } from 'zod'
import type { CapturedChange } from './capture.ts'
import { parseFilter, type ResolvedFilter } from './change-filters.ts'

/** One `postgres_changes` binding as the client sends it in the join config. */
export const postgresChangeParamsSchema = z
  .object({
    event: z.string().optional(),
    schema: z.string().optional(),
    table: z.string().optional(),
    filter: z.string().optional(),
    select: z.array(z.string()).optional(),
  })
  .loose()
export type PostgresChangeParams = z.infer<typeof postgresChangeParamsSchema>

type ActionFilter = CapturedChange['action'] | '*'

export interface ResolvedSubscription {
  /** The id the client matches `payload.ids` against. */
  id: number
  action: ActionFilter
  /** Qualified table keys (`schema.table`) this binding covers. */
  tables: string[]
  /** Per table, since one wildcard binding can span tables with different columns. */
  filters: Map<string, ResolvedFilter[]>
  selectColumns: string[] | undefined
}

export const tableKey = (schema: string, table: string) => `${schema}.${table}`

/** A stable integer id for a binding's params, as the hosted server derives one by hashing them. */
export function subscriptionId(params: PostgresChangeParams): number {
  const canonical = JSON.stringify(params, Object.keys(params).sort())
  let hash = 0x811c9dc5
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % 0x7ffffff
}

function actionFilter(event: string | undefined): ActionFilter {
  const upper = event?.toUpperCase()
  return upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*'
}

const subscribeError = (params: PostgresChangeParams, detail?: string) =>
  `Unable to subscribe to changes with given parameters. ${
    detail
      ? `An exception happened so please check your connect parameters: [${describe(params)}]. Exception: ${detail}`
      : `Please check Realtime is enabled for the given connect parameters: [${describe(params)}]`
  }`

function describe(params: PostgresChangeParams): string {
  return `event: ${actionFilter(params.event)}, schema: ${params.schema ?? 'public'}, table: ${params.table ?? '*'}, filters: ${
    params.filter ?? '[]'
  }, select: ${params.select ? params.select.join(',') : 'nil'}`
}

/**
 * Validates a binding against the catalog for the subscriber's role, as hosted
 * Realtime's subscription insert does: the tables must be in the publication, and
 * every filter column must exist and be selectable by the role. Filter values are
 * cast to the column type here, once, so a change is matched without SQL.
 */
export async function resolveSubscription(
  db: PGlite,
  params: PostgresChangeParams,
  role: string,
): Promise<{ ok: true; subscription: ResolvedSubscription } | { ok: false; message: string }> {
  if (params.schema === undefined && params.table === undefined) {
    return {
      ok: false,
      message: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${JSON.stringify(params)}`,
    }
  }
  const schema = params.schema ?? 'public'
  const table = params.table ?? '*'
  const selectColumns = params.select && params.select.length > 0 ? params.select : undefined
  if (selectColumns && (schema === '*' || table === '*')) {
    return {
      ok: false,
      message:
        'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.',
    }
  }
  const parsed = parseFilter(params.filter ?? '')
  if (!parsed.ok) return { ok: false, message: `Error parsing \`filter\` params: ${parsed.message}` }

  const roleExists = await db.query<{ ok: boolean }>('select to_regrole($1) is not null as ok', [role])
  if (!roleExists.rows[0]?.ok)
    return { ok: false, message: subscribeError(params, `role "${role}" does not exist`) }

  const tables = await db.query<{ schemaname: string; tablename: string }>(
    `select schemaname, tablename from pg_catalog.pg_publication_tables
      where pubname = 'supabase_realtime'
        and ($1 = '*' or schemaname = $1) and ($2 = '*' or tablename = $2)
      order by schemaname, tablename`,
    [schema, table],
  )
  if (tables.rows.length === 0) return { ok: false, message: subscribeError(params) }

  const filters = new Map<string, ResolvedFilter[]>()
  for (const { schemaname, tablename } of tables.rows) {
    const resolved: ResolvedFilter[] = []
    for (const filter of parsed.filters) {
      const column = await db.query<{ sql_type: string; type_name: string }>(
        `select format_type(a.atttypid, a.atttypmod) as sql_type, t.typname as type_name
           from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
          where a.attrelid = format('%I.%I', $1::text, $2::text)::regclass and a.attname = $3
            and a.attnum > 0 and not a.attisdropped
            and has_column_privilege($4::text, a.attrelid, a.attnum, 'SELECT')`,
        [schemaname, tablename, filter.column, role],
      )
      const type = column.rows[0]
      if (!type)
        return { ok: false, message: subscribeError(params, `invalid column for filter ${filter.column}`) }
      // The type comes from the catalog, never from the client.
      const cast = filter.op === 'in' ? `${type.sql_type}[]` : type.sql_type
      let values: unknown[]
      try {
        const result = await db.query<{ value: unknown }>(`select to_jsonb($1::${cast}) as value`, [
          filter.raw,
        ])
        const value = result.rows[0]?.value
        values = filter.op === 'in' ? (Array.isArray(value) ? value : []) : [value]
      } catch (error) {
        return {
          ok: false,
          message: subscribeError(params, error instanceof Error ? error.message : String(error)),
        }
      }
      if (filter.op === 'in' && values.length > 100) {
        return { ok: false, message: subscribeError(params, 'too many values for `in` filter. Maximum 100') }
      }
      resolved.push({
        column: filter.column,
        op: filter.op,
        negate: filter.negate,
        values,
        typeName: type.type_name,
      })
    }
    filters.set(tableKey(schemaname, tablename), resolved)
  }
  return {
    ok: true,
    subscription: {
      id: subscriptionId(params),
      action: actionFilter(params.event),
      tables: [...filters.keys()],
      filters,
      selectColumns,
    },
  }
}
