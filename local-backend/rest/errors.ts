/**
 * PostgREST's error body and the status it answers with. Request parsing throws
 * RestError; the route turns it (and every Postgres error) into a response, so a
 * bad request can never surface as a 500.
 */
export interface RestErrorBody {
  code: string
  message: string
  details: string | null
  hint: string | null
}

export class RestError extends Error {
  readonly status: number
  readonly body: RestErrorBody

  constructor(
    status: number,
    code: string,
    message: string,
    details: string | null = null,
    hint: string | null = null,
  ) {
    super(message)
    this.status = status
    this.body = { code, message, details, hint }
  }
}

export const badQuery = (message: string, details: string | null = null) =>
  new RestError(400, 'PGRST100', message, details)

export const unknownColumn = (table: string, column: string) =>
  new RestError(400, '42703', `column ${table}.${column} does not exist`)

interface DatabaseErrorLike {
  code: string
  message: string
  detail?: string
  hint?: string
}

const isDatabaseError = (error: unknown): error is DatabaseErrorLike =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  typeof (error as { message?: unknown }).message === 'string'

/** PostgREST's mapping of SQLSTATE to HTTP status. */
function statusFor(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403
  if (code === '23505' || code === '23503') return 409
  if (code === '25006') return 405
  if (code === '42P01') return 404
  if (code === '42883') return 404
  if (code === '40001') return 409
  if (code === '53400' || code === '57014') return 503
  if (/^(08|09|0L|0P|20|21|22|23|2F|42|P0|XX)/.test(code)) return code.startsWith('XX') ? 500 : 400
  return 400
}

export function errorFromDatabase(error: unknown, role: string): RestError {
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
