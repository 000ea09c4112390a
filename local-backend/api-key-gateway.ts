import type { MiddlewareHandler } from 'hono'
import { jsonResponse } from './http.ts'
import { publishableKeyPrefix, secretKeyPrefix, type JwtKeys } from './keys.ts'

/**
 * What hosted Supabase's API gateway does with the new API keys before a request
 * reaches PostgREST or Auth: an `sb_publishable_` key stands for the anon role, an
 * `sb_secret_` key for service_role, and the gateway hands the request on with a
 * short-lived JWT of that role in `Authorization` (when the caller sent the key
 * there too, or nothing), so the services behind it only ever see JWTs. A user's
 * JWT in `Authorization` passes through untouched. An unknown or revoked key is
 * refused, and so is a secret key sent by a browser: it must never be in one.
 */

/** Hosted's gateway answers in this shape: a message and a hint. */
const invalidApiKey = () =>
  jsonResponse(
    { message: 'Invalid API key', hint: 'Double check the provided API key as it is invalid.' },
    401,
  )
const secretKeyFromBrowser = () =>
  jsonResponse(
    {
      message: 'Forbidden use of secret API key in browser',
      hint: 'Secret API keys can only be used in a protected environment and should never be used in a browser.',
    },
    401,
  )

const isApiKey = (value: string) =>
  value.startsWith(publishableKeyPrefix) || value.startsWith(secretKeyPrefix)

/**
 * A browser announces itself: every one sends a `Mozilla/` User-Agent, which hosted
 * matches on, and a page's cross-origin request carries `Origin`. supabase-js in
 * Node, Deno or a server sends neither.
 */
export function fromBrowser(headers: Headers): boolean {
  return headers.has('origin') || /^Mozilla\//.test(headers.get('user-agent') ?? '')
}

export function apiKeyGateway(keys: JwtKeys): MiddlewareHandler {
  return async (c, next) => {
    const headers = c.req.raw.headers
    const apikey = headers.get('apikey')
    const authorization = headers.get('authorization')
    const bearer = authorization ? /^bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined
    const presented = [apikey, bearer].filter((value): value is string => !!value && isApiKey(value))
    if (presented.length === 0) return next()
    const roles = presented.map((key) => keys.apiKeyRole(key))
    if (roles.includes(undefined)) return invalidApiKey()
    if (roles.includes('service_role') && fromBrowser(headers)) return secretKeyFromBrowser()
    // A JWT in Authorization is the caller's own identity; the gateway leaves it be.
    if (bearer !== undefined && !isApiKey(bearer)) return next()
    const role = bearer === undefined ? roles[0]! : keys.apiKeyRole(bearer)!
    const forwarded = new Headers(headers)
    forwarded.set('authorization', `Bearer ${await keys.roleToken(role)}`)
    c.req.raw = new Request(c.req.raw, { headers: forwarded })
    return next()
  }
}
