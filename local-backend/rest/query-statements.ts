import { countEmbeddedRowSql, withinDeadlineSql } from './bounds.ts'
import type { Rows, Statement } from './pipeline.ts'
import type { CallPlan } from './plan-call.ts'
import type { Conflict, InsertGroup, MutatePlan } from './plan-mutate.ts'
import type { PlannedItem, ReadPlan, ReadTree, Relation } from './plan-read.ts'
import {
  argumentText,
  jsonBodySql,
  orderSql,
  qualified,
  quoteIdent,
  rangeSql,
  SqlParams,
  whereSql,
} from './query-fragments.ts'

/**
 * The statements a plan runs, as PostgREST's QueryBuilder. Each answers with one
 * row of `body` (the JSON text of the answer) and `n` (how many rows it holds);
 * the readers at the end take that back apart.
 */
interface Scope {
  schema: string
  params: SqlParams
  /** Embedded rows are `_e0`, `_e1`, … in the order the select names them. */
  aliases: { next: number }
}

/**
 * The select list over `alias` (a row of the tree's table) plus the conditions that
 * `!inner` embeddings add to the WHERE clause.
 */
function selectSql(
  scope: Scope,
  select: PlannedItem[],
  alias: string,
): { columns: string; conditions: string[] } {
  const columns: string[] = []
  const conditions: string[] = []
  for (const item of select) {
    if (item.kind === 'star') columns.push(`${alias}.*`)
    else if (item.kind === 'field') {
      const ref = `${alias}.${quoteIdent(item.column.name)}`
      columns.push(`${item.cast ? `${ref}::${item.cast}` : ref} as ${quoteIdent(item.label)}`)
    } else {
      const value = embedSql(scope, item.tree, item.relation, alias)
      columns.push(`${value} as ${quoteIdent(item.label)}`)
      if (item.inner)
        conditions.push(item.relation.toOne ? `${value} is not null` : `json_array_length(${value}) > 0`)
    }
  }
  return { columns: columns.join(', '), conditions }
}

/** An embedded resource as a JSON value: its one row as an object, or its rows as an array. */
function embedSql(scope: Scope, tree: ReadTree, relation: Relation, parent: string) {
  const child = `_e${scope.aliases.next++}`
  const nested = selectSql(scope, tree.select, child)
  const join = relation.join
    .map((pair) => `${child}.${quoteIdent(pair.embedded)} = ${parent}.${quoteIdent(pair.parent)}`)
    .concat(
      nested.conditions,
      whereSql(child, tree.conditions, scope.params),
      withinDeadlineSql,
      countEmbeddedRowSql,
    )
    .filter(Boolean)
    .join(' and ')
  const source = `select ${nested.columns} from ${qualified(scope.schema, tree.table.name)} ${child} where ${join}`
  if (relation.toOne) return `(select row_to_json(${child}_r) from (${source} limit 1) ${child}_r)`
  const order = orderSql(child, tree.order)
  return `coalesce((select json_agg(${child}_r) from (${source}${order ? ` order by ${order}` : ''}${rangeSql(tree.range)}) ${child}_r), '[]'::json)`
}

const newScope = (schema: string): Scope => ({ schema, params: new SqlParams(), aliases: { next: 0 } })

/** The page of rows as the answer's body, and with Prefer: count, the count of every matching row. */
export function readStatements(schema: string, plan: ReadPlan): Statement[] {
  const { tree } = plan
  const scope = newScope(schema)
  const selected = selectSql(scope, tree.select, '_t')
  const where = [whereSql('_t', tree.conditions, scope.params), ...selected.conditions, withinDeadlineSql]
    .filter(Boolean)
    .join(' and ')
  const order = orderSql('_t', tree.order)
  const from = `from ${qualified(schema, tree.table.name)} _t${where ? ` where ${where}` : ''}`
  const rowsSql = `select ${selected.columns} ${from}${order ? ` order by ${order}` : ''}${rangeSql(tree.range)}`
  const params = scope.params.values
  const statements = [{ sql: jsonBodySql(plan.media, rowsSql), params }]
  if (plan.count) statements.push({ sql: `select count(*)::int as total ${from}`, params })
  return statements
}

function insertSql(scope: Scope, target: string, group: InsertGroup, conflict: Conflict | undefined) {
  const json = scope.params.add(JSON.stringify(group.rows))
  const list = group.columns.map(quoteIdent).join(', ')
  const source = group.columns.length
    ? `select ${list} from json_populate_recordset(null::${target}, ${json}::json)`
    : `select from json_array_elements(${json}::json)`
  let onConflict = ''
  if (conflict) {
    // A merge sets the columns the rows carry, keys included (QueryBuilder.hs): a row that
    // carries only its key is still merged, and so returned.
    const updates = group.columns
    onConflict = ` on conflict (${conflict.keys.map(quoteIdent).join(', ')})`
    onConflict +=
      conflict.resolution === 'ignore-duplicates' || updates.length === 0
        ? ' do nothing'
        : ` do update set ${updates.map((n) => `${quoteIdent(n)} = excluded.${quoteIdent(n)}`).join(', ')}`
  }
  return `insert into ${target} as _t${group.columns.length ? ` (${list})` : ''} ${source}${onConflict} ${returningInserted}`
}

