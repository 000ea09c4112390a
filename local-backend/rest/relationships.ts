import type { Catalog, DbFunction, ForeignKey, Table } from './catalog.ts'

/**
 * The relationships one table or view can embed, as PostgREST's schema cache derives
 * them (SchemaCache.hs, "Resource Embedding" in its docs):
 * - a foreign key is many-to-one from its table and one-to-many back, or one-to-one
 *   both ways when its columns are a unique key of their table;
 * - a view that shows every column of a key's side stands in for that side;
 * - a table whose primary key holds two foreign keys joins their targets many-to-many;
 * - a function taking a row of the origin and returning rows of a table is a computed
 *   relationship, to-one when it returns a single row or is declared `ROWS 1`.
 */
type Cardinality = 'many-to-one' | 'one-to-many' | 'one-to-one' | 'many-to-many'

/** A column of the origin and the column of the target it equals. */
export interface JoinPair {
  origin: string
  target: string
}

export type Relationship =
  | {
      kind: 'key'
      origin: string
      target: string
      cardinality: Exclude<Cardinality, 'many-to-many'>
      constraint: string
      join: JoinPair[]
    }
  | {
      kind: 'junction'
      origin: string
      target: string
      cardinality: 'many-to-many'
      junction: string
      constraints: [string, string]
      /** origin = a column of the origin, target = the junction column equal to it. */
      originJoin: JoinPair[]
      /** origin = a column of the target, target = the junction column equal to it. */
      targetJoin: JoinPair[]
    }
  | { kind: 'computed'; origin: string; target: string; fn: DbFunction; toOne: boolean }

export const isToOne = (relationship: Relationship): boolean =>
  relationship.kind === 'computed'
    ? relationship.toOne
    : relationship.cardinality === 'many-to-one' || relationship.cardinality === 'one-to-one'

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((c) => b.includes(c))

/** The table itself, and each view showing all of `columns`, with the columns renamed as the view names them. */
function standIns(catalog: Catalog, table: string, columns: string[]): { name: string; columns: string[] }[] {
  const found = [{ name: table, columns }]
  for (const view of catalog.tables.values()) {
    if (!view.isView) continue
    const renamed = columns.map(
      (column) =>
        view.columnSources.find((source) => source.table === table && source.tableColumn === column)?.column,
    )
    if (renamed.every((column) => column !== undefined)) found.push({ name: view.name, columns: renamed })
  }
  return found
}

function keyRelationships(catalog: Catalog, fk: ForeignKey): Relationship[] {
  const table = catalog.tables.get(fk.table)
  const oneToOne = table?.uniqueKeys.some((key) => sameSet(key, fk.columns)) ?? false
  const found: Relationship[] = []
  for (const from of standIns(catalog, fk.table, fk.columns)) {
    for (const to of standIns(catalog, fk.refTable, fk.refColumns)) {
      const pairs = from.columns.map((column, i) => ({ origin: column, target: to.columns[i]! }))
      found.push({
        kind: 'key',
        origin: from.name,
        target: to.name,
        cardinality: oneToOne ? 'one-to-one' : 'many-to-one',
        constraint: fk.name,
        join: pairs,
      })
      found.push({
        kind: 'key',
        origin: to.name,
        target: from.name,
        cardinality: oneToOne ? 'one-to-one' : 'one-to-many',
        constraint: fk.name,
        join: pairs.map(({ origin, target }) => ({ origin: target, target: origin })),
      })
    }
  }
  return found
}

function junctionRelationships(catalog: Catalog, junction: Table): Relationship[] {
  const keys = catalog.foreignKeys.filter(
    (fk) => fk.table === junction.name && fk.columns.every((c) => junction.primaryKey.includes(c)),
  )
  const found: Relationship[] = []
  for (const a of keys) {
    for (const b of keys) {
      if (a === b) continue
      found.push({
        kind: 'junction',
        origin: a.refTable,
        target: b.refTable,
        cardinality: 'many-to-many',
        junction: junction.name,
        constraints: [a.name, b.name],
        originJoin: a.refColumns.map((column, i) => ({ origin: column, target: a.columns[i]! })),
        targetJoin: b.refColumns.map((column, i) => ({ origin: column, target: b.columns[i]! })),
      })
    }
  }
  return found
}

