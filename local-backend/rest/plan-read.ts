import type { EmbeddedParams, ReadParams, ReadRequest } from './api-request.ts'
import { preferenceApplied, type MediaType } from './api-request-headers.ts'
import {
  fieldLabel,
  type Aggregate,
  type Condition,
  type JsonStep,
  type OrderTerm,
  type Range,
  type SelectItem,
} from './api-request-params.ts'
import type { Catalog, Column, DbFunction, Table } from './catalog.ts'
import {
  ambiguousRelationship,
  noRelationship,
  duplicateTableAlias,
  notEmbedded,
  tableNotFound,
  unknownColumn,
} from './errors.ts'
import { relationshipHint, tableHint } from './schema-hints.ts'
import { describeRelationship, isToOne, matchRelationships, type Relationship } from './relationships.ts'

/**
 * The read plan, as PostgREST's ReadPlanTree: the request's names resolved against
 * the catalog into tables, columns, computed fields and the relationships that embed
 * one resource in another. Everything a read statement is built from, and nothing about SQL.
 */
export type FieldSource =
  | { kind: 'column'; column: Column }
  /** A function of the row (PostgREST's computed field). */
  | { kind: 'computed'; fn: DbFunction }
  /** `count()`: every row of the group. */
  | { kind: 'rows' }

export interface PlannedField {
  kind: 'field'
  label: string
  source: FieldSource
  jsonPath: JsonStep[]
  cast?: string
  aggregate?: Aggregate
}

export interface PlannedEmbed {
  kind: 'embed'
  label: string
  relationship: Relationship
  toOne: boolean
  tree: ReadTree
  inner: boolean
  spread: boolean
}

export type PlannedItem = { kind: 'star' } | PlannedField | PlannedEmbed

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
  /** The count is the planner's estimate (count=planned). */
  plannedCount: boolean
  /** The Preference-Applied header, if any. */
  applied: Record<string, string>
  /** A HEAD: the page is counted for Content-Range, but no body is built (query-statements). */
  headersOnly: boolean
}

export function tableOf(catalog: Catalog, name: string): Table {
  const table = catalog.tables.get(name)
  if (!table) throw tableNotFound(catalog.schema, name, tableHint(catalog, name))
  return table
}

/**
 * How PostgREST's query names a table, and so how Postgres names it in 42703: the root
 * by its own name, an embedded one as `<table>_<depth>` (Plan.hs addRels), except the
 * target of a junction, which is joined unaliased.
 */
const sqlNameOf = (table: Table, relationship: Relationship, depth: number) =>
  relationship.kind === 'junction' ? table.name : `${table.name}_${depth}`

function columnOf(table: Table, name: string, sqlName: string): Column {
  const column = table.columns.get(name)
  if (!column) throw unknownColumn(sqlName, name)
  return column
}

export function resolveCondition(
  table: Table,
  condition: Condition,
  sqlName = table.name,
): Condition<Column> {
  if (condition.kind === 'filter') return { ...condition, column: columnOf(table, condition.column, sqlName) }
  return { ...condition, conditions: condition.conditions.map((c) => resolveCondition(table, c, sqlName)) }
}

const resolveOrder = (table: Table, order: OrderTerm[], sqlName = table.name): OrderTerm<Column>[] =>
  order.map((term) => ({ ...term, column: columnOf(table, term.column, sqlName) }))

/** A function of one argument, a row of `table`: PostgREST's computed field. */
const computedField = (catalog: Catalog, table: Table, name: string): DbFunction | undefined =>
  catalog.functions
    .get(name)
    ?.find((fn) => fn.args.length === 1 && fn.args[0]!.rowOf === table.name && fn.returnKind !== 'void')

