import { createHash, randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { jsonResponse } from '../http.ts'
import { requireServiceRole, uuid, type AuthContext } from './context.ts'
import { authError, validationFailed } from './errors.ts'
import { readParams } from './params.ts'

/**
 * The admin half of Auth as an OAuth 2.1 server: the registry of client apps, as GoTrue
 * answers it (internal/api/oauthserver/handlers.go, service.go, client_auth.go; the
 * /admin/oauth/clients routes in api.go). The service role registers, reads, updates,
 * deletes a client and regenerates its secret. Only `[auth.oauth_server] enabled`
 * turns the routes on; otherwise they answer 404 feature_disabled, as GoTrue does.
 */

const grantTypes = ['authorization_code', 'refresh_token'] as const
const authMethods = ['none', 'client_secret_basic', 'client_secret_post'] as const
type ClientType = 'public' | 'confidential'

/** An auth.oauth_clients row, as PGlite returns it. */
const clientRow = z.object({
  id: z.string(),
  client_secret_hash: z.string().nullable(),
  registration_type: z.enum(['dynamic', 'manual']),
  client_type: z.enum(['public', 'confidential']),
  token_endpoint_auth_method: z.enum(authMethods),
  redirect_uris: z.array(z.string()),
  grant_types: z.array(z.string()),
  client_name: z.string().nullable(),
  client_uri: z.string().nullable(),
  logo_uri: z.string().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
})
type ClientRow = z.infer<typeof clientRow>

/** The fields both registration and update take; GoTrue checks their values itself, in its own words. */
const clientFields = {
  redirect_uris: z.array(z.string()),
  grant_types: z.array(z.string()),
  client_name: z.string(),
  client_uri: z.string(),
  logo_uri: z.string(),
  token_endpoint_auth_method: z.string(),
}
const registerParams = z.object({ ...clientFields, client_type: z.string() }).partial()
const updateParams = z.object(clientFields).partial()
type UpdateParams = z.infer<typeof updateParams>

/** GoTrue's OAuthServerClientResponse: empty strings and lists are left out, the secret only when just made. */
function clientJson(row: ClientRow, secret?: string) {
  const present = (value: string | null) => (value ? value : undefined)
  return {
    client_id: row.id,
    client_secret: secret,
    client_type: row.client_type,
    redirect_uris: row.redirect_uris.length > 0 ? row.redirect_uris : undefined,
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    grant_types: row.grant_types.length > 0 ? row.grant_types : undefined,
    // OAuth 2.1 has the code flow alone.
    response_types: ['code'],
    client_name: present(row.client_name),
    client_uri: present(row.client_uri),
    logo_uri: present(row.logo_uri),
    registration_type: row.registration_type,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }
}

/** RFC 6749 §3.1.2 as GoTrue applies it: absolute, no fragment, no script-like scheme, plain HTTP only on loopback. */
function redirectUriProblem(uri: string): string | undefined {
  if (uri === '') return 'redirect URI cannot be empty'
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return 'must have scheme and host'
  }
  const scheme = url.protocol.slice(0, -1)
  if (url.host === '') return 'must have scheme and host'
  if (['javascript', 'data', 'file', 'vbscript', 'about', 'blob'].includes(scheme.toLowerCase()))
    return `scheme '${scheme}' is not allowed for security reasons`
  if (scheme === 'http' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))
    return 'HTTP scheme only allowed for localhost'
  if (url.hash !== '') return 'fragment not allowed in redirect URI'
  return undefined
}

function redirectUrisProblem(uris: string[]): string | undefined {
  if (uris.length === 0) return 'redirect_uris cannot be empty'
  if (uris.length > 10) return 'redirect_uris cannot exceed 10 items'
  for (const uri of uris) {
    const problem = redirectUriProblem(uri)
    if (problem) return `invalid redirect_uri '${uri}': ${problem}`
  }
  return undefined
}

