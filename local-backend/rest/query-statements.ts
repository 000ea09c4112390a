import type { MediaType } from './api-request-headers.ts'
import { countEmbeddedRowSql, withinDeadlineSql } from './bounds.ts'
import type { Rows, Statement } from './pipeline.ts'
import type { Column } from './catalog.ts'
import type { CallPlan } from './plan-call.ts'
import type { InsertMutation, MutatePlan } from './plan-mutate.ts'
import type { PlannedEmbed, PlannedField, ReadPlan, ReadTree } from './plan-read.ts'
import type { JoinPair, Relationship } from './relationships.ts'
import {
  argumentText,
  bodySql,
  fieldSql,
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
  /** Tables are `_t0`, `_t1`, … and the embeddings joined to them `_j0`, `_j1`, … in select order. */
  aliases: { next: number }
}

/** A read tree as one SELECT: its columns, lateral joins per embedding, filters, grouping, order and page. */
interface NodeQuery {
  columns: string[]
  joins: string[]
  where: string[]
  /** The non-aggregate columns, when any column aggregates. */
  groupBy: string[]
}

/** The names of the columns a tree answers with, in order: what a spread lifts into its parent. */
function outputLabels(tree: ReadTree): string[] {
  return tree.select.flatMap((item) => {
    if (item.kind === 'star') return [...tree.table.columns.keys()]
    if (item.kind === 'field') return [item.label]
    if (item.spread) return outputLabels(item.tree)
    return isEmptyEmbed(item.tree) ? [] : [item.label]
  })
}

/** `users()`: an embedding that answers nothing, there only to filter (with !inner) or be filtered. */
const isEmptyEmbed = (tree: ReadTree): boolean =>
  tree.select.every((item) => item.kind === 'embed' && !item.spread && isEmptyEmbed(item.tree))

function selectFieldSql(scope: Scope, field: PlannedField, alias: string): string {
  const { source } = field
  if (source.kind === 'rows') return `count(*)${field.aggregate?.cast ? `::${field.aggregate.cast}` : ''}`
  const path = field.jsonPath.length ? field.jsonPath : undefined
  let sql =
    source.kind === 'column'
      ? fieldSql(alias, source.column, path, scope.params).ref
      : `${qualified(scope.schema, source.fn.name)}(${alias})`
  if (field.cast) sql = `(${sql})::${field.cast}`
  if (field.aggregate) {
    sql = `${field.aggregate.fn}(${sql})`
    if (field.aggregate.cast) sql = `${sql}::${field.aggregate.cast}`
  }
  return sql
}

/** What the child's rows are read from, and how they join the parent row `parent`. */
function relationshipSource(scope: Scope, relationship: Relationship, child: string, parent: string) {
  const table = (name: string) => qualified(scope.schema, name)
  const equal = (a: string, pairs: JoinPair[], b: string) =>
    pairs.map((pair) => `${a}.${quoteIdent(pair.target)} = ${b}.${quoteIdent(pair.origin)}`)
  switch (relationship.kind) {
    case 'key':
      return { from: `${table(relationship.target)} ${child}`, join: equal(child, relationship.join, parent) }
    case 'junction': {
      const junction = `${child}_x`
      return {
        from: `${table(relationship.target)} ${child}, ${table(relationship.junction)} ${junction}`,
        join: [
          ...equal(junction, relationship.targetJoin, child),
          ...equal(junction, relationship.originJoin, parent),
        ],
      }
    }
    case 'computed':
      return { from: `${qualified(scope.schema, relationship.fn.name)}(${parent}) ${child}`, join: [] }
  }
}

