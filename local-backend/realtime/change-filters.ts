/**
 * The `filter` of a postgres_changes binding (`column=op.value`, comma-separated,
 * ANDed): parsed when the channel joins, then matched against each captured row
 * in JavaScript, without a query per change.
 */
const filterOps = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in'] as const
type FilterOp = (typeof filterOps)[number]

export interface ParsedFilter {
  column: string
  op: FilterOp
  /** The raw value from the filter string (for `in`, a Postgres array literal). */
  raw: string
  negate: boolean
}

export interface ResolvedFilter extends Omit<ParsedFilter, 'raw'> {
  /** Values as to_jsonb renders them in the column's type, so they compare with captured records. */
  values: unknown[]
  typeName: string
}

/** Splits `a=eq.1,b=in.(x,y)` on the commas that are not inside parentheses or quotes. */
function splitTopLevel(filter: string): string[] {
  const segments: string[] = []
  let depth = 0
  let quoted = false
  let current = ''
  for (const char of filter) {
    if (char === '"') quoted = !quoted
    else if (!quoted && char === '(') depth++
    else if (!quoted && char === ')') depth = Math.max(0, depth - 1)
    else if (!quoted && depth === 0 && char === ',') {
      segments.push(current)
      current = ''
      continue
    }
    current += char
  }
  segments.push(current)
  return segments
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return value.slice(1, -1).replace(/\\(.)/g, '$1')
  return value
}

export function parseFilter(
  filter: string,
): { ok: true; filters: ParsedFilter[] } | { ok: false; message: string } {
  const trimmed = filter.trim()
  if (trimmed === '') return { ok: true, filters: [] }
  const filters: ParsedFilter[] = []
  for (const segment of splitTopLevel(trimmed)) {
    const part = segment.trim()
    if (part === '')
      return { ok: false, message: 'filter must not contain empty segments (check for extra commas)' }
    const equals = part.indexOf('=')
    if (equals <= 0) return { ok: false, message: `\`${part}\` is not of the form column=operator.value` }
    const column = part.slice(0, equals)
    let rest = part.slice(equals + 1)
    const negate = rest.startsWith('not.')
    if (negate) rest = rest.slice(4)
    const dot = rest.indexOf('.')
    const op = rest.slice(0, dot)
    if (dot < 0 || !(filterOps as readonly string[]).includes(op)) {
      return {
        ok: false,
        message: `unsupported filter operator in \`${part}\` (use ${filterOps.join(', ')})`,
      }
    }
    const value = rest.slice(dot + 1)
    if (op === 'in') {
      if (!(value.startsWith('(') && value.endsWith(')'))) {
        return { ok: false, message: '`in` filter value must be wrapped by parentheses' }
      }
      filters.push({ column, op, raw: `{${value.slice(1, -1)}}`, negate })
    } else {
      filters.push({ column, op: op as FilterOp, raw: unquote(value), negate })
    }
  }
  return { ok: true, filters }
}

const numericTypes = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid'])

/** Orders two values of one column type as Postgres would for the types the app filters on. */
function compare(typeName: string, left: unknown, right: unknown): number {
  if (numericTypes.has(typeName)) return Number(left) - Number(right)
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0
  const a = JSON.stringify(left)
  const b = JSON.stringify(right)
  return a < b ? -1 : a > b ? 1 : 0
}

function matchesFilter(filter: ResolvedFilter, record: Record<string, unknown>): boolean {
  if (!(filter.column in record)) return false
  const value = record[filter.column]
  // A comparison with NULL is NULL in SQL, which a filter treats as no match, negated or not.
  if (value === null || value === undefined) return false
  const [first] = filter.values
  if (first === null && filter.op !== 'in') return false
  let result: boolean
  switch (filter.op) {
    case 'eq':
      result = compare(filter.typeName, value, first) === 0
      break
    case 'neq':
      result = compare(filter.typeName, value, first) !== 0
      break
    case 'lt':
      result = compare(filter.typeName, value, first) < 0
      break
    case 'lte':
      result = compare(filter.typeName, value, first) <= 0
      break
    case 'gt':
      result = compare(filter.typeName, value, first) > 0
      break
    case 'gte':
      result = compare(filter.typeName, value, first) >= 0
      break
    case 'in':
      result = filter.values.some(
        (candidate) => candidate !== null && compare(filter.typeName, value, candidate) === 0,
      )
      break
  }
  return filter.negate ? !result : result
}

/** Whether a change passes a binding's filters; every filter must hold (they are ANDed). */
export function passesFilters(filters: ResolvedFilter[], record: Record<string, unknown> | null): boolean {
  if (filters.length === 0) return true
  if (!record) return false
  return filters.every((filter) => matchesFilter(filter, record))
}