function uriProblem(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined
  if (value.length > 2048) return `${name} cannot exceed 2048 characters`
  return URL.canParse(value) ? undefined : `${name} must be a valid URL`
}

/** The checks registration and update share (service.go's validate methods), first problem first. */
function fieldsProblem(params: UpdateParams): string | undefined {
  if (params.redirect_uris) {
    const problem = redirectUrisProblem(params.redirect_uris)
    if (problem) return problem
  }
  if (params.grant_types) {
    if (params.grant_types.length === 0) return 'grant_types cannot be empty'
    if (params.grant_types.some((grant) => !(grantTypes as readonly string[]).includes(grant)))
      return "grant_types must only contain 'authorization_code' and/or 'refresh_token'"
  }
  if ((params.client_name?.length ?? 0) > 1024) return 'client_name cannot exceed 1024 characters'
  return uriProblem('client_uri', params.client_uri) ?? uriProblem('logo_uri', params.logo_uri)
}

const isAuthMethod = (method: string): method is (typeof authMethods)[number] =>
  (authMethods as readonly string[]).includes(method)
const clientTypeOf = (method: string): ClientType => (method === 'none' ? 'public' : 'confidential')

/** A new client secret and the hash kept of it (SHA-256, as GoTrue keeps it). */
function newSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { secret, hash: createHash('sha256').update(secret).digest('base64url') }
}

const columns = `id, client_secret_hash, registration_type, client_type, token_endpoint_auth_method,
  redirect_uris, grant_types, client_name, client_uri, logo_uri, created_at, updated_at`

