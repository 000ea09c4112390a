import { z } from 'zod'
import { readJson } from '../http.ts'
import {
  logicKey,
  parseCount,
  parseFilter,
  parseLogic,
  parseOrder,
  parseSelect,
  type Condition,
  type OrderTerm,
  type Range,
  type SelectItem,
} from './api-request-params.ts'
import { parseAccept, parsePreferences, type MediaType, type Preferences } from './api-request-headers.ts'
import { badQuery, invalidJson, invalidPreferences, rangeNotSatisfiable } from './errors.ts'

/**
 * What an HTTP request asks of the API, as PostgREST's ApiRequest: the action, its
 * query parameters, media type, preferences and payload, each parsed and validated.
 * The route names the action and the table or function it matched; the plan
 * checks the names in here against the catalog.
 */
interface Negotiated {
  media: MediaType
  preferences: Preferences
}

/** The filters, order and range that `<path>.<key>=` parameters address to one embedded resource. */
export interface EmbeddedParams {
  conditions: Condition[]
  order: OrderTerm[]
  range: Range
  /** The first parameter naming this path, for the error when no embedding has it. */
  firstKey: string
}

export interface ReadRequest extends Negotiated {
  action: 'read'
  select: SelectItem[]
  conditions: Condition[]
  order: OrderTerm[]
  range: Range
  /** By path: `messages`, or `messages.author` for an embedding inside an embedding. */
  embedded: Map<string, EmbeddedParams>
  /** A HEAD: answered with the headers alone. */
  headersOnly: boolean
}

export type PayloadRow = Record<string, unknown>

interface Returning extends Negotiated {
  /** Parsed only when the representation is asked for: PostgREST ignores it otherwise. */
  select?: SelectItem[]
}

export interface InsertRequest extends Returning {
  action: 'insert'
  rows: PayloadRow[]
  /** `?columns=`: which keys of the rows to insert; otherwise every key any row carries. */
  columns?: string[]
  onConflict?: string[]
}

interface UpdateRequest extends Returning {
  action: 'update'
  row: PayloadRow
  columns?: string[]
  conditions: Condition[]
}

interface DeleteRequest extends Returning {
  action: 'delete'
  conditions: Condition[]
}

export type MutateRequest = InsertRequest | UpdateRequest | DeleteRequest

export interface CallRequest extends Negotiated, ReadParams {
  action: 'call'
  /** The named arguments: a POST's JSON object, or a GET's parameters that are no filter. */
  args: Record<string, unknown>
  /** A POST's whole body, for a function of one unnamed json or jsonb argument. */
  body: unknown
  /** A GET must not write: PostgREST runs it read-only. */
  readOnly: boolean
}

/** `limit`/`offset` if either is given, else the Range header. */
function parseRange(query: URLSearchParams, header: string | null): Range {
  const limit = query.get('limit')
  const offset = query.get('offset')
  if (limit !== null || offset !== null) {
    return {
      limit: limit === null ? null : parseCount('limit', limit),
      offset: offset === null ? 0 : parseCount('offset', offset),
    }
  }
  if (header === null) return { offset: 0, limit: null }
  const match = /^\s*(?:items=)?(\d{1,9})-(\d{1,9})?\s*$/.exec(header)
  const from = match ? Number(match[1]) : NaN
  const to = match?.[2] === undefined ? null : Number(match[2])
  if (!match || (to !== null && to < from))
    throw rangeNotSatisfiable(`The Range header "${header}" is not a valid range`)
  return { offset: from, limit: to === null ? null : to - from + 1 }
}

function negotiate(headers: Headers): Negotiated {
  const preferences = parsePreferences(headers.get('prefer'))
  if (preferences.given.handling === 'strict' && preferences.invalid.length)
    throw invalidPreferences(preferences.invalid)
  return { media: parseAccept(headers.get('accept')), preferences }
}

/** Everything a read is parsed from, so a repeated read can reuse its plan. */
export const readRequestKey = (request: Request): string => {
  const { headers } = request
  // JSON, so no value can run into the next one and a missing header stays apart from an empty one.
  return JSON.stringify([
    request.method,
    new URL(request.url).search,
    headers.get('accept'),
    headers.get('prefer'),
    headers.get('range'),
  ])
}

const reservedParams = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns'])

/** Where the embedded path of a key ends: its last dot before any JSON path (`messages.data->>a.b`). */
const embeddedPathEnd = (key: string) => key.split('->', 1)[0]!.lastIndexOf('.')

/** Embedded keys (`messages.direction`, `messages.or`, `a.b.limit`) split into path and what follows it. */
function embeddedKey(key: string): { path: string; rest: string } {
  const logic = /^(.*?)\.((?:not\.)?(?:and|or))$/.exec(key)
  if (logic) return { path: logic[1]!, rest: logic[2]! }
  const dot = embeddedPathEnd(key)
  return { path: key.slice(0, dot), rest: key.slice(dot + 1) }
}

/**
 * The filters of the query string, in order; `embedded` sees every key addressed to an
 * embedded resource, and `argument` (a GET of a function) every key whose value is no filter.
 */
