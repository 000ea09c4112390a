import type { PGlite } from '@electric-sql/pglite'
import type { ApiConfig } from './api-config.ts'
import { loadCatalog, type Catalog } from './catalog.ts'
import { invalidSchema } from './errors.ts'
import { quoteIdent } from './query-fragments.ts'

/**
 * The schemas the API exposes (config.toml [api] schemas), each with its catalog and the
 * search_path its requests run with: the schema, then extra_search_path, as PostgREST
 * sets it per request. The first schema answers a request that names none.
 */
export interface ExposedSchema {
  catalog: Catalog
  searchPath: string
}

export interface ExposedSchemas {
  names: string[]
  bySchema: Map<string, ExposedSchema>
}

/**
 * Each catalog is read under its requests' search_path, so the type names and default
 * expressions it writes into statements resolve there as they did when read.
 */
export async function loadExposedSchemas(db: PGlite, config: ApiConfig): Promise<ExposedSchemas> {
  const bySchema = new Map<string, ExposedSchema>()
  const setSearchPath = (path: string) => db.query(`select set_config('search_path', $1, false)`, [path])
  const { rows } = await db.query<{ path: string }>(`select current_setting('search_path') as path`)
  try {
    for (const name of config.schemas) {
      const searchPath = [name, ...config.extraSearchPath].map(quoteIdent).join(', ')
      await setSearchPath(searchPath)
      bySchema.set(name, { catalog: await loadCatalog(db, name), searchPath })
    }
  } finally {
    await setSearchPath(rows[0]!.path)
  }
  return { names: config.schemas, bySchema }
}

/**
 * Which schema a request addresses (ApiRequest.hs getSchema): a read names it in
 * Accept-Profile, a write (POST, PATCH, PUT, DELETE) in Content-Profile; none is the
 * first. One not exposed is PGRST106. `negotiated`: with more than one schema exposed,
 * the answer says which it came from (Content-Profile).
 */
export function addressedSchema(
  request: Request,
  schemas: ExposedSchemas,
): { name: string; schema: ExposedSchema; negotiated: boolean } {
  const writes = ['POST', 'PATCH', 'PUT', 'DELETE'].includes(request.method)
  const profile = request.headers.get(writes ? 'content-profile' : 'accept-profile')
  const name = profile ?? schemas.names[0]!
  const schema = schemas.bySchema.get(name)
  if (!schema) throw invalidSchema(name, schemas.names)
  return { name, schema, negotiated: schemas.names.length > 1 }
}
