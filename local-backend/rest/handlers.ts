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
import type { RoleSettings } from './role-settings.ts'
import type { MediaType } from './api-request-headers.ts'
import type { Rows, Statement } from './pipeline.ts'
import { planCall } from './plan-call.ts'
import { createPlanCache } from './plan-cache.ts'
import { planMutate, type MutatePlan } from './plan-mutate.ts'
import { planRead, tableOf, type ReadPlan } from './plan-read.ts'
import { callStatements, explainStatement, mutateStatement, readStatements } from './query-statements.ts'
import {
  callCommits,
  callResponse,
  emptyInsertResponse,
  mutateResponse,
  mutationCommits,
  planResponse,
  readResponse,
} from './response.ts'

/**
 * What a read or a write runs: the request parsed (api-request), planned against
 * the catalog (plan-*) and built into statements (query-*). Apart from the
 * handlers so that the benches can run the very same SQL on Postgres 15.
 */
export function createStatementPlanner(catalog: Catalog) {
  const reads = createPlanCache<{ plan: ReadPlan; statements: Statement[] }>()
  return {
    read(request: Request, tableName: string): { plan: ReadPlan; statements: Statement[] } {
      const table = tableOf(catalog, tableName)
      return reads.get(table, readRequestKey(request), () => {
        const plan = planRead(catalog, table, parseReadRequest(request))
        return { plan, statements: readStatements(catalog.schema, plan) }
      })
    },

    /** No statement for an insert of no rows: it is answered without the database. */
    async mutate(
      request: Request,
      action: MutateRequest['action'],
      tableName: string,
    ): Promise<{ plan: MutatePlan; statement?: Statement }> {
      const table = tableOf(catalog, tableName)
      const plan = planMutate(catalog, table, await parseMutateRequest(request, action))
      if (plan.mutation.kind === 'insert' && plan.mutation.rows.length === 0) return { plan }
      return { plan, statement: mutateStatement(catalog.schema, plan) }
    },
  }
}

/**
 * One handler per action, as PostgREST's App: the statements are planned, run as
 * the caller in one transaction, and shaped into the answer (response). Anything
 * refused is thrown as a RestError for the route to answer with.
 */
export function createHandlers(
  db: PGlite,
  catalog: Catalog,
  roleSettings: RoleSettings,
  searchPath?: string,
) {
  const planner = createStatementPlanner(catalog)
  const run = async (caller: Caller, statements: Statement[], commit?: (results: Rows[]) => boolean) => {
    const { statementTimeout, applied } = await roleSettings.of(caller.role)
    return runAsCaller(
      db,
      caller,
      { searchPath, statementTimeout, roleSettings: applied },
      statements,
      commit,
    )
  }
  /**
   * Accept: application/vnd.pgrst.plan answers the EXPLAIN of the statement that makes
   * the body, after `before` (a GET's read-only mode); it commits as the request would.
   */
  const explain = async (
    media: MediaType,
    caller: Caller,
    body: Statement,
    { before = [], rollback = false }: { before?: Statement[]; rollback?: boolean } = {},
  ) => {
    const statements = [...before, explainStatement(media.plan!, body)]
    const results = await run(caller, statements, rollback ? () => false : undefined)
    return planResponse(media, results.slice(before.length))
  }

  return {
    async read(request: Request, tableName: string, caller: Caller): Promise<Response> {
      const { plan, statements } = planner.read(request, tableName)
      if (plan.media.plan) return explain(plan.media, caller, statements[0]!)
      return readResponse(plan, await run(caller, statements))
    },

    async mutate(
      request: Request,
      action: MutateRequest['action'],
      tableName: string,
      caller: Caller,
    ): Promise<Response> {
      const { plan, statement } = await planner.mutate(request, action, tableName)
      if (!statement) return emptyInsertResponse(plan)
      if (plan.media.plan) return explain(plan.media, caller, statement, { rollback: plan.rollback })
      const results = await run(caller, [statement], mutationCommits(plan))
      return mutateResponse(plan, results)
    },

    async call(request: Request, name: string, caller: Caller): Promise<Response> {
      const plan = planCall(catalog, name, await parseCallRequest(request))
      const statements = callStatements(catalog.schema, plan)
      if (plan.media.plan) {
        const [before, body] = plan.readOnly ? [statements.slice(0, 1), statements[1]!] : [[], statements[0]!]
        return explain(plan.media, caller, body, { before, rollback: plan.rollback })
      }
      return callResponse(plan, await run(caller, statements, (ran) => callCommits(plan, ran)))
    },
  }
}
