import { jsonResponse } from '../http.ts'

/**
 * Every error the REST API answers with, in PostgREST's shape and with its status.
 * Parsing, planning and shaping throw RestError; the route turns it (and every
 * Postgres error) into a response, so a bad request can never surface as a 500.
 */
/** PGRST201 lists the candidate relationships as objects; everything else is text. */
type Details = string | Record<string, string>[] | null

interface RestErrorBody {
  code: string
  message: string
  details: Details
  hint: string | null
}

export class RestError extends Error {
  readonly status: number
  readonly body: RestErrorBody

  constructor(
    status: number,
    code: string,
    message: string,
    details: Details = null,
    hint: string | null = null,
  ) {
    super(message)
    this.status = status
    this.body = { code, message, details, hint }
  }
}

// ---------------------------------------------------------------- the request

export const badQuery = (message: string, details: string | null = null) =>
  new RestError(400, 'PGRST100', message, details)

export const invalidJson = (details: string) =>
  new RestError(400, 'PGRST102', 'Empty or invalid json', details)

export const notAcceptable = (accept: string) =>
  new RestError(406, 'PGRST107', `None of these media types are available: ${accept}`)

export const invalidPreferences = (invalid: string[]) =>
  new RestError(
    400,
    'PGRST122',
    'Invalid preferences given with handling=strict',
    `Invalid preferences: ${invalid.join(', ')}`,
  )

export const rangeNotSatisfiable = (details: string) =>
  new RestError(416, 'PGRST103', 'Requested range not satisfiable', details)

export const invalidSchema = (profile: string, exposed: string[]) =>
  new RestError(
    406,
    'PGRST106',
    `Invalid schema: ${profile}`,
    null,
    `Only the following schemas are exposed: ${exposed.join(', ')}`,
  )

/** PostgREST's JwtClaimsError messages, all PGRST303. */
const jwtClaimsMessages = {
  expired: 'JWT expired',
  issued_in_future: 'JWT issued at future',
  // PostgREST accepts a token without exp; we refuse it, in the words it uses for an exp that is not a number.
  no_expiry: "The JWT 'exp' claim must be a number",
} as const

export const jwtClaimsRefused = (kind: keyof typeof jwtClaimsMessages) =>
  new RestError(401, 'PGRST303', jwtClaimsMessages[kind])

export const jwtInvalid = () =>
  new RestError(401, 'PGRST301', 'Expected 3 parts in JWT; got 1', 'JWSInvalidSignature or malformed token')

// ---------------------------------------------------------------- the schema cache

/** The `suggestion`s are PostgREST's "Perhaps you meant" hints (schema-hints.ts). */
export const tableNotFound = (schema: string, name: string, suggestion: string | null) =>
  new RestError(
    404,
    'PGRST205',
    `Could not find the table '${schema}.${name}' in the schema cache`,
    null,
    suggestion,
  )

export const unknownColumn = (table: string, column: string) =>
  new RestError(400, '42703', `column ${table}.${column} does not exist`)

export const unknownPayloadColumn = (table: string, column: string) =>
  new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table}' in the schema cache`)

export const notEmbedded = (path: string) =>
  new RestError(
    400,
    'PGRST108',
    `'${path}' is not an embedded resource in this request`,
    null,
    `Verify that '${path}' is included in the 'select' query parameter.`,
  )

export const noRelationship = (
  schema: string,
  parent: string,
  target: string,
  hint: string | undefined,
  suggestion: string | null,
) =>
  new RestError(
    400,
    'PGRST200',
    `Could not find a relationship between '${parent}' and '${target}' in the schema cache`,
    `Searched for a foreign key relationship between '${parent}' and '${target}'${hint === undefined ? '' : ` using the hint '${hint}'`} in the schema '${schema}', but no matches were found.`,
    suggestion,
  )

export const ambiguousRelationship = (
  parent: string,
  target: string,
  candidates: { cardinality: string; embedding: string; relationship: string }[],
) =>
  new RestError(
    300,
    'PGRST201',
    `Could not embed because more than one relationship was found for '${parent}' and '${target}'`,
    candidates,
    `Try changing '${target}' to one of the following: ${candidates
      .map((c) => `'${target}!${c.relationship.split(' ')[0]}'`)
      .join(', ')}. Find the desired relationship in the 'details' key.`,
  )

