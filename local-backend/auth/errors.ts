import { jsonResponse } from '../http.ts'

/**
 * GoTrue's error body and header (internal/api/apierrors, errors.go): `code` is the
 * HTTP status, `error_code` the machine name auth-js turns into `AuthError.code`, and
 * the same name in `x-sb-error-code`, which clients read when they cannot parse a body.
 */
export function authError(
  status: number,
  errorCode: string,
  msg: string,
  extra: Record<string, unknown> = {},
): Response {
  return jsonResponse({ code: status, error_code: errorCode, msg, ...extra }, status, {
    'x-sb-error-code': errorCode,
  })
}

export const badJson = (message: string) =>
  authError(400, 'bad_json', `Could not parse request body as JSON: ${message}`)

export const validationFailed = (msg: string) => authError(400, 'validation_failed', msg)

/** OAuth's error shape, which GoTrue keeps for the token endpoint's grant errors. */
export const oauthError = (error: string, description: string) =>
  jsonResponse({ error, error_description: description }, 400)
