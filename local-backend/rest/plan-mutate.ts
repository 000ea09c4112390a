import type { InsertRequest, MutateRequest, PayloadRow } from './api-request.ts'
import type { Condition, SelectItem } from './api-request-params.ts'
import { preferenceApplied, type MediaType, type Preferences } from './api-request-headers.ts'
import type { Catalog, Column, Table } from './catalog.ts'
import { filterRequired, unknownColumn, unknownPayloadColumn } from './errors.ts'
import { planSelect, resolveCondition, type PlannedItem } from './plan-read.ts'

/**
 * The mutate plan, as PostgREST's MutatePlan: which rows an insert, update or
 * delete touches and with which columns, checked against the catalog, and what it
 * answers with.
 */
/** `on conflict (keys)`: merge into or keep the rows already there. */
export interface Conflict {
  keys: string[]
  resolution: NonNullable<Preferences['resolution']>
}

/**
 * With `missing=default`, the columns whose default a row takes when it leaves them
 * out; PostgREST evaluates each default once per row, given or not (a sequence advances).
 */
type Defaults = Column[]

export interface InsertMutation {
  kind: 'insert'
  columns: string[]
  rows: PayloadRow[]
  defaults: Defaults
  conflict?: Conflict
}

type Mutation =
  | InsertMutation
  | {
      kind: 'update'
      columns: string[]
      row: PayloadRow
      defaults: Defaults
      conditions: Condition<Column>[]
    }
  | { kind: 'delete'; conditions: Condition<Column>[] }

export interface MutatePlan {
  table: Table
  mutation: Mutation
  /** What to select from the changed rows: the representation, or the key a Location names. */
  returning?: PlannedItem[]
  /** `return=headers-only` on an insert into a table with a primary key: its columns, for Location. */
  location?: string[]
  media: MediaType
  /** Say in Content-Range how many rows changed. */
  count: boolean
  rollback: boolean
  /** Refuse (and undo) an update or delete touching more rows (max-affected with handling=strict). */
  maxAffected?: number
  /** The Preference-Applied header, if any. */
  applied: Record<string, string>
}

function payloadColumns(table: Table, rows: PayloadRow[], named: string[] | undefined): string[] {
  const names = named ?? [...new Set(rows.flatMap((row) => Object.keys(row)))]
  for (const name of names) if (!table.columns.has(name)) throw unknownPayloadColumn(table.name, name)
  return names
}

/** `columns` are known to be the table's (payloadColumns checked them). */
const defaultsOf = (table: Table, columns: string[], missingDefault: boolean): Defaults =>
  missingDefault
    ? columns.map((name) => table.columns.get(name)!).filter((column) => column.defaultSql !== undefined)
    : []

function resolveFilters(table: Table, conditions: Condition[], verb: 'UPDATE' | 'DELETE') {
  const resolved = conditions.map((c) => resolveCondition(table, c))
  if (resolved.length === 0) throw filterRequired(verb)
  return resolved
}

function planInsert(table: Table, request: InsertRequest): Mutation {
  const columns = payloadColumns(table, request.rows, request.columns)
  const { resolution, missingDefault } = request.preferences
  let conflict: Conflict | undefined
  const keys = request.onConflict ?? table.primaryKey
  // Without a key to resolve on, PostgREST inserts plainly (and does not echo the resolution).
  if (resolution && keys.length) {
    for (const key of keys) if (!table.columns.has(key)) throw unknownColumn(table.name, key)
    conflict = { keys, resolution }
  }
  const defaults = defaultsOf(table, columns, missingDefault)
  return { kind: 'insert', columns, rows: request.rows, defaults, conflict }
}

function planMutation(table: Table, request: MutateRequest): Mutation {
  switch (request.action) {
    case 'insert':
      return planInsert(table, request)
    case 'update': {
      const columns = payloadColumns(table, [request.row], request.columns)
      return {
        kind: 'update',
        columns,
        row: request.row,
        defaults: defaultsOf(table, columns, request.preferences.missingDefault),
        conditions: resolveFilters(table, request.conditions, 'UPDATE'),
      }
    }
    case 'delete':
      return { kind: 'delete', conditions: resolveFilters(table, request.conditions, 'DELETE') }
  }
}

export function planMutate(catalog: Catalog, table: Table, request: MutateRequest): MutatePlan {
  const mutation = planMutation(table, request)
  const { preferences } = request
  const location =
    mutation.kind === 'insert' && preferences.return === 'headers-only' && table.primaryKey.length
      ? table.primaryKey
      : undefined
  const select =
    request.select ?? location?.map((name): SelectItem => ({ kind: 'field', name, jsonPath: [] }))
  return {
    table,
    mutation,
    returning: select && planSelect(catalog, table, select, new Map()),
    location,
    media: request.media,
    count: preferences.count,
    rollback: preferences.rollback,
    maxAffected: mutation.kind === 'insert' ? undefined : preferences.maxAffected,
    applied: preferenceApplied(preferences, mutation.kind, mutation.kind !== 'insert' || !!mutation.conflict),
  }
}