function embedJoin(scope: Scope, embed: PlannedEmbed, parent: string, query: NodeQuery) {
  const n = scope.aliases.next++
  const child = `_t${n}`
  const joined = `_j${n}`
  const source = relationshipSource(scope, embed.relationship, child, parent)
  const sql = treeSql(scope, embed.tree, source.from, child, [...source.join, countEmbeddedRowSql])
  const labels = outputLabels(embed.tree)
  const lifted = labels.map((label) => `${joined}.${quoteIdent(label)}`)
  if (embed.toOne) {
    query.joins.push(`${embed.inner ? 'inner' : 'left'} join lateral (${sql}) ${joined} on true`)
    if (embed.spread) query.columns.push(...lifted.map((ref, i) => `${ref} as ${quoteIdent(labels[i]!)}`))
    else if (!isEmptyEmbed(embed.tree))
      query.columns.push(`row_to_json(${joined}.*)::jsonb as ${quoteIdent(embed.label)}`)
    return
  }
  // A to-many spread answers each column as the array of its values, in the embedding's order.
  const aggregates = embed.spread
    ? labels.map((label) => `json_agg(_s.${quoteIdent(label)})::jsonb as ${quoteIdent(label)}`)
    : []
  const aggregated = `select ${['json_agg(_s)::jsonb as _agg', ...aggregates].join(', ')} from (${sql}) _s`
  query.joins.push(
    `${embed.inner ? 'inner' : 'left'} join lateral (${aggregated}) ${joined} on ${embed.inner ? `${joined}._agg is not null` : 'true'}`,
  )
  if (embed.spread) query.columns.push(...lifted.map((ref, i) => `${ref} as ${quoteIdent(labels[i]!)}`))
  else if (!isEmptyEmbed(embed.tree))
    query.columns.push(`coalesce(${joined}._agg, '[]'::jsonb) as ${quoteIdent(embed.label)}`)
}

/** One tree as a SELECT over `from`, its rows `alias`, with `where` joining it to its parent. */
function treeSql(scope: Scope, tree: ReadTree, from: string, alias: string, where: string[]): string {
  const query: NodeQuery = { columns: [], joins: [], where: [], groupBy: [] }
  let aggregating = false
  for (const item of tree.select) {
    if (item.kind === 'star') {
      query.columns.push(`${alias}.*`)
      query.groupBy.push(...[...tree.table.columns.keys()].map((name) => `${alias}.${quoteIdent(name)}`))
    } else if (item.kind === 'field') {
      const sql = selectFieldSql(scope, item, alias)
      query.columns.push(`${sql} as ${quoteIdent(item.label)}`)
      if (item.aggregate) aggregating = true
      else query.groupBy.push(sql)
    } else {
      const before = query.columns.length
      embedJoin(scope, item, alias, query)
      query.groupBy.push(
        ...query.columns.slice(before).map((column) => column.replace(/ as "(?:[^"]|"")*"$/, '')),
      )
    }
  }
  const conditions = [...where, whereSql(alias, tree.conditions, scope.params), withinDeadlineSql].filter(
    Boolean,
  )
  const order = orderSql(alias, tree.order, scope.params)
  return [
    `select ${query.columns.join(', ')} from ${from}`,
    ...query.joins,
    conditions.length ? `where ${conditions.join(' and ')}` : '',
    aggregating && query.groupBy.length ? `group by ${query.groupBy.join(', ')}` : '',
    order ? `order by ${order}` : '',
    rangeSql(tree.range),
  ]
    .filter(Boolean)
    .join(' ')
}

const newScope = (schema: string): Scope => ({ schema, params: new SqlParams(), aliases: { next: 1 } })

/**
 * The page of rows as the answer's body, and with Prefer: count, the count of every
 * matching row. `from` is what the root reads: its table, or a function's result.
 *
 * A HEAD counts the page without building its body. PostgREST builds it and drops it
 * (Response.hs); the answer is the same, and here the body would cost more than time:
 * the sync's progress counts are HEADs over a whole workspace, and the JSON of 100,000
 * ids grew PGlite's WebAssembly memory, which never shrinks, by 30 MB for good. An
 * EXPLAIN (Accept: …pgrst.plan) still explains the body's statement, as PostgREST's does.
 */
