import type { InsertRequest, MutateRequest, PayloadRow } from './api-request.ts'
import type { Condition } from './api-request-params.ts'
import type { MediaType, Preferences } from './api-request-headers.ts'
import type { Catalog, Column, Table } from './catalog.ts'
import { badQuery, filterRequired, unknownColumn, unknownPayloadColumn } from './errors.ts'
import { planSelect, resolveCondition, type PlannedItem } from './plan-read.ts'

/**
 * The mutate plan, as PostgREST's MutatePlan: which rows an insert, update or
 * delete touches and with which columns, checked against the catalog, and what it
 * answers with.
 */
export interface InsertGroup {
  /** The columns every row of the group carries. */
  columns: string[]
  rows: PayloadRow[]
}

/** `on conflict (keys)`: merge into or keep the rows already there. */
export interface Conflict {
  keys: string[]
  resolution: NonNullable<Preferences['resolution']>
}

type Mutation =
  | { kind: 'insert'; groups: InsertGroup[]; conflict?: Conflict }
  | { kind: 'update'; columns: string[]; row: PayloadRow; conditions: Condition<Column>[] }
  | { kind: 'delete'; conditions: Condition<Column>[] }

export interface MutatePlan {
  table: Table
  mutation: Mutation
  /** What to select from the changed rows, when the representation is asked for. */
  returning?: PlannedItem[]
  media: MediaType
  /** Say in Content-Range how many rows changed. */
  count: boolean
  rollback: boolean
}

function payloadColumns(table: Table, rows: PayloadRow[], named: string[] | undefined): string[] {
  const names = named ?? [...new Set(rows.flatMap((row) => Object.keys(row)))]
  for (const name of names) if (!table.columns.has(name)) throw unknownPayloadColumn(table.name, name)
  return names
}

function resolveFilters(table: Table, conditions: Condition[], verb: 'UPDATE' | 'DELETE') {
  const resolved = conditions.map((c) => resolveCondition(table, c))
  if (resolved.length === 0) throw filterRequired(verb)
  return resolved
}

function planInsert(table: Table, request: InsertRequest): Mutation {
  const columns = payloadColumns(table, request.rows, request.columns)
  const { resolution, missingDefault } = request.preferences
  let conflict: Conflict | undefined
  if (resolution) {
    const keys = request.onConflict ?? table.primaryKey
    if (keys.length === 0) throw badQuery('on_conflict is required: the table has no primary key')
    for (const key of keys) if (!table.columns.has(key)) throw unknownColumn(table.name, key)
    conflict = { keys, resolution }
  }
  // With `missing=default`, a key a row leaves out takes the column default: rows are
  // grouped by the keys they carry, one INSERT per group, all in the same statement.
  const groups = new Map<string, InsertGroup>()
  for (const row of request.rows) {
    const own = missingDefault ? columns.filter((name) => name in row) : columns
    const key = own.join('\u0000')
    const group = groups.get(key) ?? { columns: own, rows: [] }
    group.rows.push(row)
    groups.set(key, group)
  }
  return { kind: 'insert', groups: [...groups.values()], conflict }
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
        conditions: resolveFilters(table, request.conditions, 'UPDATE'),
      }
    }
    case 'delete':
      return { kind: 'delete', conditions: resolveFilters(table, request.conditions, 'DELETE') }
  }
}

export function planMutate(catalog: Catalog, table: Table, request: MutateRequest): MutatePlan {
  const mutation = planMutation(table, request)
  return {
    table,
    mutation,
    returning: request.select && planSelect(catalog, table, request.select, new Map()),
    media: request.media,
    count: request.preferences.count,
    rollback: request.preferences.rollback,
  }
}
