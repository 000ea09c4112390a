import type { PGlite } from '@electric-sql/pglite'
import {
  parseCallRequest,
  parseMutateRequest,
  parseReadRequest,
  readRequestKey,
  type MutateRequest,
} from './api-request.ts'
import type { Catalog } from './catalog.ts'
import { runAsCaller, type Caller } from './caller.ts'
import type { Statement } from './pipeline.ts'
import { planCall } from './plan-call.ts'
import { createPlanCache } from './plan-cache.ts'
import { planMutate } from './plan-mutate.ts'
import { planRead, tableOf, type ReadPlan } from './plan-read.ts'
import { callStatements, mutateStatement, readStatements } from './query-statements.ts'
import {
  callResponse,
  emptyInsertResponse,
  mutateResponse,
  mutationCommits,
  readResponse,
} from './response.ts'

/**
 * One handler per action, as PostgREST's App: the request is parsed (api-request),
 * planned against the catalog (plan-*), built into statements (query-*), run as
 * the caller in one transaction, and shaped into the answer (response). Anything
 * refused is thrown as a RestError for the route to answer with.
 */
export function createHandlers(db: PGlite, catalog: Catalog) {
  const reads = createPlanCache<{ plan: ReadPlan; statements: Statement[] }>()
  return {
    async read(request: Request, tableName: string, caller: Caller): Promise<Response> {
      const table = tableOf(catalog, tableName)
      const { plan, statements } = reads.get(table, readRequestKey(request), () => {
        const plan = planRead(catalog, table, parseReadRequest(request))
        return { plan, statements: readStatements(catalog.schema, plan) }
      })
      return readResponse(plan, await runAsCaller(db, caller, statements), request.method === 'HEAD')
    },

    async mutate(
      request: Request,
      action: MutateRequest['action'],
      tableName: string,
      caller: Caller,
    ): Promise<Response> {
      const table = tableOf(catalog, tableName)
      const plan = planMutate(catalog, table, await parseMutateRequest(request, action))
      if (plan.mutation.kind === 'insert' && plan.mutation.groups.length === 0)
        return emptyInsertResponse(plan)
      const statement = mutateStatement(catalog.schema, plan)
      const results = await runAsCaller(db, caller, [statement], (ran) => mutationCommits(plan, ran))
      return mutateResponse(plan, results)
    },

    async call(request: Request, name: string, caller: Caller): Promise<Response> {
      const plan = planCall(catalog, name, await parseCallRequest(request))
      const commit = plan.rollback ? () => false : undefined
      return callResponse(plan, await runAsCaller(db, caller, callStatements(catalog.schema, plan), commit))
    },
  }
}