export function readStatements(
  schema: string,
  plan: ReadPlan,
  from = (alias: string, _params: SqlParams) => `${qualified(schema, plan.tree.table.name)} ${alias}`,
): Statement[] {
  const { tree } = plan
  const scope = newScope(schema)
  const rowsSql = treeSql(scope, tree, from('_t0', scope.params), '_t0', [])
  const body =
    plan.headersOnly && !plan.media.plan
      ? `select null::text as body, count(*)::int as n from (${rowsSql}) _r`
      : bodySql(plan.media, rowsSql)
  const statements = [{ sql: body, params: scope.params.values }]
  if (plan.count) {
    const counting = newScope(schema)
    const unpaged = { ...tree, range: { offset: 0, limit: null } }
    const sql = treeSql(counting, unpaged, from('_t0', counting.params), '_t0', [])
    statements.push({
      sql: plan.plannedCount
        ? `explain (format json) select 1 from (${sql}) _c`
        : `select count(*)::int as total from (${sql}) _c`,
      params: counting.params.values,
    })
  }
  return statements
}

/**
 * The payload as JSON: with defaults (missing=default), each row is laid over an object of
 * the defaults, evaluated per row as PostgREST's fromJsonBodyF does, so a key the row
 * carries wins and one it leaves out takes its default.
 */
function payloadSql(scope: Scope, payload: unknown, defaults: Column[], perRow: boolean): string {
  const json = scope.params.add(JSON.stringify(payload))
  if (defaults.length === 0) return `${json}::json`
  const object = `jsonb_build_object(${defaults.map((c) => `${scope.params.add(c.name)}, ${c.defaultSql!}`).join(', ')})`
  return perRow
    ? `(select coalesce(jsonb_agg(${object} || _e.value order by _e.i), '[]') from jsonb_array_elements(${json}::jsonb) with ordinality _e(value, i))::json`
    : `(${object} || ${json}::jsonb)::json`
}

