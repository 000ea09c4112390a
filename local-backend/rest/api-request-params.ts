import { badQuery } from './errors.ts'

/**
 * PostgREST's URL grammar (select, filters, logic trees, order, limit and offset)
 * parsed into trees of names and values. Nothing here knows the schema: the plan
 * checks every name against the catalog, and the query turns the trees into SQL.
 * The trees are generic in how a column is named, so the plan's resolved trees
 * share their shape. Operator names live here; their SQL (query-fragments.ts) is a
 * Record over these names, so a new operator cannot reach SQL untranslated.
 */
const comparisonOperators = ['eq', 'gt', 'gte', 'lt', 'lte'] as const
export const patternOperators = ['like', 'ilike', 'match', 'imatch'] as const
/** Containment and overlap (arrays, ranges, JSON) and the range-only positions. */
const rangeOperators = ['cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj'] as const
const ftsOperators = ['fts', 'plfts', 'phfts', 'wfts'] as const
const isValues = ['null', 'not_null', 'true', 'false', 'unknown'] as const

/** PostgREST's QuantOperator: the operators `(any)` and `(all)` apply to (not neq). */
type QuantifiableOperator = (typeof comparisonOperators)[number] | (typeof patternOperators)[number]
export type ScalarOperator = QuantifiableOperator | (typeof rangeOperators)[number] | 'neq' | 'isdistinct'
export type FtsOperator = (typeof ftsOperators)[number]
export type IsValue = (typeof isValues)[number]

const quantifiableOperators: readonly QuantifiableOperator[] = [...comparisonOperators, ...patternOperators]
const scalarOperators: readonly ScalarOperator[] = [
  ...quantifiableOperators,
  ...rangeOperators,
  'neq',
  'isdistinct',
]
export const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value)

export type Operation =
  | { kind: 'scalar'; operator: ScalarOperator; value: string }
  | { kind: 'quantified'; operator: QuantifiableOperator; quantifier: 'any' | 'all'; values: string[] }
  | { kind: 'in'; values: string[] }
  | { kind: 'is'; value: IsValue }
  /** `fts(english).fat & cat`: the language is a text search configuration. */
  | { kind: 'fts'; operator: FtsOperator; language?: string; value: string }

/** One `->` (the JSON value) or `->>` (its text) step; a key of digits indexes an array. */
export interface JsonStep {
  arrow: '->' | '->>'
  key: string
  index: boolean
}

/** A column and the JSON path into it: `data->tags->>0`. */
export interface Field {
  name: string
  /** Absent when the field is the column itself. */
  jsonPath?: JsonStep[]
}

interface Filter<C = string> {
  kind: 'filter'
  column: C
  jsonPath?: JsonStep[]
  negate: boolean
  operation: Operation
}

interface Logic<C = string> {
  kind: 'logic'
  negate: boolean
  operator: 'and' | 'or'
  conditions: Condition<C>[]
}

export type Condition<C = string> = Filter<C> | Logic<C>

export interface OrderTerm<C = string> {
  column: C
  jsonPath: JsonStep[]
  direction?: 'asc' | 'desc'
  nulls?: 'first' | 'last'
}

export interface Range {
  offset: number
  limit: number | null
}

/**
 * How deep a request may nest, checked while parsing so that a pathological
 * request costs no more than a legal one. The app's deepest select embeds one
 * level (a membership's workspace) and its deepest filter is a flat `or` of two;
 * PostgREST's own docs never go past three levels of either. Four times that is
 * still nothing a real client sends, while a request nested thousands deep (the
 * URL allows ~2,500) would otherwise exhaust the parser's stack or Postgres's.
 * Fan-out (how many rows the embeddings multiply into) is bounded when the read
 * runs, in bounds.ts.
 */
const maxEmbedDepth = 8
const maxEmbeds = 32
const maxLogicDepth = 12

export const aggregateFunctions = ['count', 'sum', 'avg', 'min', 'max'] as const
export type AggregateFunction = (typeof aggregateFunctions)[number]

export interface Aggregate {
  fn: AggregateFunction
  /** `id.sum()::text`: the cast applied to the aggregate's result. */
  cast?: string
}

export type SelectItem =
  | { kind: 'star' }
  /** `count()` on its own counts rows: its name is `*`. */
  | {
      kind: 'field'
      label?: string
      name: string
      jsonPath: JsonStep[]
      cast?: string
      aggregate?: Aggregate
    }
  | {
      kind: 'embed'
      label?: string
      target: string
      hints: string[]
      /** `...target(...)`: the embedded columns join the parent's row instead of nesting in it. */
      spread: boolean
      select: SelectItem[]
    }