/**
 * Each changed row whole, and whether it is new: a row an upsert inserted has no xmax,
 * one it updated has its xmax set by the update. The whole row keeps the flag from
 * ever meeting a column of the table.
 */
const returningInserted = 'returning _t as _row, _t.xmax = 0 as _inserted'
const returningChanged = 'returning _t as _row, false as _inserted'

/** Data-modifying statements (all `returningInserted`/`returningChanged`) as CTEs; their rows are gathered in `_m`. */
function mutationsSql(scope: Scope, plan: MutatePlan): string[] {
  const target = qualified(scope.schema, plan.table.name)
  const { mutation } = plan
  if (mutation.kind === 'insert')
    return mutation.groups.map((group) => insertSql(scope, target, group, mutation.conflict))
  if (mutation.kind === 'delete')
    return [
      `delete from ${target} as _t where ${whereSql('_t', mutation.conditions, scope.params)} ${returningChanged}`,
    ]
  // An update that sets no column changes no row, and answers with none.
  if (mutation.columns.length === 0)
    return [`select _t as _row, false as _inserted from ${target} _t where false`]
  const json = scope.params.add(JSON.stringify(mutation.row))
  const where = whereSql('_t', mutation.conditions, scope.params)
  const set = mutation.columns.map((n) => `${quoteIdent(n)} = _p.${quoteIdent(n)}`).join(', ')
  return [
    `update ${target} as _t set ${set} from json_populate_record(null::${target}, ${json}::json) _p where ${where} ${returningChanged}`,
  ]
}

export function mutateStatement(schema: string, plan: MutatePlan): Statement {
  const scope = newScope(schema)
  const statements = mutationsSql(scope, plan)
  const ctes = statements.map((statement, i) => `_s${i} as (${statement})`)
  const all = (column: string) => statements.map((_, i) => `select ${column} from _s${i}`).join(' union all ')
  const gathered = `with ${ctes.join(', ')}, _m as (${all('(_row).*')})`
  const inserted = `(select count(*)::int from (${all('_inserted')}) _i where _inserted) as inserted`
  if (!plan.returning)
    return {
      sql: `${gathered} select null::text as body, count(*)::int as n, ${inserted} from _m`,
      params: scope.params.values,
    }
  const selected = selectSql(scope, plan.returning, '_t')
  const where = selected.conditions.length ? ` where ${selected.conditions.join(' and ')}` : ''
  const body = jsonBodySql(plan.media, `select ${selected.columns} from _m _t${where}`)
  return {
    sql: `${gathered} select _b.body, _b.n, ${inserted} from (${body}) _b`,
    params: scope.params.values,
  }
}

export function callStatements(schema: string, plan: CallPlan): Statement[] {
  const { fn, range } = plan
  const params = new SqlParams()
  const args = plan.args.map(
    ({ arg, value }) =>
      `${quoteIdent(arg.name)} := ${params.add(argumentText(value, arg.type))}::${arg.type}`,
  )
  const call = `${qualified(schema, fn.name)}(${args.join(', ')})`
  let sql: string
  if (fn.returnKind === 'void') sql = `select null::text as body, 0 as n from (select ${call}) _v`
  else if (!fn.returnsSet && fn.returnKind === 'scalar') sql = `select to_json(${call})::text as body, 1 as n`
  else if (!fn.returnsSet) sql = `select row_to_json(_r)::text as body, 1 as n from ${call} _r`
  else if (fn.returnKind === 'scalar')
    sql = `select coalesce(json_agg(_r), '[]'::json)::text as body, count(*)::int as n from (select * from ${call} _r${rangeSql(range)}) _r`
  else sql = jsonBodySql(plan.media, `select * from ${call} _r${rangeSql(range)}`)
  // A GET must not write: a volatile function then fails with 25006 (405), as in PostgREST.
  const readOnly = plan.readOnly ? [{ sql: 'set transaction read only', params: [] }] : []
  return [...readOnly, { sql, params: params.values }]
}

interface ResultSet {
  body: string | null
  n: number
  /** Every matching row, when counted. */
  total: number | null
}

const resultOf = (rows: Rows | undefined, counted?: Rows): ResultSet => ({
  body: rows![0]![0] ?? null,
  n: Number(rows![0]![1]),
  total: counted ? Number(counted[0]![0]) : null,
})

export const readResult = ([rows, counted]: Rows[]): ResultSet => resultOf(rows, counted)
/** A mutation's rows, and how many of them an insert (or upsert) created rather than updated. */
export const mutateResult = ([rows]: Rows[]): ResultSet & { inserted: number } => ({
  ...resultOf(rows),
  inserted: Number(rows![0]![2]),
})
export const callResult = (results: Rows[]): ResultSet => resultOf(results.at(-1))
