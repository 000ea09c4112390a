import type { Catalog, ForeignKey, Table } from './catalog.ts'
import { badQuery, RestError, unknownColumn } from './errors.ts'

/**
 * Turns PostgREST's URL grammar (select, filters, logic trees, order) into SQL.
 * Every identifier is looked up in the catalog and quoted; every value becomes a
 * text parameter cast to the column's type, so nothing from the URL is ever
 * spliced into the statement.
 */
export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`
export const qualified = (catalog: Catalog, table: string) =>
  `${quoteIdent(catalog.schema)}.${quoteIdent(table)}`

export class Params {
  readonly values: (string | null)[] = []

  /** A text parameter, so the database (not us) converts it to the type it is cast to. */
  add(value: string | null): string {
    this.values.push(value)
    return `$${this.values.length}::text`
  }
}

/** Splits on commas that are not inside parentheses, braces or double quotes. */
export function splitTopLevel(input: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let current = ''
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!
    if (quoted) {
      current += ch
      if (ch === '\\' && i + 1 < input.length) current += input[++i]
      else if (ch === '"') quoted = false
      continue
    }
    if (ch === '"') quoted = true
    else if (ch === '(' || ch === '{') depth++
    else if (ch === ')' || ch === '}') depth--
    if (depth < 0) throw badQuery('"failed to parse" unbalanced parentheses', input)
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  if (depth !== 0 || quoted) throw badQuery('"failed to parse" unbalanced parentheses or quotes', input)
  parts.push(current)
  return parts
}

const unquote = (value: string) =>
  value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1).replace(/\\(.)/g, '$1')
    : value

/** A Postgres array literal of text elements, every element quoted. */
export function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`
}

function column(table: Table, name: string) {
  const col = table.columns.get(name)
  if (!col) throw unknownColumn(table.name, name)
  return col
}

// ---------------------------------------------------------------- filters

const comparison: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }
const patterns: Record<string, string> = { like: 'like', ilike: 'ilike', match: '~', imatch: '~*' }
const containment: Record<string, string> = { cs: '@>', cd: '<@', ov: '&&' }
const isValues: Record<string, string> = {
  null: 'is null',
  not_null: 'is not null',
  true: 'is true',
  false: 'is false',
  unknown: 'is unknown',
}

/** One `op.value` (or `not.op.value`) on a column, as SQL. */
export function filterSql(
  table: Table,
  alias: string,
  columnName: string,
  expression: string,
  params: Params,
): string {
  let negate = false
  let rest = expression
  if (rest.startsWith('not.')) {
    negate = true
    rest = rest.slice(4)
  }
  const dot = rest.indexOf('.')
  if (dot < 0)
    throw badQuery(
      `"failed to parse filter (${expression})"`,
      `unknown operator in ${columnName}=${expression}`,
    )
  const opToken = rest.slice(0, dot)
  const value = rest.slice(dot + 1)
  const col = column(table, columnName)
  const ref = `${alias}.${quoteIdent(col.name)}`
  const modifier = /^(\w+)\((any|all)\)$/.exec(opToken)
  const op = modifier ? modifier[1]! : opToken
  let sql: string

  if (modifier) {
    const quantifier = modifier[2]!
    if (!/^\{.*\}$/s.test(value))
      throw badQuery(`"failed to parse filter (${expression})"`, 'expected a list like {a,b}')
    const items = splitTopLevel(value.slice(1, -1)).map(unquote)
    if (op in comparison) {
      sql = `${ref} ${comparison[op]} ${quantifier}(${params.add(arrayLiteral(items))}::${col.type}[])`
    } else if (op in patterns) {
      const likeItems = op === 'like' || op === 'ilike' ? items.map((p) => p.replaceAll('*', '%')) : items
      sql = `${ref}::text ${patterns[op]} ${quantifier}(${params.add(arrayLiteral(likeItems))}::text[])`
    } else {
      throw badQuery(
        `"failed to parse filter (${expression})"`,
        `operator ${op} does not take (${quantifier})`,
      )
    }
  } else if (op in comparison) {
    sql = `${ref} ${comparison[op]} ${params.add(value)}::${col.type}`
  } else if (op === 'like' || op === 'ilike') {
    sql = `${ref}::text ${op} ${params.add(value.replaceAll('*', '%'))}`
  } else if (op === 'match' || op === 'imatch') {
    sql = `${ref}::text ${patterns[op]} ${params.add(value)}`
  } else if (op === 'in') {
    if (!/^\(.*\)$/s.test(value))
      throw badQuery(`"failed to parse filter (${expression})"`, 'expected a list like (a,b)')
    const inner = value.slice(1, -1)
    const items = inner === '' ? [] : splitTopLevel(inner).map(unquote)
    sql = items.length === 0 ? 'false' : `${ref} = any(${params.add(arrayLiteral(items))}::${col.type}[])`
  } else if (op === 'is') {
    const predicate = isValues[value.toLowerCase()]
    if (!predicate)
      throw badQuery(
        `"failed to parse filter (${expression})"`,
        'is accepts null, not_null, true, false, unknown',
      )
    sql = `${ref} ${predicate}`
  } else if (op === 'isdistinct') {
    sql = `${ref} is distinct from ${params.add(value)}::${col.type}`
  } else if (op in containment) {
    sql = `${ref} ${containment[op]} ${params.add(value)}::${col.type}`
  } else {
    throw badQuery(`"failed to parse filter (${expression})"`, `unknown or unsupported operator: ${op}`)
  }
  return negate ? `not (${sql})` : sql
}