function parseConditions(
  query: URLSearchParams,
  embedded: (key: string, value: string) => void,
  argument?: (key: string, value: string) => void,
): Condition[] {
  const conditions: Condition[] = []
  for (const [key, value] of query) {
    if (reservedParams.has(key)) continue
    if (logicKey.test(key)) conditions.push(parseLogic(key, value))
    else if (embeddedPathEnd(key) >= 0) embedded(key, value)
    else if (argument && !isFilter(key, value)) argument(key, value)
    else conditions.push(parseFilter(key, value))
  }
  return conditions
}

/** PostgREST takes a GET parameter for an argument of the function when its value names no operator. */
function isFilter(key: string, value: string): boolean {
  try {
    parseFilter(key, value)
    return true
  } catch {
    return false
  }
}

/** What a read (of a table, or of a function's result) selects, filters, orders and pages. */
export type ReadParams = Omit<ReadRequest, 'action' | 'headersOnly' | keyof Negotiated>

function parseReadParams(
  query: URLSearchParams,
  headers: Headers,
  argument?: (key: string, value: string) => void,
): ReadParams {
  const range = parseRange(query, headers.get('range'))
  const select = parseSelect(query.get('select'))
  const embedded = new Map<string, EmbeddedParams>()
  const conditions = parseConditions(
    query,
    (key, value) => {
      const { path, rest } = embeddedKey(key)
      let params = embedded.get(path)
      if (!params) {
        params = { conditions: [], order: [], range: { offset: 0, limit: null }, firstKey: key }
        embedded.set(path, params)
      }
      if (rest === 'order') params.order = parseOrder(value)
      else if (rest === 'limit') params.range.limit = parseCount(rest, value)
      else if (rest === 'offset') params.range.offset = parseCount(rest, value)
      else if (logicKey.test(rest)) params.conditions.push(parseLogic(rest, value))
      else params.conditions.push(parseFilter(rest, value))
    },
    argument,
  )
  return { range, select, conditions, order: parseOrder(query.get('order')), embedded }
}

export function parseReadRequest(request: Request): ReadRequest {
  const { searchParams: query } = new URL(request.url)
  return {
    action: 'read',
    ...negotiate(request.headers),
    ...parseReadParams(query, request.headers),
    headersOnly: request.method === 'HEAD',
  }
}

const isRow = (value: unknown): value is PayloadRow =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
/**
 * z.custom checks a row without copying it: a key such as `__proto__` stays a
 * column name for the plan to refuse, and a bulk insert is not cloned.
 */
const rowSchema = z.custom<PayloadRow>(isRow)
const rowsSchema = z.union([rowSchema, z.array(rowSchema)])
const argsSchema = z.union([z.undefined(), rowSchema])

async function readPayload(request: Request): Promise<unknown> {
  const body = await readJson(request)
  if (!body.ok) throw invalidJson(body.message)
  return body.value
}

const listParam = (value: string | null) =>
  value === null ? undefined : value.split(',').map((name) => name.trim())

const rejectEmbedded = (key: string) => {
  throw badQuery(
    `"failed to parse filter (${key})"`,
    'filters on embedded resources need a select that embeds them',
  )
}

export async function parseMutateRequest(
  request: Request,
  action: MutateRequest['action'],
): Promise<MutateRequest> {
  const { searchParams: query } = new URL(request.url)
  let rows: PayloadRow[] = []
  if (action !== 'delete') {
    const payload = rowsSchema.safeParse(await readPayload(request))
    if (!payload.success) throw invalidJson('expected a JSON object or an array of objects')
    if (action === 'update' && Array.isArray(payload.data)) throw invalidJson('expected a JSON object')
    rows = Array.isArray(payload.data) ? payload.data : [payload.data]
  }
  const conditions = action === 'insert' ? [] : parseConditions(query, rejectEmbedded)
  const negotiated = negotiate(request.headers)
  const representation = negotiated.preferences.return === 'representation'
  const returning = { ...negotiated, select: representation ? parseSelect(query.get('select')) : undefined }
  const columns = listParam(query.get('columns'))?.map((name) => name.replace(/^"|"$/g, ''))
  switch (action) {
    case 'insert':
      return { action, ...returning, rows, columns, onConflict: listParam(query.get('on_conflict') || null) }
    case 'update':
      return { action, ...returning, row: rows[0]!, columns, conditions }
    case 'delete':
      return { action, ...returning, conditions }
  }
}

/** Named arguments: the JSON object of a POST, or the query parameters of a GET; then a read of the result. */
export async function parseCallRequest(request: Request): Promise<CallRequest> {
  const { searchParams: query } = new URL(request.url)
  const negotiated = negotiate(request.headers)
  const readOnly = request.method !== 'POST'
  const args: Record<string, unknown> = {}
  let body: unknown = undefined
  if (!readOnly) {
    body = await readPayload(request)
    const parsed = argsSchema.safeParse(body)
    if (parsed.success) Object.assign(args, parsed.data)
    else if (!Array.isArray(body)) throw invalidJson('expected a JSON object of named arguments')
  }
  const read = parseReadParams(
    query,
    request.headers,
    readOnly ? (key, value) => (args[key] = value) : undefined,
  )
  return { action: 'call', ...negotiated, ...read, args, body, readOnly }
}