/** Splits on commas that are not inside parentheses, braces or double quotes. */
function splitTopLevel(input: string): string[] {
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

const nonNegativeInt = /^\d{1,9}$/

export function parseCount(name: 'limit' | 'offset', value: string): number {
  if (!nonNegativeInt.test(value)) throw badQuery(`"failed to parse ${name} (${value})"`)
  return Number(value)
}

/** `name`, or `name->key->>0` with a JSON path; the name and each key may be double-quoted (`"a b"`). */
export function parseField(text: string): Field {
  const [quotedName, ...rest] = text.split(/(->>?)/)
  const name = unquote(quotedName!)
  if (rest.length === 0) return { name }
  const jsonPath: JsonStep[] = []
  for (let i = 0; i < rest.length; i += 2) {
    const key = unquote(rest[i + 1]!)
    if (!name || key === '') throw badQuery(`"failed to parse json path (${text})"`)
    jsonPath.push({ arrow: rest[i] as JsonStep['arrow'], key, index: /^-?\d+$/.test(key) })
  }
  return { name, jsonPath }
}

/** `fts`, or `fts(english)` with a text search configuration. */
const ftsToken = new RegExp(`^(${ftsOperators.join('|')})(?:\\(([^()]+)\\))?$`)

/** One `op.value` (or `not.op.value`) on a field. */
export function parseFilter(fieldText: string, expression: string): Filter {
  const { name: column, jsonPath } = parseField(fieldText)
  const negate = expression.startsWith('not.')
  const rest = negate ? expression.slice(4) : expression
  const dot = rest.indexOf('.')
  const failed = `"failed to parse filter (${expression})"`
  if (dot < 0) throw badQuery(failed, `unknown operator in ${column}=${expression}`)
  const token = rest.slice(0, dot)
  const value = rest.slice(dot + 1)
  const modifier = /^(\w+)\((any|all)\)$/.exec(token)
  let operation: Operation

  if (modifier) {
    const operator = modifier[1]!
    const quantifier = modifier[2] as 'any' | 'all'
    if (!/^\{.*\}$/s.test(value)) throw badQuery(failed, 'expected a list like {a,b}')
    const values = splitTopLevel(value.slice(1, -1)).map(unquote)
    if (!isOneOf(quantifiableOperators, operator))
      throw badQuery(failed, `operator ${operator} does not take (${quantifier})`)
    operation = { kind: 'quantified', operator, quantifier, values }
  } else if (token === 'in') {
    if (!/^\(.*\)$/s.test(value)) throw badQuery(failed, 'expected a list like (a,b)')
    const inner = value.slice(1, -1)
    operation = { kind: 'in', values: inner === '' ? [] : splitTopLevel(inner).map(unquote) }
  } else if (token === 'is') {
    const is = value.toLowerCase()
    if (!isOneOf(isValues, is)) throw badQuery(failed, 'is accepts null, not_null, true, false, unknown')
    operation = { kind: 'is', value: is }
  } else if (isOneOf(scalarOperators, token)) {
    operation = { kind: 'scalar', operator: token, value }
  } else if (ftsToken.test(token)) {
    const [, operator, language] = ftsToken.exec(token) as unknown as [string, FtsOperator, string?]
    operation = { kind: 'fts', operator, language, value }
  } else {
    throw badQuery(failed, `unknown or unsupported operator: ${token}`)
  }
  return { kind: 'filter', column, ...(jsonPath && { jsonPath }), negate, operation }
}

export const logicKey = /^(not\.)?(and|or)$/

/** `or=(a.eq.1,and(b.gt.2,c.lt.3))` and friends, as postgrest-js's `.or()` / `.not()` emit them; `key` matches logicKey. */
export function parseLogic(key: string, value: string, depth = 1): Logic {
  const [, not, operator] = logicKey.exec(key) as unknown as [string, string | undefined, 'and' | 'or']
  const failed = `"failed to parse logic tree (${value})"`
  if (depth > maxLogicDepth)
    throw badQuery(failed, `logic trees may nest at most ${maxLogicDepth} levels deep`)
  if (!/^\(.*\)$/s.test(value)) throw badQuery(failed, 'expected (filter,filter,...)')
  const conditions = splitTopLevel(value.slice(1, -1)).map((term): Condition => {
    const nested = /^((?:not\.)?(?:and|or))(\(.*\))$/s.exec(term)
    if (nested) return parseLogic(nested[1]!, nested[2]!, depth + 1)
    const dot = term.indexOf('.')
    if (dot <= 0) throw badQuery(failed, `bad filter: ${term}`)
    return parseFilter(term.slice(0, dot), unquoteValue(term.slice(dot + 1)))
  })
  return { kind: 'logic', negate: not !== undefined, operator, conditions }
}

/** In a logic tree a scalar value may be double-quoted to carry commas or parentheses. */
function unquoteValue(expression: string): string {
  const parts = /^((?:not\.)?\w+(?:\((?:any|all)\))?\.)(".*")$/s.exec(expression)
  return parts ? `${parts[1]!}${unquote(parts[2]!)}` : expression
}

const parseOrderField = (field: string): OrderTerm => {
  const { name, jsonPath } = parseField(field)
  return { column: name, jsonPath: jsonPath ?? [] }
}

export function parseOrder(order: string | null): OrderTerm[] {
  if (order === null || order === '') return []
  const failed = `"failed to parse order (${order})"`
  return splitTopLevel(order).map((term) => {
    const [field, ...modifiers] = term.split('.')
    if (!field || field.includes('('))
      throw badQuery(failed, 'ordering by embedded resources is not supported')
    const parsed: OrderTerm = parseOrderField(field)
    for (const modifier of modifiers) {
      if (modifier === 'asc' || modifier === 'desc') parsed.direction = modifier
      else if (modifier === 'nullsfirst') parsed.nulls = 'first'
      else if (modifier === 'nullslast') parsed.nulls = 'last'
      else throw badQuery(failed, `unexpected "${modifier}"`)
    }
    return parsed
  })
}

const castType = /^[a-z_][a-z0-9_]*(\[\])?$/i

/** What a field is called in the answer: its alias, else the last JSON key, else its name (PostgREST's rules). */
export const fieldLabel = (item: {
  label?: string
  name: string
  jsonPath: JsonStep[]
  aggregate?: Aggregate
}) => item.label ?? (item.aggregate ? item.aggregate.fn : (item.jsonPath.at(-1)?.key ?? item.name))

const checkCast = (cast: string | undefined, failed: string) => {
  if (cast !== undefined && !castType.test(cast)) throw badQuery(failed, `bad cast "${cast}"`)
  return cast
}

/** `a:name->x::cast.sum()::cast`, `count()`, `alias:count()::int`: one field of a select. */
function parseSelectField(item: string, failed: string): SelectItem {
  const count = /^(?:([^:()]+):(?!:))?count\(\)(?:::([^:]+))?$/.exec(item)
  if (count) {
    const aggregate: Aggregate = { fn: 'count', cast: checkCast(count[2], failed) }
    return { kind: 'field', label: count[1], name: '*', jsonPath: [], aggregate }
  }
  const field = /^(?:([^:]+):(?!:))?([^:]+?)(?:::([^:.]+))?(?:\.(\w+)\(\)(?:::([^:]+))?)?$/.exec(item)
  if (!field) throw badQuery(failed, `unexpected "${item}"`)
  const [, label, path, cast, fn, aggregateCast] = field
  if (fn !== undefined && !isOneOf(aggregateFunctions, fn))
    throw badQuery(failed, `unknown aggregate function "${fn}"`)
  const { name, jsonPath = [] } = parseField(path!)
  if (name === '') throw badQuery(failed, `unexpected "${item}"`)
  return {
    kind: 'field',
    label,
    name,
    jsonPath,
    cast: checkCast(cast, failed),
    aggregate: fn === undefined ? undefined : { fn, cast: checkCast(aggregateCast, failed) },
  }
}

/** `id, who:name, count::text, author:users!fk!inner(name), ...spread(x)`; an empty or missing select is `*`. */
export function parseSelect(select: string | null): SelectItem[] {
  const failed = `"failed to parse select parameter (${select ?? ''})"`
  const embeds = { count: 0 }
  const parseList = (list: string, depth: number): SelectItem[] =>
    list.trim() === '' && depth > 0
      ? []
      : splitTopLevel(list).map((raw): SelectItem => {
          const item = raw.trim()
          if (item === '') throw badQuery(failed)
          if (item === '*') return { kind: 'star' }
          const embed = /^(?:([^:()!.]+):)?(\.\.\.)?([^:()!.]+)((?:![\w]+)*)\((.*)\)$/s.exec(item)
          if (embed && !(embed[3] === 'count' && embed[5] === '')) {
            if (depth >= maxEmbedDepth)
              throw badQuery(failed, `embedded resources may nest at most ${maxEmbedDepth} levels deep`)
            if (++embeds.count > maxEmbeds)
              throw badQuery(failed, `a select may embed at most ${maxEmbeds} resources`)
            const [, label, spread, target, hints, inner] = embed
            if (spread && label) throw badQuery(failed, 'a spread embedding takes no alias')
            return {
              kind: 'embed',
              label,
              target: target!,
              hints: hints!.split('!').filter(Boolean),
              spread: spread !== undefined,
              select: parseList(inner!, depth + 1),
            }
          }
          return parseSelectField(item, failed)
        })
  return parseList(select === null || select === '' ? '*' : select, 0)
}
