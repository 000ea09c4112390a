import type { EmbeddedParams, ReadRequest } from './api-request.ts'
import { preferenceApplied, type MediaType } from './api-request-headers.ts'
import type { Condition, OrderTerm, Range, SelectItem } from './api-request-params.ts'
import type { Catalog, Column, ForeignKey, Table } from './catalog.ts'
import { ambiguousRelationship, noRelationship, notEmbedded, tableNotFound, unknownColumn } from './errors.ts'

/**
 * The read plan, as PostgREST's ReadPlanTree: the request's names resolved against
 * the catalog into tables, columns and the foreign keys that embed one table in
 * another. Everything a read statement is built from, and nothing about SQL.
 */
export interface Relation {
  toOne: boolean
  /** Pairs of (embedded column, parent column) joining the embedded table to its parent. */
  join: { embedded: string; parent: string }[]
}

export type PlannedItem =
  | { kind: 'star' }
  | { kind: 'field'; label: string; column: Column; cast?: string }
  | { kind: 'embed'; label: string; relation: Relation; tree: ReadTree; inner: boolean }

export interface ReadTree {
  table: Table
  select: PlannedItem[]
  conditions: Condition<Column>[]
  order: OrderTerm<Column>[]
  range: Range
}

export interface ReadPlan {
  tree: ReadTree
  media: MediaType
  /** Count every row the filters match, not just the page (Prefer: count=…). */
  count: boolean
  /** The Preference-Applied header, if any. */
  applied: Record<string, string>
}

export function tableOf(catalog: Catalog, name: string): Table {
  const table = catalog.tables.get(name)
  if (!table) throw tableNotFound(catalog.schema, name)
  return table
}

function columnOf(table: Table, name: string): Column {
  const column = table.columns.get(name)
  if (!column) throw unknownColumn(table.name, name)
  return column
}

export function resolveCondition(table: Table, condition: Condition): Condition<Column> {
  if (condition.kind === 'filter') return { ...condition, column: columnOf(table, condition.column) }
  return { ...condition, conditions: condition.conditions.map((c) => resolveCondition(table, c)) }
}

const resolveOrder = (table: Table, order: OrderTerm[]): OrderTerm<Column>[] =>
  order.map((term) => ({ ...term, column: columnOf(table, term.column) }))

function resolveRelation(catalog: Catalog, parent: Table, target: string, hints: string[]) {
  const table = catalog.tables.get(target)
  if (!table) throw noRelationship(catalog.schema, parent.name, target)
  const hint = hints.find((h) => h !== 'inner' && h !== 'left')
  const matches = (fk: ForeignKey) =>
    hint === undefined || fk.name === hint || (fk.columns.length === 1 && fk.columns[0] === hint)
  const candidates: (Relation & { fk: ForeignKey })[] = []
  for (const fk of catalog.foreignKeys) {
    if (!matches(fk)) continue
    if (fk.table === parent.name && fk.refTable === target) {
      candidates.push({
        fk,
        toOne: true,
        join: fk.columns.map((c, i) => ({ embedded: fk.refColumns[i]!, parent: c })),
      })
    } else if (fk.table === target && fk.refTable === parent.name) {
      candidates.push({
        fk,
        toOne: false,
        join: fk.columns.map((c, i) => ({ embedded: c, parent: fk.refColumns[i]! })),
      })
    }
  }
  let chosen = candidates[0]
  // A composite key that covers a single-column one between the same tables says the same thing; prefer the simplest.
  if (candidates.length > 1) {
    const simplest = Math.min(...candidates.map((c) => c.join.length))
    const sameDirection = candidates.every((c) => c.toOne === candidates[0]!.toOne)
    const narrowed = candidates.filter((c) => c.join.length === simplest)
    if (!sameDirection || narrowed.length !== 1)
      throw ambiguousRelationship(
        parent.name,
        target,
        candidates.map((c) => c.fk.name),
      )
    chosen = narrowed[0]
  }
  if (!chosen) throw noRelationship(catalog.schema, parent.name, target)
  return { table, relation: { toOne: chosen.toOne, join: chosen.join } }
}

const noParams: EmbeddedParams = {
  conditions: [],
  order: [],
  range: { offset: 0, limit: null },
  firstKey: '',
}

/**
 * The tree under `table` for a select list. Each embedding takes the filters, order
 * and range addressed to its path; `paths` collects the paths that exist.
 */
export function planSelect(
  catalog: Catalog,
  table: Table,
  select: SelectItem[],
  embedded: Map<string, EmbeddedParams>,
  path: string[] = [],
  paths = new Set<string>(),
): PlannedItem[] {
  return select.map((item): PlannedItem => {
    if (item.kind === 'star') return item
    if (item.kind === 'field') {
      const column = columnOf(table, item.name)
      return { kind: 'field', label: item.label ?? column.name, column, cast: item.cast }
    }
    const label = item.label ?? item.target
    const resolved = resolveRelation(catalog, table, item.target, item.hints)
    const childPath = [...path, label]
    const key = childPath.join('.')
    paths.add(key)
    const nested = planSelect(catalog, resolved.table, item.select, embedded, childPath, paths)
    const params = embedded.get(key) ?? noParams
    const tree: ReadTree = {
      table: resolved.table,
      select: nested,
      conditions: params.conditions.map((c) => resolveCondition(resolved.table, c)),
      order: resolveOrder(resolved.table, params.order),
      range: params.range,
    }
    return { kind: 'embed', label, relation: resolved.relation, tree, inner: item.hints.includes('inner') }
  })
}

export function planRead(catalog: Catalog, table: Table, request: ReadRequest): ReadPlan {
  const paths = new Set<string>()
  const select = planSelect(catalog, table, request.select, request.embedded, [], paths)
  // Every embedded-resource parameter must name an embedding of this request, as PostgREST insists.
  for (const [path, params] of request.embedded) {
    if (!paths.has(path)) throw notEmbedded(params.firstKey.slice(0, params.firstKey.lastIndexOf('.')))
  }
  const tree: ReadTree = {
    table,
    select,
    conditions: request.conditions.map((c) => resolveCondition(table, c)),
    order: resolveOrder(table, request.order),
    range: request.range,
  }
  const { preferences } = request
  return {
    tree,
    media: request.media,
    count: preferences.count,
    applied: preferenceApplied(preferences, 'read'),
  }
}