/** `or=(a.eq.1,and(b.gt.2,c.lt.3))` and friends, as postgrest-js's `.or()` / `.not()` emit them. */
export function logicSql(table: Table, alias: string, key: string, value: string, params: Params): string {
  const match = /^(not\.)?(and|or)$/.exec(key)
  if (!match) throw badQuery(`"failed to parse logic tree (${key})"`)
  if (!/^\(.*\)$/s.test(value))
    throw badQuery(`"failed to parse logic tree (${value})"`, 'expected (filter,filter,...)')
  const joiner = match[2] === 'and' ? ' and ' : ' or '
  const terms = splitTopLevel(value.slice(1, -1)).map((term) => {
    const nested = /^(not\.)?(and|or)(\(.*\))$/s.exec(term)
    if (nested) return logicSql(table, alias, `${nested[1] ?? ''}${nested[2]!}`, nested[3]!, params)
    const dot = term.indexOf('.')
    if (dot <= 0) throw badQuery(`"failed to parse logic tree (${value})"`, `bad filter: ${term}`)
    const expression = term.slice(dot + 1)
    return filterSql(table, alias, term.slice(0, dot), unquoteValue(expression), params)
  })
  if (terms.length === 0 || (terms.length === 1 && terms[0] === ''))
    throw badQuery(`"failed to parse logic tree (${value})"`)
  const sql = `(${terms.join(joiner)})`
  return match[1] ? `not ${sql}` : sql
}

/** In a logic tree a scalar value may be double-quoted to carry commas or parentheses. */
function unquoteValue(expression: string): string {
  const parts = /^((?:not\.)?\w+(?:\((?:any|all)\))?\.)(".*")$/s.exec(expression)
  return parts ? `${parts[1]!}${unquote(parts[2]!)}` : expression
}

export const reservedParams = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns'])

/** The WHERE clause of every filter in the query string (empty string: no filter). */
const logicKey = /^(not\.)?(and|or)$/

/** Keys like `messages.direction` or `messages.order` address an embedded resource, not the table. */
export const isEmbeddedKey = (key: string) => key.includes('.') && !logicKey.test(key)

export function whereSql(
  table: Table,
  alias: string,
  query: URLSearchParams,
  params: Params,
  options: { embedded: 'skip' | 'reject' } = { embedded: 'reject' },
): string {
  const conditions: string[] = []
  for (const [key, value] of query) {
    if (reservedParams.has(key)) continue
    if (logicKey.test(key)) {
      conditions.push(logicSql(table, alias, key, value, params))
    } else if (key.includes('.')) {
      if (options.embedded === 'reject') {
        throw badQuery(
          `"failed to parse filter (${key})"`,
          'filters on embedded resources need a select that embeds them',
        )
      }
    } else {
      conditions.push(filterSql(table, alias, key, value, params))
    }
  }
  return conditions.join(' and ')
}

// ---------------------------------------------------------------- order