/** PostgREST's PGRST202 (Error.hs NoRpc): what was searched for, by the keys given. */
export const functionNotFound = (
  schema: string,
  name: string,
  keys: string[],
  post: boolean,
  suggestion: string | null,
) => {
  const fn = `${schema}.${name}`
  const searched =
    keys.length === 0
      ? ' without parameters'
      : ` with parameter${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`
  return new RestError(
    404,
    'PGRST202',
    `Could not find the function ${fn}${keys.length === 0 ? ' without parameters' : `(${keys.join(', ')})`} in the schema cache`,
    `Searched for the function ${fn}${searched}${post ? ' or with a single unnamed json/jsonb parameter' : ''}, but no matches were found in the schema cache.`,
    suggestion,
  )
}

/** PostgREST's PGRST203 (Error.hs AmbiguousRpc): each candidate with its arguments. */
export const ambiguousFunction = (
  schema: string,
  candidates: { name: string; args: { name: string; type: string }[] }[],
) => {
  const signatures = candidates
    .map((fn) => ({
      arity: fn.args.length,
      text: `${schema}.${fn.name}(${fn.args.map((arg) => `${arg.name} => ${arg.type}`).join(', ')})`,
    }))
    .sort((a, b) => a.arity - b.arity || a.text.localeCompare(b.text))
  return new RestError(
    300,
    'PGRST203',
    `Could not choose the best candidate function between: ${signatures.map((s) => s.text).join(', ')}`,
    null,
    'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
  )
}

// ---------------------------------------------------------------- the plan and its result

/** What Postgres answers for PostgREST's query when two of its joins share an alias. */
export const duplicateTableAlias = (alias: string) =>
  new RestError(400, '42712', `table name "${alias}" specified more than once`)

/** Supabase loads pg-safeupdate: an UPDATE or DELETE without a filter is refused rather than hitting every row. */
export const filterRequired = (verb: 'UPDATE' | 'DELETE') =>
  new RestError(400, '21000', `${verb} requires a WHERE clause`)

export const maxAffectedExceeded = (rows: number) =>
  new RestError(
    400,
    'PGRST124',
    'Query result exceeds max-affected preference constraint',
    `The query affects ${rows} rows`,
  )

export const singularMismatch = (rows: number) =>
  new RestError(
    406,
    'PGRST116',
    'Cannot coerce the result to a single JSON object',
    `The result contains ${rows} rows`,
  )

// ---------------------------------------------------------------- the database

/** What Postgres reports about a failed statement. */
export interface DatabaseErrorFields {
  code: string
  message: string
  detail?: string
  hint?: string
}

const isDatabaseError = (error: unknown): error is DatabaseErrorFields =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  typeof (error as { message?: unknown }).message === 'string'

/**
 * PostgREST's mapping of SQLSTATE to HTTP status (src/library/PostgREST/Error.hs,
 * mapSQLtoHTTP), except class 54: PostgREST answers "too complex" with 500, but
 * here it is the embedded-row ceiling or a too-deep expression (stack depth,
 * 54001), both the request's doing and fixed by changing it, so 400.
 */
function statusFor(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403
  if (code === '23505' || code === '23503') return 409
  if (code === '25006') return 405
  if (code === '42P01') return 404
  if (code === '42883') return 404
  if (code === '40001') return 409
  if (code.startsWith('54')) return 400
  if (code === '53400') return 500
  if (code.startsWith('53') || code === '57P01') return 503
  // 57014, a statement timeout, is a 500 in PostgREST, as every other operator intervention.
  if (code.startsWith('57')) return 500
  if (/^(08|09|0L|0P|20|21|22|23|2F|42|P0|XX)/.test(code)) return code.startsWith('XX') ? 500 : 400
  return 400
}

/** Anything thrown while answering, as the RestError PostgREST would answer with for `role`. */
export function toRestError(error: unknown, role: string): RestError {
  if (error instanceof RestError) return error
  if (isDatabaseError(error)) {
    return new RestError(
      statusFor(error.code, role),
      error.code,
      error.message,
      error.detail ?? null,
      error.hint ?? null,
    )
  }
  return new RestError(500, 'PGRST000', error instanceof Error ? error.message : 'internal error')
}

export function errorResponse(error: RestError): Response {
  const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer' } : {}
  return jsonResponse(error.body, error.status, headers)
}
