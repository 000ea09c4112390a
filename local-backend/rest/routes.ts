import type { PGlite } from '@electric-sql/pglite'
import { Hono, type Context } from 'hono'
import type { Logger } from '../../src/shared/log.ts'
import type { JwtKeys } from '../keys.ts'
import { anonymousCaller, callerOf, type Caller } from './caller.ts'
import { errorResponse, toRestError } from './errors.ts'
import { addressedSchema, type ExposedSchemas } from './exposed-schemas.ts'
import { createHandlers } from './handlers.ts'
import { apiRootResponse } from './response.ts'
import type { RoleSettings } from './role-settings.ts'

/**
 * The PostgREST-compatible API over HTTP: which paths and methods exist, who is
 * calling, and every refusal answered as PostgREST answers it. What each request
 * does is in handlers.ts.
 */
export interface RestOptions {
  db: PGlite
  schemas: ExposedSchemas
  logger: Logger
  jwt: JwtKeys
  roleSettings: RoleSettings
}

/** With more than one schema exposed, an answer with a body names the one it came from (Response.hs profileHeader). */
function withProfile(response: Response, schema: string): Response {
  if (!response.headers.has('content-type')) return response
  const headers = new Headers(response.headers)
  headers.set('content-profile', schema)
  return new Response(response.body, { status: response.status, headers })
}

type Handlers = ReturnType<typeof createHandlers>

export function createRestApp({ db, schemas, logger, jwt, roleSettings }: RestOptions): Hono {
  const app = new Hono()
  const handlersBySchema = new Map(
    [...schemas.bySchema].map(([name, { catalog, searchPath }]) => [
      name,
      createHandlers(db, catalog, roleSettings, searchPath),
    ]),
  )

  const serve =
    (handle: (c: Context, handlers: Handlers, caller: Caller) => Promise<Response>) => async (c: Context) => {
      let role = anonymousCaller.role
      try {
        const { name, negotiated } = addressedSchema(c.req.raw, schemas)
        const caller = await callerOf(c.req.raw.headers, jwt)
        role = caller.role
        const response = await handle(c, handlersBySchema.get(name)!, caller)
        return negotiated ? withProfile(response, name) : response
      } catch (error) {
        const restError = toRestError(error, role)
        if (restError.status >= 500) logger.error('rest request failed', { error })
        return errorResponse(restError)
      }
    }
  const table = (c: Context) => c.req.param('table') ?? ''

  app.get('/', apiRootResponse)
  app.on(
    ['GET', 'POST'],
    '/rpc/:fn',
    serve((c, handlers, caller) => handlers.call(c.req.raw, c.req.param('fn') ?? '', caller)),
  )
  app.on(
    ['GET', 'HEAD'],
    '/:table',
    serve((c, handlers, caller) => handlers.read(c.req.raw, table(c), caller)),
  )
  app.post(
    '/:table',
    serve((c, handlers, caller) => handlers.mutate(c.req.raw, 'insert', table(c), caller)),
  )
  app.patch(
    '/:table',
    serve((c, handlers, caller) => handlers.mutate(c.req.raw, 'update', table(c), caller)),
  )
  app.delete(
    '/:table',
    serve((c, handlers, caller) => handlers.mutate(c.req.raw, 'delete', table(c), caller)),
  )
  return app
}