export function orderSql(table: Table, alias: string, order: string | null): string {
  if (order === null || order === '') return ''
  const terms = splitTopLevel(order).map((term) => {
    const [name, ...modifiers] = term.split('.')
    if (!name || name.includes('('))
      throw badQuery(`"failed to parse order (${order})"`, 'ordering by embedded resources is not supported')
    const col = column(table, name)
    let direction = ''
    let nulls = ''
    for (const modifier of modifiers) {
      if (modifier === 'asc' || modifier === 'desc') direction = ` ${modifier}`
      else if (modifier === 'nullsfirst') nulls = ' nulls first'
      else if (modifier === 'nullslast') nulls = ' nulls last'
      else throw badQuery(`"failed to parse order (${order})"`, `unexpected "${modifier}"`)
    }
    return `${alias}.${quoteIdent(col.name)}${direction}${nulls}`
  })
  return terms.join(', ')
}

// ---------------------------------------------------------------- select and embedding

export interface SelectContext {
  catalog: Catalog
  aliasCounter: { next: number }
  /** The request's query and parameters: filters, order and limits addressed to embedded resources. */
  query: URLSearchParams
  params: Params
  /** The embedded-resource keys some embedding used; any other is an error. */
  consumed: Set<string>
}

interface EmbeddedModifiers {
  conditions: string[]
  order: string
  limit: string
}

/** `<path>.<column>=op.value`, `<path>.or=(...)`, `<path>.order=...`, `<path>.limit=` and `<path>.offset=`. */
function embeddedModifiers(
  context: SelectContext,
  table: Table,
  alias: string,
  path: string,
): EmbeddedModifiers {
  const modifiers: EmbeddedModifiers = { conditions: [], order: '', limit: '' }
  let limit = ''
  let offset = ''
  for (const [key, value] of context.query) {
    if (!key.startsWith(`${path}.`)) continue
    const rest = key.slice(path.length + 1)
    if (rest.includes('.') && !logicKey.test(rest)) continue
    context.consumed.add(key)
    if (rest === 'order') modifiers.order = orderSql(table, alias, value)
    else if (rest === 'limit' || rest === 'offset') {
      if (!/^\d{1,9}$/.test(value)) throw badQuery(`"failed to parse ${rest} (${value})"`)
      if (rest === 'limit') limit = ` limit ${value}`
      else offset = ` offset ${value}`
    } else if (logicKey.test(rest))
      modifiers.conditions.push(logicSql(table, alias, rest, value, context.params))
    else modifiers.conditions.push(filterSql(table, alias, rest, value, context.params))
  }
  modifiers.limit = `${limit}${offset}`
  return modifiers
}

/** Every embedded-resource key must name an embedding of this request, as PostgREST insists. */
export function checkEmbeddedKeys(context: SelectContext) {
  for (const key of context.query.keys()) {
    if (isEmbeddedKey(key) && !context.consumed.has(key)) {
      const path = key.slice(0, key.lastIndexOf('.'))
      throw new RestError(
        400,
        'PGRST108',
        `'${path}' is not an embedded resource in this request`,
        null,
        `Verify that '${path}' is included in the 'select' query parameter.`,
      )
    }
  }
}

interface Relation {
  table: Table
  toOne: boolean
  /** Pairs of (child column, parent column) joining the embedded table to its parent. */
  join: { embedded: string; parent: string }[]
}

function resolveRelation(catalog: Catalog, parent: Table, target: string, hints: string[]): Relation {
  const noRelationship = () =>
    new RestError(
      400,
      'PGRST200',
      `Could not find a relationship between '${parent.name}' and '${target}' in the schema cache`,
      `Searched for a foreign key relationship between '${parent.name}' and '${target}' in the schema '${catalog.schema}', but no matches were found.`,
    )
  const table = catalog.tables.get(target)
  if (!table) throw noRelationship()
  const hint = hints.find((h) => h !== 'inner' && h !== 'left')
  const matches = (fk: ForeignKey, columns: string[]) =>
    hint === undefined || fk.name === hint || (columns.length === 1 && columns[0] === hint)
  const candidates: (Relation & { fk: ForeignKey })[] = []
  for (const fk of catalog.foreignKeys) {
    if (fk.table === parent.name && fk.refTable === target && matches(fk, fk.columns)) {
      candidates.push({
        fk,
        table,
        toOne: true,
        join: fk.columns.map((c, i) => ({ embedded: fk.refColumns[i]!, parent: c })),
      })
    } else if (fk.table === target && fk.refTable === parent.name && matches(fk, fk.columns)) {
      candidates.push({
        fk,
        table,
        toOne: false,
        join: fk.columns.map((c, i) => ({ embedded: c, parent: fk.refColumns[i]! })),
      })
    }
  }
  // A composite key that covers a single-column one between the same tables says the same thing; prefer the simplest.
  if (candidates.length > 1) {
    const simplest = Math.min(...candidates.map((c) => c.join.length))
    const sameDirection = candidates.every((c) => c.toOne === candidates[0]!.toOne)
    const narrowed = candidates.filter((c) => c.join.length === simplest)
    if (sameDirection && narrowed.length === 1) return narrowed[0]!
    throw new RestError(
      300,
      'PGRST201',
      `Could not embed because more than one relationship was found for '${parent.name}' and '${target}'`,
      candidates.map((c) => c.fk.name).join(', '),
      `Try changing '${target}' to one of the following: ${candidates.map((c) => `'${target}!${c.fk.name}'`).join(', ')}.`,
    )
  }
  const only = candidates[0]
  if (!only) throw noRelationship()
  return only
}