function computedRelationships(catalog: Catalog): Relationship[] {
  const found: Relationship[] = []
  for (const overloads of catalog.functions.values()) {
    for (const fn of overloads) {
      const [arg, ...rest] = fn.args
      if (!arg?.rowOf || rest.length > 0 || !fn.returnsTable) continue
      found.push({
        kind: 'computed',
        origin: arg.rowOf,
        target: fn.returnsTable,
        fn,
        toOne: !fn.returnsSet || fn.rowsOne,
      })
    }
  }
  return found
}

/** Every relationship, grouped by the table or view it starts from. */
export function relationshipsOf(catalog: Catalog): Map<string, Relationship[]> {
  const all = [
    ...catalog.foreignKeys.flatMap((fk) => keyRelationships(catalog, fk)),
    ...[...catalog.tables.values()].flatMap((table) => junctionRelationships(catalog, table)),
    ...computedRelationships(catalog),
  ]
  const byOrigin = new Map<string, Relationship[]>()
  for (const relationship of all)
    byOrigin.set(relationship.origin, [...(byOrigin.get(relationship.origin) ?? []), relationship])
  return byOrigin
}

const singleColumn = (relationship: Relationship, side: 'origin' | 'target'): string | undefined =>
  relationship.kind === 'key' && relationship.join.length === 1 ? relationship.join[0]![side] : undefined

/**
 * The relationships `origin?select=target!hint(...)` may mean, as PostgREST's findRel:
 * the target names a table or view, a foreign key, a column of the origin's key, or a
 * function; a hint names a foreign key, a column on either side, or a junction table.
 * A self-referencing key is one-to-many by the table's name and many-to-one by its column.
 */
export function matchRelationships(
  catalog: Catalog,
  candidates: Relationship[],
  target: string,
  hint: string | undefined,
): Relationship[] {
  return candidates.filter((relationship) => {
    if (relationship.kind === 'computed') return relationship.fn.name === target
    const targetIsView = catalog.tables.get(relationship.target)?.isView ?? false
    const constraintIs = (name: string) => relationship.kind === 'key' && relationship.constraint === name
    const named = relationship.target === target
    if (relationship.kind === 'key' && relationship.origin === relationship.target) {
      const toMany = relationship.cardinality === 'one-to-many'
      if (hint === undefined)
        return (named && toMany) || (!toMany && singleColumn(relationship, 'origin') === target)
      // The children are found by their key column (the target side); the key's name is not a hint here.
      return named && toMany && singleColumn(relationship, 'target') === hint
    }
    if (hint === undefined)
      return (
        named || (!targetIsView && (constraintIs(target) || singleColumn(relationship, 'origin') === target))
      )
    return (
      named &&
      (constraintIs(hint) ||
        singleColumn(relationship, 'origin') === hint ||
        singleColumn(relationship, 'target') === hint ||
        (relationship.kind === 'junction' && relationship.junction === hint))
    )
  })
}

/** PostgREST's description of a candidate, for the PGRST201 details. */
export function describeRelationship(relationship: Relationship) {
  const embedding = `${relationship.origin} with ${relationship.target}`
  if (relationship.kind === 'computed')
    return {
      cardinality: relationship.toOne ? 'many-to-one' : 'one-to-many',
      embedding,
      relationship: relationship.fn.name,
    }
  if (relationship.kind === 'junction')
    return {
      cardinality: relationship.cardinality,
      embedding,
      relationship: `${relationship.junction} using ${relationship.constraints.join(' and ')}`,
    }
  const columns = (side: 'origin' | 'target') => relationship.join.map((pair) => pair[side]).join(', ')
  return {
    cardinality: relationship.cardinality,
    embedding,
    relationship: `${relationship.constraint} using ${relationship.origin}(${columns('origin')}) and ${relationship.target}(${columns('target')})`,
  }
}