function fieldSource(
  catalog: Catalog,
  table: Table,
  item: SelectItem & { kind: 'field' },
  sqlName: string,
): FieldSource {
  if (item.name === '*') return { kind: 'rows' }
  const column = table.columns.get(item.name)
  if (column) return { kind: 'column', column }
  const fn = computedField(catalog, table, item.name)
  if (fn) return { kind: 'computed', fn }
  // `messages(count)`: a bare `count` where no column has that name counts the rows.
  if (item.name === 'count' && item.jsonPath.length === 0 && !item.aggregate) return { kind: 'rows' }
  throw unknownColumn(sqlName, item.name)
}

function resolveRelationship(catalog: Catalog, parent: Table, target: string, hints: string[]) {
  const hint = hints.find((h) => h !== 'inner' && h !== 'left')
  const candidates = catalog.relationships.get(parent.name) ?? []
  const found = matchRelationships(catalog, candidates, target, hint)
  if (found.length > 1) throw ambiguousRelationship(parent.name, target, found.map(describeRelationship))
  const relationship = found[0]
  if (!relationship)
    throw noRelationship(
      catalog.schema,
      parent.name,
      target,
      hint,
      relationshipHint(catalog, parent.name, target),
    )
  return { table: tableOf(catalog, relationship.target), relationship }
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
  sqlName = table.name,
): PlannedItem[] {
  // Each embedding is joined as `<parent>_<label>_<depth>` (Plan.hs addRels): two that share
  // it, as two unaliased embeds of one table do, make Postgres refuse PostgREST's query.
  const joinAliases = new Set<string>()
  return select.map((item): PlannedItem => {
    if (item.kind === 'star') return item
    if (item.kind === 'field') {
      const source = fieldSource(catalog, table, item, sqlName)
      const aggregate = item.aggregate ?? (source.kind === 'rows' ? { fn: 'count' as const } : undefined)
      return {
        kind: 'field',
        label: fieldLabel({ ...item, aggregate }),
        source,
        jsonPath: item.jsonPath,
        cast: item.cast,
        aggregate,
      }
    }
    const resolved = resolveRelationship(catalog, table, item.target, item.hints)
    const label = item.label ?? item.target
    const childPath = [...path, label]
    const joinAlias = `${table.name}_${label}_${childPath.length}`
    if (joinAliases.has(joinAlias)) throw duplicateTableAlias(joinAlias)
    joinAliases.add(joinAlias)
    const key = childPath.join('.')
    paths.add(key)
    const childName = sqlNameOf(resolved.table, resolved.relationship, childPath.length)
    const nested = planSelect(catalog, resolved.table, item.select, embedded, childPath, paths, childName)
    const params = embedded.get(key) ?? noParams
    const tree: ReadTree = {
      table: resolved.table,
      select: nested,
      conditions: params.conditions.map((c) => resolveCondition(resolved.table, c, childName)),
      order: resolveOrder(resolved.table, params.order, childName),
      range: params.range,
    }
    return {
      kind: 'embed',
      label,
      relationship: resolved.relationship,
      toOne: isToOne(resolved.relationship),
      tree,
      inner: item.hints.includes('inner'),
      spread: item.spread,
    }
  })
}

/** The tree of a read of `table`, its embeddings taking the parameters addressed to them. */
export function planTree(catalog: Catalog, table: Table, request: ReadParams): ReadTree {
  const paths = new Set<string>()
  const select = planSelect(catalog, table, request.select, request.embedded, [], paths)
  // Every embedded-resource parameter must name an embedding of this request, as PostgREST insists.
  for (const [path, params] of request.embedded) {
    if (!paths.has(path)) throw notEmbedded(params.firstKey.slice(0, params.firstKey.lastIndexOf('.')))
  }
  return {
    table,
    select,
    conditions: request.conditions.map((c) => resolveCondition(table, c)),
    order: resolveOrder(table, request.order),
    range: request.range,
  }
}

export function planRead(catalog: Catalog, table: Table, request: ReadRequest): ReadPlan {
  const { preferences } = request
  return {
    tree: planTree(catalog, table, request),
    media: request.media,
    count: preferences.count,
    plannedCount: preferences.plannedCount,
    applied: preferenceApplied(preferences, 'read'),
    headersOnly: request.headersOnly,
  }
}