function insertSql(scope: Scope, target: string, { columns, rows, defaults, conflict }: InsertMutation) {
  const json = payloadSql(scope, rows, defaults, true)
  const list = columns.map(quoteIdent).join(', ')
  const source = columns.length
    ? `select ${list} from json_populate_recordset(null::${target}, ${json})`
    : `select from json_array_elements(${json})`
  let onConflict = ''
  if (conflict) {
    // A merge sets every column of the insert, keys included (QueryBuilder.hs): a row that
    // carries only its key is still merged, and so returned.
    onConflict = ` on conflict (${conflict.keys.map(quoteIdent).join(', ')})`
    onConflict +=
      conflict.resolution === 'ignore-duplicates' || columns.length === 0
        ? ' do nothing'
        : ` do update set ${columns.map((n) => `${quoteIdent(n)} = excluded.${quoteIdent(n)}`).join(', ')}`
  }
  return `insert into ${target} as _t${columns.length ? ` (${list})` : ''} ${source}${onConflict} ${returningInserted}`
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
  if (mutation.kind === 'insert') return [insertSql(scope, target, mutation)]
  if (mutation.kind === 'delete')
    return [
      `delete from ${target} as _t where ${whereSql('_t', mutation.conditions, scope.params)} ${returningChanged}`,
    ]
  // An update that sets no column changes no row, and answers with none.
  if (mutation.columns.length === 0)
    return [`select _t as _row, false as _inserted from ${target} _t where false`]
  const json = payloadSql(scope, mutation.row, mutation.defaults, false)
  const where = whereSql('_t', mutation.conditions, scope.params)
  const set = mutation.columns.map((n) => `${quoteIdent(n)} = _p.${quoteIdent(n)}`).join(', ')
  return [
    `update ${target} as _t set ${set} from json_populate_record(null::${target}, ${json}) _p where ${where} ${returningChanged}`,
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
  const tree: ReadTree = {
    table: plan.table,
    select: plan.returning,
    conditions: [],
    order: [],
    range: { offset: 0, limit: null },
  }
  const body = bodySql(plan.media, treeSql(scope, tree, '_m _t0', '_t0', []))
  return {
    sql: `${gathered} select _b.body, _b.n, ${inserted} from (${body}) _b`,
    params: scope.params.values,
  }
}

/**
 * The function called once in the FROM clause, as PostgREST does: named arguments read
 * from one JSON parameter by json_to_record (which parses rows and arrays as their
 * types), an unnamed one passed as its value, or the whole body.
 */
function callSql(schema: string, plan: CallPlan, params: SqlParams): { from: string; call: string } {
  const fn = qualified(schema, plan.fn.name)
  if (plan.body !== undefined)
    return { from: '', call: `${fn}(${params.add(JSON.stringify(plan.body), plan.fn.args[0]!.type)})` }
  const named = plan.args.filter(({ arg }) => arg.name !== '')
  const unnamed = plan.args.find(({ arg }) => arg.name === '')
  if (unnamed)
    return {
      from: '',
      call: `${fn}(${params.add(argumentText(unnamed.value, unnamed.arg.type), unnamed.arg.type)})`,
    }
  if (named.length === 0) return { from: '', call: `${fn}()` }
  const record = Object.fromEntries(named.map(({ arg, value }) => [arg.name, value]))
  const columns = named.map(({ arg }) => `${quoteIdent(arg.name)} ${arg.type}`).join(', ')
  return {
    from: `json_to_record(${params.add(JSON.stringify(record), 'json')}) as _a(${columns}) cross join lateral `,
    call: `${fn}(${named.map(({ arg }) => `${quoteIdent(arg.name)} := _a.${quoteIdent(arg.name)}`).join(', ')})`,
  }
}

export function callStatements(schema: string, plan: CallPlan): Statement[] {
  const { fn, range, tree } = plan
  let statements: Statement[]
  if (tree) {
    // A function returning one row answers one object, as a singular read would.
    const media = { ...plan.media, singular: plan.media.singular || !fn.returnsSet }
    statements = readStatements(
      schema,
      { tree, media, count: plan.count, plannedCount: false, applied: {}, headersOnly: false },
      (alias, params) => {
        const { from, call } = callSql(schema, plan, params)
        return `${from}${call} ${alias}`
      },
    )
  } else {
    const params = new SqlParams()
    const { from, call } = callSql(schema, plan, params)
    const source = from ? `from ${from.replace(/ cross join lateral $/, '')}` : ''
    let sql: string
    if (fn.returnKind === 'void') sql = `select null::text as body, 0 as n from (select ${call} ${source}) _v`
    else if (!fn.returnsSet) sql = `select to_json(${call})::text as body, 1 as n ${source}`
    else
      sql = `select coalesce(json_agg(_r), '[]'::json)::text as body, count(*)::int as n from (select * from ${from}${call} _r${rangeSql(range)}) _r`
    statements = [{ sql, params: params.values }]
  }
  // A GET must not write: a volatile function then fails with 25006 (405), as in PostgREST.
  return plan.readOnly ? [{ sql: 'set transaction read only', params: [] }, ...statements] : statements
}

/** The EXPLAIN of the statement that answers the body, in the format and with the options asked (SqlFragment.hs explainF). */
export function explainStatement(plan: NonNullable<MediaType['plan']>, statement: Statement): Statement {
  return {
    sql: `explain (${[`format ${plan.format}`, ...plan.options].join(', ')}) ${statement.sql}`,
    params: statement.params,
  }
}

interface ResultSet {
  body: string | null
  n: number
  /** Every matching row, when counted. */
  total: number | null
}

/** A count, or EXPLAIN (FORMAT JSON)'s plan, whose top node's row estimate is the planned count. */
function totalOf(counted: unknown): number {
  const plan =
    typeof counted === 'string' && counted.startsWith('[') ? (JSON.parse(counted) as unknown) : counted
  if (!Array.isArray(plan)) return Number(counted)
  return Number((plan as { Plan?: { 'Plan Rows'?: unknown } }[])[0]?.Plan?.['Plan Rows'] ?? 0)
}

const resultOf = (rows: Rows | undefined, counted?: Rows): ResultSet => ({
  body: rows![0]![0] ?? null,
  n: Number(rows![0]![1]),
  total: counted ? totalOf(counted[0]![0]) : null,
})

export const readResult = ([rows, counted]: Rows[]): ResultSet => resultOf(rows, counted)
/** A mutation's rows, and how many of them an insert (or upsert) created rather than updated. */
export const mutateResult = ([rows]: Rows[]): ResultSet & { inserted: number } => ({
  ...resultOf(rows),
  inserted: Number(rows![0]![2]),
})
/** A GET's results start with that of `set transaction read only`. */
export const callResult = (results: Rows[], readOnly: boolean): ResultSet =>
  readResult(readOnly ? results.slice(1) : results)
