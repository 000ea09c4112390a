import type { MediaType } from './api-request-headers.ts'
import {
  isOneOf,
  type FtsOperator,
  type JsonStep,
  patternOperators,
  type Condition,
  type IsValue,
  type Operation,
  type OrderTerm,
  type Range,
  type ScalarOperator,
} from './api-request-params.ts'
import type { Column } from './catalog.ts'

/**
 * The pieces statements are built from, as PostgREST's SqlFragment. Every
 * identifier comes from the catalog and is quoted; every value becomes a parameter
 * of the type it is compared as, so nothing from the URL is ever spliced into a
 * statement.
 */
export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`
export const qualified = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`

export class SqlParams {
  readonly values: (string | null)[] = []

  /**
   * A parameter of `type`, which the database (not us) reads from its text once, when
   * the statement is bound, as PostgREST's untyped parameters are. Not `$1::text::type`:
   * that converts at every evaluation, once per row in a filter the index does not
   * decide (a timestamp parsed 300,000 times in a first sync).
   */
  add(value: string | null, type = 'text'): string {
    this.values.push(value)
    return `$${this.values.length}::${type}`
  }
}

/** A Postgres array literal of text elements, every element quoted. */
function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`
}

const operatorSql: Record<ScalarOperator, string> = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'like',
  ilike: 'ilike',
  match: '~',
  imatch: '~*',
  cs: '@>',
  cd: '<@',
  ov: '&&',
  sl: '<<',
  sr: '>>',
  nxr: '&<',
  nxl: '&>',
  adj: '-|-',
  isdistinct: 'is distinct from',
}

const ftsQuery: Record<FtsOperator, string> = {
  fts: 'to_tsquery',
  plfts: 'plainto_tsquery',
  phfts: 'phraseto_tsquery',
  wfts: 'websearch_to_tsquery',
}

const isSql: Record<IsValue, string> = {
  null: 'is null',
  not_null: 'is not null',
  true: 'is true',
  false: 'is false',
  unknown: 'is unknown',
}

/** PostgREST writes LIKE's `%` as `*`, which needs no escaping in a URL. */
const likePattern = (operator: ScalarOperator, value: string) =>
  operator === 'like' || operator === 'ilike' ? value.replaceAll('*', '%') : value

function operationSql(ref: string, type: string, operation: Operation, params: SqlParams): string {
  switch (operation.kind) {
    case 'scalar': {
      const { operator, value } = operation
      // Patterns match the column's text; everything else compares values of the column's type.
      return isOneOf(patternOperators, operator)
        ? `${ref}::text ${operatorSql[operator]} ${params.add(likePattern(operator, value))}`
        : `${ref} ${operatorSql[operator]} ${params.add(value, type)}`
    }
    case 'quantified': {
      const { operator, quantifier, values } = operation
      return isOneOf(patternOperators, operator)
        ? `${ref}::text ${operatorSql[operator]} ${quantifier}(${params.add(arrayLiteral(values.map((v) => likePattern(operator, v))), 'text[]')})`
        : `${ref} ${operatorSql[operator]} ${quantifier}(${params.add(arrayLiteral(values), `${type}[]`)})`
    }
    case 'in':
      return operation.values.length === 0
        ? 'false'
        : `${ref} = any(${params.add(arrayLiteral(operation.values), `${type}[]`)})`
    case 'is':
      return `${ref} ${isSql[operation.value]}`
    case 'fts': {
      // As PostgREST: a text (or JSON) column is made a tsvector in the same configuration as the query.
      const language = () =>
        operation.language === undefined ? '' : `${params.add(operation.language, 'regconfig')}, `
      const vector = type === 'tsvector' ? ref : `to_tsvector(${language()}${ref})`
      return `${vector} @@ ${ftsQuery[operation.operator]}(${language()}${params.add(operation.value)})`
    }
  }
}

const isJson = (type: string) => type === 'json' || type === 'jsonb'

/**
 * A column of the row `alias`, or the JSON path into it, and the type its values compare as.
 * A path into a column that is not JSON goes through to_jsonb, as in PostgREST.
 */
export function fieldSql(
  alias: string,
  column: Column,
  jsonPath: JsonStep[] | undefined,
  params: SqlParams,
): { ref: string; type: string } {
  const ref = `${alias}.${quoteIdent(column.name)}`
  if (!jsonPath) return { ref, type: column.type }
  const json = isJson(column.type)
  const steps = jsonPath.map((step) => `${step.arrow}${params.add(step.key, step.index ? 'int' : 'text')}`)
  const last = jsonPath.at(-1)!.arrow
  return {
    ref: `(${json ? ref : `to_jsonb(${ref})`}${steps.join('')})`,
    type: last === '->>' ? 'text' : json ? column.type : 'jsonb',
  }
}

/** A filter or logic tree on the row `alias`, as a boolean expression. */
function conditionSql(alias: string, condition: Condition<Column>, params: SqlParams): string {
  if (condition.kind === 'filter') {
    const { column, jsonPath, operation, negate } = condition
    const { ref, type } = fieldSql(alias, column, jsonPath, params)
    const sql = operationSql(ref, type, operation, params)
    return negate ? `not (${sql})` : sql
  }
  const terms = condition.conditions.map((c) => conditionSql(alias, c, params))
  const sql = `(${terms.join(condition.operator === 'and' ? ' and ' : ' or ')})`
  return condition.negate ? `not ${sql}` : sql
}

export const whereSql = (alias: string, conditions: Condition<Column>[], params: SqlParams) =>
  conditions.map((c) => conditionSql(alias, c, params)).join(' and ')

export const orderSql = (alias: string, order: OrderTerm<Column>[], params: SqlParams): string =>
  order
    .map((term) => {
      const { ref } = fieldSql(alias, term.column, term.jsonPath.length ? term.jsonPath : undefined, params)
      return `${ref}${term.direction ? ` ${term.direction}` : ''}${term.nulls ? ` nulls ${term.nulls}` : ''}`
    })
    .join(', ')

export const rangeSql = (range: Range) =>
  `${range.limit === null ? '' : ` limit ${range.limit}`}${range.offset ? ` offset ${range.offset}` : ''}`

/**
 * The rows of `_r` as the body the media type asks for, and how many there are
 * (SqlFragment.hs handlerF): a JSON array (or, singular, the one object); CSV, a header
 * of the first row's keys over each row's record text; GeoJSON, by PostGIS's
 * ST_AsGeoJSON, which fails as PostgREST's query fails where PostGIS is missing.
 */
export function bodySql(media: MediaType, rowsSql: string): string {
  const count = 'count(*)::int as n'
  switch (media.format) {
    case 'csv': {
      const header = `(select coalesce(string_agg(_k, ','), '') from (select json_object_keys(row_to_json(_h)) as _k from (select * from _rows limit 1) _h) _keys)`
      const lines = `coalesce(string_agg(substring(_r::text, 2, length(_r::text) - 2), E'\\n'), '')`
      return `with _rows as (${rowsSql}) select ${header} || E'\\n' || ${lines} as body, ${count} from _rows _r`
    }
    case 'geojson':
      return `select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(_r)::json), '[]'))::text as body, ${count} from (${rowsSql}) _r`
    case 'json': {
      const row = media.stripNulls ? 'json_strip_nulls(row_to_json(_r))' : '_r'
      const body = media.singular
        ? `(json_agg(${row})->0)::text`
        : `coalesce(json_agg(${row}), '[]'::json)::text`
      return `select ${body} as body, ${count} from (${rowsSql}) _r`
    }
  }
}

/** A JSON argument as the text Postgres parses into the argument's type. */
export function argumentText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (
    Array.isArray(value) &&
    type.endsWith('[]') &&
    value.every((v) => typeof v !== 'object' || v === null)
  ) {
    return arrayLiteral(value.map((v) => String(v)))
  }
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
