import type { PGlite } from '@electric-sql/pglite'
import { Hono, type Context } from 'hono'
import type { Logger } from '../../src/shared/log.ts'
import type { JwtKeys } from '../keys.ts'
import { checkProfile } from './api-request-headers.ts'
import type { Catalog } from './catalog.ts'
import { anonymousCaller, callerOf, type Caller } from './caller.ts'
import { errorResponse, toRestError } from './errors.ts'
import { createHandlers } from './handlers.ts'
import { apiRootResponse } from './response.ts'

/**
 * The PostgREST-compatible API over HTTP: which paths and methods exist, who is
 * calling, and every refusal answered as PostgREST answers it. What each request
 * does is in handlers.ts.
 */
export interface RestOptions {
  db: PGlite
  catalog: Catalog
  logger: Logger
  jwt: JwtKeys
}

export function createRestApp({ db, catalog, logger, jwt }: RestOptions): Hono {
  const app = new Hono()
  const handlers = createHandlers(db, catalog)

  const serve = (handle: (c: Context, caller: Caller) => Promise<Response>) => async (c: Context) => {
    let role = anonymousCaller.role
    try {
      checkProfile(c.req.raw.headers, catalog.schema)
      const caller = await callerOf(c.req.raw.headers, jwt)
      role = caller.role
      return await handle(c, caller)
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
    serve((c, caller) => handlers.call(c.req.raw, c.req.param('fn') ?? '', caller)),
  )
  app.on(
    ['GET', 'HEAD'],
    '/:table',
    serve((c, caller) => handlers.read(c.req.raw, table(c), caller)),
  )
  app.post(
    '/:table',
    serve((c, caller) => handlers.mutate(c.req.raw, 'insert', table(c), caller)),
  )
  app.patch(
    '/:table',
    serve((c, caller) => handlers.mutate(c.req.raw, 'update', table(c), caller)),
  )
  app.delete(
    '/:table',
    serve((c, caller) => handlers.mutate(c.req.raw, 'delete', table(c), caller)),
  )
  return app
}