const castType = /^[a-z_][a-z0-9_]*(\[\])?$/i

/**
 * The select list over `alias` (a row of `table`) plus the conditions that `!inner`
 * embeddings add to the WHERE clause.
 */
export function selectSql(
  context: SelectContext,
  table: Table,
  alias: string,
  select: string | null,
  path = '',
): { columns: string; conditions: string[] } {
  const items = splitTopLevel(select === null || select === '' ? '*' : select)
  const columns: string[] = []
  const conditions: string[] = []
  for (const rawItem of items) {
    const item = rawItem.trim()
    if (item === '') throw badQuery(`"failed to parse select parameter (${select ?? ''})"`)
    if (item === '*') {
      columns.push(`${alias}.*`)
      continue
    }
    const embed = /^(?:([^:()!]+):)?([^:()!]+)((?:![\w]+)*)\((.*)\)$/s.exec(item)
    if (embed) {
      const [, label, target, hintText, inner] = embed
      const hints = (hintText ?? '').split('!').filter(Boolean)
      const relation = resolveRelation(context.catalog, table, target!, hints)
      const child = `_e${context.aliasCounter.next++}`
      const childPath = path ? `${path}.${label ?? target!}` : (label ?? target!)
      const nested = selectSql(context, relation.table, child, inner!, childPath)
      const scoped = embeddedModifiers(context, relation.table, child, childPath)
      const joinSql = relation.join
        .map((pair) => `${child}.${quoteIdent(pair.embedded)} = ${alias}.${quoteIdent(pair.parent)}`)
        .concat(nested.conditions, scoped.conditions)
        .join(' and ')
      const source = `select ${nested.columns} from ${qualified(context.catalog, relation.table.name)} ${child} where ${joinSql}`
      const value = relation.toOne
        ? `(select row_to_json(${child}_r) from (${source} limit 1) ${child}_r)`
        : `coalesce((select json_agg(${child}_r) from (${source}${scoped.order ? ` order by ${scoped.order}` : ''}${scoped.limit}) ${child}_r), '[]'::json)`
      columns.push(`${value} as ${quoteIdent(label ?? target!)}`)
      if (hints.includes('inner')) {
        conditions.push(relation.toOne ? `${value} is not null` : `json_array_length(${value}) > 0`)
      }
      continue
    }
    if (item.startsWith('...'))
      throw badQuery(
        `"failed to parse select parameter (${select ?? ''})"`,
        'spread embedding is not supported',
      )
    const field = /^(?:([^:]+):(?!:))?([^:]+)(?:::(.+))?$/.exec(item)
    if (!field) throw badQuery(`"failed to parse select parameter (${select ?? ''})"`, `unexpected "${item}"`)
    const [, label, name, cast] = field
    if (name!.includes('->'))
      throw badQuery(`"failed to parse select parameter (${select ?? ''})"`, 'JSON paths are not supported')
    const col = column(table, name!)
    if (cast !== undefined && !castType.test(cast))
      throw badQuery(`"failed to parse select parameter (${select ?? ''})"`, `bad cast "${cast}"`)
    const ref = `${alias}.${quoteIdent(col.name)}`
    columns.push(`${cast ? `${ref}::${cast}` : ref} as ${quoteIdent(label ?? col.name)}`)
  }
  return { columns: columns.join(', '), conditions }
}