export function createOAuthClientRoutes(ctx: AuthContext): Hono {
  const { db, config } = ctx
  const app = new Hono()

  const rowOf = (rows: unknown[]) => (rows[0] === undefined ? undefined : clientRow.parse(rows[0]))
  const liveClient = async (id: string) =>
    rowOf(
      (await db.query(`select ${columns} from auth.oauth_clients where id = $1 and deleted_at is null`, [id]))
        .rows,
    )

  // GoTrue's order: requireAdmin, then requireOAuthServerEnabled, then the client the path names.
  const admin =
    (handler: (c: Context) => Promise<Response>) =>
    async (c: Context): Promise<Response> =>
      (await requireServiceRole(c, ctx.jwt)) ??
      (config.oauthServerEnabled
        ? handler(c)
        : authError(404, 'feature_disabled', 'OAuth server is disabled'))
  const withClient = (handler: (c: Context, client: ClientRow) => Promise<Response>) =>
    admin(async (c) => {
      const id = c.req.param('id') ?? ''
      if (!uuid.safeParse(id).success) return validationFailed('invalid client_id format')
      const client = await liveClient(id)
      return client ? handler(c, client) : authError(404, 'oauth_client_not_found', 'OAuth client not found')
    })

  app.post(
    '/admin/oauth/clients',
    admin(async (c) => {
      const params = await readParams(c.req.raw, registerParams)
      if (!params.ok) return params.response
      const p = params.value
      const method = p.token_endpoint_auth_method ?? ''
      // The handler words every registration problem as the error it wraps: "400: <message>".
      const refuse = (message: string) => validationFailed(`400: ${message}`)
      if (!p.redirect_uris || p.redirect_uris.length === 0) return refuse('redirect_uris is required')
      const problem = fieldsProblem(p)
      if (problem) return refuse(problem)
      if (p.client_type && p.client_type !== 'public' && p.client_type !== 'confidential')
        return refuse("client_type must be 'public' or 'confidential'")
      if (method && !isAuthMethod(method))
        return refuse(`token_endpoint_auth_method must be one of: [${authMethods.join(' ')}]`)
      if (p.client_type && method && clientTypeOf(method) !== p.client_type)
        return refuse(
          `client_type '${p.client_type}' is inconsistent with token_endpoint_auth_method '${method}' (expected client_type '${clientTypeOf(method)}')`,
        )
      const clientType: ClientType =
        (p.client_type as ClientType | undefined) || (method ? clientTypeOf(method) : 'confidential')
      const authMethod = method || (clientType === 'public' ? 'none' : 'client_secret_basic')
      const secret = clientType === 'confidential' ? newSecret() : undefined
      const { rows } = await db.query(
        `insert into auth.oauth_clients (client_secret_hash, registration_type, client_type, token_endpoint_auth_method,
           redirect_uris, grant_types, client_name, client_uri, logo_uri)
         values ($1, 'manual', $2, $3, $4, $5, $6, $7, $8) returning ${columns}`,
        [
          secret?.hash ?? null,
          clientType,
          authMethod,
          p.redirect_uris,
          p.grant_types?.length ? p.grant_types : [...grantTypes],
          p.client_name || null,
          p.client_uri || null,
          p.logo_uri || null,
        ],
      )
      return jsonResponse(clientJson(rowOf(rows)!, secret?.secret), 201)
    }),
  )

  app.get(
    '/admin/oauth/clients',
    admin(async () => {
      const { rows } = await db.query(
        `select ${columns} from auth.oauth_clients where deleted_at is null order by created_at desc`,
      )
      const clients = rows.map((row) => clientJson(clientRow.parse(row)))
      // Go's omitempty leaves an empty list out altogether.
      return jsonResponse(clients.length > 0 ? { clients } : {}, 200)
    }),
  )

  app.get(
    '/admin/oauth/clients/:id',
    withClient(async (_c, client) => jsonResponse(clientJson(client), 200)),
  )

  app.put(
    '/admin/oauth/clients/:id',
    withClient(async (c, client) => {
      const params = await readParams(c.req.raw, updateParams)
      if (!params.ok) return params.response
      const p = params.value
      if (Object.values(p).every((value) => value === undefined))
        return validationFailed('No fields provided for update')
      const problem = fieldsProblem(p)
      if (problem) return validationFailed(problem)
      const method = p.token_endpoint_auth_method
      if (method !== undefined && !isAuthMethod(method))
        return validationFailed(
          `invalid token_endpoint_auth_method: must be one of [${authMethods.join(' ')}]`,
        )
      if (method !== undefined && clientTypeOf(method) !== client.client_type) {
        const valid = client.client_type === 'public' ? 'none' : 'client_secret_basic client_secret_post'
        return validationFailed(
          `token_endpoint_auth_method '${method}' is not valid for client_type '${client.client_type}'; valid methods: [${valid}]`,
        )
      }
      const { rows } = await db.query(
        `update auth.oauth_clients set
           redirect_uris = coalesce($2, redirect_uris), grant_types = coalesce($3, grant_types),
           client_name = coalesce($4, client_name), client_uri = coalesce($5, client_uri),
           logo_uri = coalesce($6, logo_uri),
           token_endpoint_auth_method = coalesce($7, token_endpoint_auth_method), updated_at = now()
         where id = $1 returning ${columns}`,
        [
          client.id,
          p.redirect_uris ?? null,
          p.grant_types ?? null,
          p.client_name ?? null,
          p.client_uri ?? null,
          p.logo_uri ?? null,
          method ?? null,
        ],
      )
      return jsonResponse(clientJson(rowOf(rows)!), 200)
    }),
  )

  app.delete(
    '/admin/oauth/clients/:id',
    withClient(async (_c, client) => {
      await db.query('update auth.oauth_clients set deleted_at = now() where id = $1', [client.id])
      return new Response(null, { status: 204 })
    }),
  )

  app.post(
    '/admin/oauth/clients/:id/regenerate_secret',
    withClient(async (_c, client) => {
      if (client.client_type !== 'confidential')
        return validationFailed('Cannot regenerate secret for public client')
      const { secret, hash } = newSecret()
      const { rows } = await db.query(
        `update auth.oauth_clients set client_secret_hash = $2, updated_at = now() where id = $1 returning ${columns}`,
        [client.id, hash],
      )
      return jsonResponse(clientJson(rowOf(rows)!, secret), 200)
    }),
  )

  return app
}
