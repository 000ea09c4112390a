import type { PGlite } from '@electric-sql/pglite'
import { Hono, type Context } from 'hono'
import type { Logger } from '../../src/shared/log.ts'
import { bearerToken, verifyJwt, type JwtClaims } from '../keys.ts'
import { jsonResponse, readJson } from '../http.ts'
import type { Catalog, DbFunction, Table } from './catalog.ts'
import { badQuery, errorFromDatabase, RestError } from './errors.ts'
import { runPipelined, type Rows, type Statement } from './pipeline.ts'
import {
  arrayLiteral,
  checkEmbeddedKeys,
  orderSql,
  Params,
  qualified,
  quoteIdent,
  selectSql,
  whereSql,
  type SelectContext,
} from './query.ts'

export interface RestOptions {
  db: PGlite
  catalog: Catalog
  logger: Logger
}

interface Caller {
  role: string
  claims: JwtClaims
}

interface Prefer {
  return: 'representation' | 'minimal'
  count: boolean
  resolution?: 'merge-duplicates' | 'ignore-duplicates'
  missingDefault: boolean
  rollback: boolean
}

function parsePrefer(headers: Headers): Prefer {
  const prefer: Prefer = { return: 'minimal', count: false, missingDefault: false, rollback: false }
  for (const item of (headers.get('prefer') ?? '').split(',')) {
    const [key, value] = item
      .trim()
      .split('=')
      .map((s) => s.trim())
    if (key === 'return' && value === 'representation') prefer.return = 'representation'
    else if (key === 'count' && (value === 'exact' || value === 'planned' || value === 'estimated'))
      prefer.count = true
    else if (key === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates'))
      prefer.resolution = value
    else if (key === 'missing' && value === 'default') prefer.missingDefault = true
    else if (key === 'tx' && value === 'rollback') prefer.rollback = true
  }
  return prefer
}

type MediaType = { singular: boolean; stripNulls: boolean }

function parseAccept(accept: string | null): MediaType {
  if (!accept) return { singular: false, stripNulls: false }
  const types = accept.split(',').map((t) => t.trim().toLowerCase())
  const object = types.find((t) => t.startsWith('application/vnd.pgrst.object'))
  if (object) return { singular: true, stripNulls: object.includes('nulls=stripped') }
  const array = types.find((t) => t.startsWith('application/vnd.pgrst.array'))
  if (array) return { singular: false, stripNulls: array.includes('nulls=stripped') }
  if (
    types.some(
      (t) => t.startsWith('application/json') || t.startsWith('*/*') || t.startsWith('application/*'),
    )
  ) {
    return { singular: false, stripNulls: false }
  }
  throw new RestError(406, 'PGRST107', `None of these media types are available: ${accept}`)
}

interface Range {
  offset: number
  limit: number | null
}

const nonNegativeInt = /^\d{1,9}$/

function parseRange(c: Context): Range {
  const limit = c.req.query('limit')
  const offset = c.req.query('offset')
  if (limit !== undefined || offset !== undefined) {
    if (limit !== undefined && !nonNegativeInt.test(limit))
      throw badQuery(`"failed to parse limit (${limit})"`)
    if (offset !== undefined && !nonNegativeInt.test(offset))
      throw badQuery(`"failed to parse offset (${offset})"`)
    return {
      offset: offset === undefined ? 0 : Number(offset),
      limit: limit === undefined ? null : Number(limit),
    }
  }
  const header = c.req.header('range')
  if (header === undefined) return { offset: 0, limit: null }
  const match = /^\s*(?:items=)?(\d{1,9})-(\d{1,9})?\s*$/.exec(header)
  const from = match ? Number(match[1]) : NaN
  const to = match?.[2] === undefined ? null : Number(match[2])
  if (!match || (to !== null && to < from)) {
    throw new RestError(
      416,
      'PGRST103',
      'Requested range not satisfiable',
      `The Range header "${header}" is not a valid range`,
    )
  }
  return { offset: from, limit: to === null ? null : to - from + 1 }
}

const limitSql = (range: Range) =>
  `${range.limit === null ? '' : ` limit ${range.limit}`}${range.offset ? ` offset ${range.offset}` : ''}`

/** The JSON array (or, for a singular request, the one object) of the rows of `_r`, and how many there are. */
function aggregateSql(media: MediaType, rowsSql: string): string {
  const row = media.stripNulls ? 'json_strip_nulls(row_to_json(_r))' : '_r'
  const body = media.singular ? `(json_agg(${row})->0)::text` : `coalesce(json_agg(${row}), '[]'::json)::text`
  return `select ${body} as body, count(*)::int as n from (${rowsSql}) _r`
}

function contentRange(offset: number, n: number, total: number | null): string {
  const totalText = total === null ? '*' : String(total)
  return n === 0 ? `*/${totalText}` : `${offset}-${offset + n - 1}/${totalText}`
}

function singularError(n: number): RestError {
  return new RestError(
    406,
    'PGRST116',
    'JSON object requested, multiple (or no) rows returned',
    `The result contains ${n} rows`,
  )
}

const jsonHeaders = (media: MediaType) => ({
  'content-type': media.singular
    ? 'application/vnd.pgrst.object+json; charset=utf-8'
    : 'application/json; charset=utf-8',
})

function valueText(value: unknown, type: string): string | null {
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

/**
 * The claims as the database sees them, serialised once per verified token: the
 * JWT cache hands back the same claims object for every request of a session.
 */
const anonymousCaller: Caller = { role: 'anon', claims: { role: 'anon' } }

const claimsText = new WeakMap<JwtClaims, string>()
function claimsJson(claims: JwtClaims): string {
  let text = claimsText.get(claims)
  if (text === undefined) {
    text = JSON.stringify(claims)
    claimsText.set(claims, text)
  }
  return text
}

export function createRestApp(options: RestOptions): Hono {
  const { db, catalog, logger } = options
  const app = new Hono()

  async function callerOf(c: Context): Promise<Caller> {
    const token = bearerToken(c.req.raw.headers)
    if (token === undefined) return anonymousCaller
    const verified = await verifyJwt(token)
    if (!verified.ok) {
      throw verified.reason === 'expired'
        ? new RestError(401, 'PGRST303', 'JWT expired')
        : new RestError(
            401,
            'PGRST301',
            'Expected 3 parts in JWT; got 1',
            'JWSInvalidSignature or malformed token',
          )
    }
    return { role: verified.claims.role, claims: verified.claims }
  }

  function checkProfile(c: Context) {
    const profile = c.req.header('accept-profile') ?? c.req.header('content-profile')
    if (profile !== undefined && profile !== catalog.schema) {
      throw new RestError(
        406,
        'PGRST106',
        `Invalid schema: ${profile}`,
        null,
        `Only the following schemas are exposed: ${catalog.schema}`,
      )
    }
  }

  function tableOf(name: string): Table {
    const table = catalog.tables.get(name)
    if (!table) {
      throw new RestError(
        404,
        'PGRST205',
        `Could not find the table '${catalog.schema}.${name}' in the schema cache`,
      )
    }
    return table
  }

  /**
   * One transaction as the caller's role with its claims set, exactly as PostgREST
   * runs every request, so RLS decides. `commit` may veto on the results (a
   * singular request that did not match one row); a database error rolls back and
   * is thrown as PostgREST reports it.
   */
  async function asCaller(
    caller: Caller,
    statements: Statement[],
    commit?: (results: Rows[]) => boolean,
  ): Promise<Rows[]> {
    const setup = {
      sql: `select set_config('role', $1::text, true), set_config('request.jwt.claims', $2::text, true)`,
      params: [caller.role, claimsJson(caller.claims)],
    }
    const outcome = await runPipelined(db, setup, statements, commit)
    if (!outcome.ok) throw errorFromDatabase(outcome.error, caller.role)
    return outcome.results
  }

  function errorResponse(error: unknown, role: string): Response {
    const restError = errorFromDatabase(error, role)
    if (restError.status >= 500) logger.error('rest request failed', { error })
    const headers: Record<string, string> = {}
    if (restError.status === 401) headers['www-authenticate'] = 'Bearer'
    return jsonResponse(restError.body, restError.status, headers)
  }

  const handle = (work: (c: Context, caller: Caller) => Promise<Response>) => async (c: Context) => {
    let role = 'anon'
    try {
      checkProfile(c)
      const caller = await callerOf(c)
      role = caller.role
      return await work(c, caller)
    } catch (error) {
      return errorResponse(error, role)
    }
  }

  async function readBody(c: Context): Promise<unknown> {
    const body = await readJson(c)
    if (!body.ok) throw new RestError(400, 'PGRST102', 'Empty or invalid json', body.message)
    return body.value
  }

  const context = (query: URLSearchParams, params: Params): SelectContext => ({
    catalog,
    aliasCounter: { next: 0 },
    query,
    params,
    consumed: new Set(),
  })

  interface ReadPlan {
    media: MediaType
    range: Range
    statements: Statement[]
  }

  /**
   * Read plans by everything they are built from (query string, Accept, Prefer, Range),
   * per table object so a reloaded catalog starts afresh. An inbox polls the same URL,
   * so it skips parsing select, filters and order. Only plans that built cleanly are kept.
   */
  const readPlans = new WeakMap<Table, Map<string, ReadPlan>>()
  const maxPlansPerTable = 256

  function readPlan(c: Context, table: Table): ReadPlan {
    const url = new URL(c.req.url)
    const key = `${url.search}\n${c.req.header('accept') ?? ''}\n${c.req.header('prefer') ?? ''}\n${c.req.header('range') ?? ''}`
    let plans = readPlans.get(table)
    const cached = plans?.get(key)
    if (cached) return cached

    const media = parseAccept(c.req.header('accept') ?? null)
    const prefer = parsePrefer(c.req.raw.headers)
    const range = parseRange(c)
    const params = new Params()
    const selectContext = context(url.searchParams, params)
    const selected = selectSql(selectContext, table, '_t', url.searchParams.get('select'))
    checkEmbeddedKeys(selectContext)
    const where = [
      whereSql(table, '_t', url.searchParams, params, { embedded: 'skip' }),
      ...selected.conditions,
    ]
      .filter(Boolean)
      .join(' and ')
    const order = orderSql(table, '_t', url.searchParams.get('order'))
    const from = `from ${qualified(catalog, table.name)} _t${where ? ` where ${where}` : ''}`
    const rowsSql = `select ${selected.columns} ${from}${order ? ` order by ${order}` : ''}${limitSql(range)}`

    const statements = [{ sql: aggregateSql(media, rowsSql), params: params.values }]
    if (prefer.count) statements.push({ sql: `select count(*)::int as total ${from}`, params: params.values })
    const plan = { media, range, statements }
    if (!plans) {
      plans = new Map()
      readPlans.set(table, plans)
    }
    if (plans.size >= maxPlansPerTable) plans.delete(plans.keys().next().value!)
    plans.set(key, plan)
    return plan
  }

  async function read(c: Context, caller: Caller, table: Table): Promise<Response> {
    const { media, range, statements } = readPlan(c, table)
    const [rows, counted] = await asCaller(caller, statements)
    const result = {
      body: rows![0]![0] ?? null,
      n: Number(rows![0]![1]),
      total: counted ? Number(counted[0]![0]) : null,
    }
    if (media.singular && result.n !== 1) throw singularError(result.n)
    if (result.total !== null && range.offset > 0 && range.offset >= result.total && result.n === 0) {
      throw new RestError(
        416,
        'PGRST103',
        'Requested range not satisfiable',
        `An offset of ${range.offset} was requested, but there are only ${result.total} rows.`,
      )
    }
    const headers = {
      ...jsonHeaders(media),
      'content-range': contentRange(range.offset, result.n, result.total),
    }
    if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers })
    return new Response(result.body ?? 'null', { status: 200, headers })
  }

  function payloadColumns(
    table: Table,
    rows: Record<string, unknown>[],
    columnsParam: string | undefined,
  ): string[] {
    const names =
      columnsParam !== undefined
        ? columnsParam.split(',').map((s) => s.trim().replace(/^"|"$/g, ''))
        : [...new Set(rows.flatMap((row) => Object.keys(row)))]
    for (const name of names) {
      if (!table.columns.has(name)) {
        throw new RestError(
          400,
          'PGRST204',
          `Could not find the '${name}' column of '${table.name}' in the schema cache`,
        )
      }
    }
    return names
  }

  function asRows(body: unknown): Record<string, unknown>[] {
    const isRecord = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
    if (isRecord(body)) return [body]
    if (Array.isArray(body) && body.every(isRecord)) return body
    throw new RestError(
      400,
      'PGRST102',
      'Empty or invalid json',
      'expected a JSON object or an array of objects',
    )
  }

  /**
   * Runs data-modifying statements (all `returning _t.*`) as top-level CTEs, gathers
   * their rows in `_m`, and answers with them as PostgREST would.
   */
  async function mutate(
    c: Context,
    caller: Caller,
    table: Table,
    statements: string[],
    params: Params,
    successStatus: { representation: number; minimal: number },
  ): Promise<Response> {
    const url = new URL(c.req.url)
    const media = parseAccept(c.req.header('accept') ?? null)
    const prefer = parsePrefer(c.req.raw.headers)
    const representation = prefer.return === 'representation'
    const selected = representation
      ? selectSql(context(new URLSearchParams(), params), table, '_t', url.searchParams.get('select'))
      : undefined
    const ctes = statements.map((statement, i) => `_s${i} as (${statement})`)
    const gathered = `with ${ctes.join(', ')}, _m as (${statements.map((_, i) => `select * from _s${i}`).join(' union all ')})`
    const sql = selected
      ? `${gathered} ${aggregateSql(media, `select ${selected.columns} from _m _t${selected.conditions.length ? ` where ${selected.conditions.join(' and ')}` : ''}`)}`
      : `${gathered} select null::text as body, count(*)::int as n from _m`
    // A singular request that did not touch exactly one row is undone, as PostgREST does.
    const [rows] = await asCaller(caller, [{ sql, params: params.values }], ([first]) => {
      const n = Number(first![0]![1])
      return !prefer.rollback && !(media.singular && n !== 1)
    })
    const result = { body: rows![0]![0] ?? null, n: Number(rows![0]![1]) }
    if (media.singular && result.n !== 1) throw singularError(result.n)
    const headers: Record<string, string> = {
      'content-range': contentRange(0, result.n, prefer.count ? result.n : null),
    }
    if (!representation) return new Response(null, { status: successStatus.minimal, headers })
    return new Response(result.body ?? 'null', {
      status: successStatus.representation,
      headers: { ...jsonHeaders(media), ...headers },
    })
  }

  async function insert(c: Context, caller: Caller, table: Table): Promise<Response> {
    const url = new URL(c.req.url)
    const prefer = parsePrefer(c.req.raw.headers)
    const rows = asRows(await readBody(c))
    const columns = payloadColumns(table, rows, url.searchParams.get('columns') ?? undefined)
    const target = qualified(catalog, table.name)
    const params = new Params()

    const onConflict = url.searchParams.get('on_conflict')
    const conflictKeys = onConflict ? onConflict.split(',').map((s) => s.trim()) : table.primaryKey
    if (prefer.resolution) {
      if (conflictKeys.length === 0) throw badQuery('on_conflict is required: the table has no primary key')
      for (const key of conflictKeys)
        if (!table.columns.has(key))
          throw new RestError(400, '42703', `column ${table.name}.${key} does not exist`)
    }
    /** A merge updates only the columns the rows carry, so a key one row leaves out is never reset. */
    const conflictSql = (carried: string[]) => {
      if (!prefer.resolution) return ''
      const target = ` on conflict (${conflictKeys.map(quoteIdent).join(', ')})`
      const updates = carried.filter((name) => !conflictKeys.includes(name))
      return prefer.resolution === 'ignore-duplicates' || updates.length === 0
        ? `${target} do nothing`
        : `${target} do update set ${updates.map((n) => `${quoteIdent(n)} = excluded.${quoteIdent(n)}`).join(', ')}`
    }

    // With `missing=default`, a key a row leaves out takes the column default: rows are
    // grouped by the keys they carry, one INSERT per group, all in the same statement.
    const groups = new Map<string, { columns: string[]; rows: Record<string, unknown>[] }>()
    for (const row of rows) {
      const own = prefer.missingDefault ? columns.filter((name) => name in row) : columns
      const key = own.join('\u0000')
      const group = groups.get(key) ?? { columns: own, rows: [] }
      group.rows.push(row)
      groups.set(key, group)
    }
    if (groups.size === 0) {
      const media = parseAccept(c.req.header('accept') ?? null)
      if (media.singular) throw singularError(0)
      return prefer.return === 'representation'
        ? new Response('[]', { status: 201, headers: jsonHeaders(media) })
        : new Response(null, { status: 201 })
    }
    const inserts = [...groups.values()].map((group) => {
      const json = params.add(JSON.stringify(group.rows))
      const list = group.columns.map(quoteIdent).join(', ')
      const source = group.columns.length
        ? `select ${list} from json_populate_recordset(null::${target}, ${json}::json)`
        : `select from json_array_elements(${json}::json)`
      return `insert into ${target} as _t${group.columns.length ? ` (${list})` : ''} ${source}${conflictSql(group.columns)} returning _t.*`
    })
    return mutate(c, caller, table, inserts, params, { representation: 201, minimal: 201 })
  }

  function requireFilter(where: string, verb: string) {
    // Supabase loads pg-safeupdate: an UPDATE or DELETE without a filter is refused rather than hitting every row.
    if (!where) throw new RestError(400, '21000', `${verb} requires a WHERE clause`)
  }

  async function update(c: Context, caller: Caller, table: Table): Promise<Response> {
    const url = new URL(c.req.url)
    const body = await readBody(c)
    const rows = asRows(body)
    if (Array.isArray(body) || rows.length !== 1)
      throw new RestError(400, 'PGRST102', 'Empty or invalid json', 'expected a JSON object')
    const columns = payloadColumns(table, rows, url.searchParams.get('columns') ?? undefined)
    const params = new Params()
    const json = params.add(JSON.stringify(rows[0]))
    const where = whereSql(table, '_t', url.searchParams, params)
    requireFilter(where, 'UPDATE')
    const target = qualified(catalog, table.name)
    const mutation = columns.length
      ? `update ${target} as _t set ${columns.map((n) => `${quoteIdent(n)} = _p.${quoteIdent(n)}`).join(', ')}
           from json_populate_record(null::${target}, ${json}::json) _p where ${where} returning _t.*`
      : `select * from ${target} _t where false`
    return mutate(c, caller, table, [mutation], params, { representation: 200, minimal: 204 })
  }

  async function remove(c: Context, caller: Caller, table: Table): Promise<Response> {
    const url = new URL(c.req.url)
    const params = new Params()
    const where = whereSql(table, '_t', url.searchParams, params)
    requireFilter(where, 'DELETE')
    const mutation = `delete from ${qualified(catalog, table.name)} as _t where ${where} returning _t.*`
    return mutate(c, caller, table, [mutation], params, { representation: 200, minimal: 204 })
  }

  function resolveFunction(name: string, argNames: string[]): DbFunction {
    const candidates = catalog.functions.get(name) ?? []
    const found = candidates.filter((fn) => {
      const names = new Set(fn.args.map((a) => a.name))
      return (
        argNames.every((n) => names.has(n)) && fn.args.every((a) => a.hasDefault || argNames.includes(a.name))
      )
    })
    if (found.length === 1) return found[0]!
    const signature = argNames.join(', ')
    if (found.length > 1) {
      throw new RestError(
        300,
        'PGRST203',
        `Could not choose the best candidate function between: ${found.map((f) => `${catalog.schema}.${f.name}`).join(', ')}`,
      )
    }
    throw new RestError(
      404,
      'PGRST202',
      `Could not find the function ${catalog.schema}.${name}(${signature}) in the schema cache`,
      `Searched for the function ${catalog.schema}.${name} with parameters ${signature || 'none'}, but no matches were found in the schema cache.`,
    )
  }

  async function rpc(c: Context, caller: Caller): Promise<Response> {
    const name = c.req.param('fn') ?? ''
    const url = new URL(c.req.url)
    const media = parseAccept(c.req.header('accept') ?? null)
    const prefer = parsePrefer(c.req.raw.headers)
    let args: Record<string, unknown>
    if (c.req.method === 'POST') {
      const body = await readBody(c)
      if (body === undefined) args = {}
      else if (typeof body === 'object' && body !== null && !Array.isArray(body))
        args = body as Record<string, unknown>
      else
        throw new RestError(
          400,
          'PGRST102',
          'Empty or invalid json',
          'expected a JSON object of named arguments',
        )
    } else {
      args = {}
      for (const [key, value] of url.searchParams)
        if (!['select', 'order', 'limit', 'offset'].includes(key)) args[key] = value
    }
    const fn = resolveFunction(name, Object.keys(args))
    const params = new Params()
    const call = `${qualified(catalog, fn.name)}(${fn.args
      .filter((a) => a.name in args)
      .map((a) => `${quoteIdent(a.name)} := ${params.add(valueText(args[a.name], a.type))}::${a.type}`)
      .join(', ')})`
    const range = parseRange(c)
    let sql: string
    if (fn.returnKind === 'void') sql = `select null::text as body, 0 as n from (select ${call}) _v`
    else if (!fn.returnsSet && fn.returnKind === 'scalar')
      sql = `select to_json(${call})::text as body, 1 as n`
    else if (!fn.returnsSet) sql = `select row_to_json(_r)::text as body, 1 as n from ${call} _r`
    else if (fn.returnKind === 'scalar')
      sql = `select coalesce(json_agg(_r), '[]'::json)::text as body, count(*)::int as n from (select * from ${call} _r${limitSql(range)}) _r`
    else sql = aggregateSql(media, `select * from ${call} _r${limitSql(range)}`)

    // A GET must not write: PostgREST runs it read-only and a volatile function fails with 405.
    const readOnly = c.req.method !== 'POST' ? [{ sql: 'set transaction read only', params: [] }] : []
    const results = await asCaller(
      caller,
      [...readOnly, { sql, params: params.values }],
      prefer.rollback ? () => false : undefined,
    )
    const row = results.at(-1)![0]!
    const result = { body: row[0] ?? null, n: Number(row[1]) }
    if (fn.returnKind === 'void') return new Response(null, { status: 204 })
    if (media.singular && fn.returnsSet && result.n !== 1) throw singularError(result.n)
    return new Response(result.body ?? 'null', {
      status: 200,
      headers: {
        ...jsonHeaders(media),
        'content-range': contentRange(range.offset, result.n, prefer.count ? result.n : null),
      },
    })
  }

  app.get('/', () =>
    jsonResponse({ swagger: '2.0', info: { title: 'local PostgREST', version: 'local' }, paths: {} }, 200),
  )
  app.on(['GET', 'POST'], '/rpc/:fn', handle(rpc))
  app.on(
    ['GET', 'HEAD'],
    '/:table',
    handle((c, caller) => read(c, caller, tableOf(c.req.param('table') ?? ''))),
  )
  app.post(
    '/:table',
    handle((c, caller) => insert(c, caller, tableOf(c.req.param('table') ?? ''))),
  )
  app.patch(
    '/:table',
    handle((c, caller) => update(c, caller, tableOf(c.req.param('table') ?? ''))),
  )
  app.delete(
    '/:table',
    handle((c, caller) => remove(c, caller, tableOf(c.req.param('table') ?? ''))),
  )
  return app
}
