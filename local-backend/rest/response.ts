import { jsonResponse } from '../http.ts'
import type { MediaType } from './api-request-headers.ts'
import { rangeNotSatisfiable, singularMismatch } from './errors.ts'
import type { Rows } from './pipeline.ts'
import type { CallPlan } from './plan-call.ts'
import type { MutatePlan } from './plan-mutate.ts'
import type { ReadPlan } from './plan-read.ts'
import { callResult, mutateResult, readResult } from './query-statements.ts'

/**
 * The answer to a request whose statements ran, as PostgREST's Response: the
 * status, the body as an array or (Accept: vnd.pgrst.object) one object, and
 * Content-Range with the page and, when counted, the total.
 */
const jsonHeaders = (media: MediaType) => ({
  'content-type': media.singular
    ? 'application/vnd.pgrst.object+json; charset=utf-8'
    : 'application/json; charset=utf-8',
})

function contentRange(offset: number, n: number, total: number | null): string {
  const totalText = total === null ? '*' : String(total)
  return n === 0 ? `*/${totalText}` : `${offset}-${offset + n - 1}/${totalText}`
}

export const apiRootResponse = () =>
  jsonResponse({ swagger: '2.0', info: { title: 'local PostgREST', version: 'local' }, paths: {} }, 200)

export function readResponse(plan: ReadPlan, results: Rows[], headersOnly: boolean): Response {
  const { body, n, total } = readResult(results)
  const { offset } = plan.tree.range
  if (plan.media.singular && n !== 1) throw singularMismatch(n)
  if (total !== null && offset > 0 && offset >= total && n === 0)
    throw rangeNotSatisfiable(`An offset of ${offset} was requested, but there are only ${total} rows.`)
  const headers = { ...jsonHeaders(plan.media), 'content-range': contentRange(offset, n, total) }
  return new Response(headersOnly ? null : (body ?? 'null'), { status: 200, headers })
}

/** A singular request that did not touch exactly one row is undone, as PostgREST does. */
export const mutationCommits = (plan: MutatePlan, results: Rows[]) =>
  !plan.rollback && !(plan.media.singular && mutateResult(results).n !== 1)

const mutateStatus = {
  insert: { representation: 201, minimal: 201 },
  update: { representation: 200, minimal: 204 },
  delete: { representation: 200, minimal: 204 },
}

export function mutateResponse(plan: MutatePlan, results: Rows[]): Response {
  const { body, n } = mutateResult(results)
  if (plan.media.singular && n !== 1) throw singularMismatch(n)
  const status = mutateStatus[plan.mutation.kind]
  const headers = { 'content-range': contentRange(0, n, plan.count ? n : null) }
  if (!plan.returning) return new Response(null, { status: status.minimal, headers })
  return new Response(body ?? 'null', {
    status: status.representation,
    headers: { ...jsonHeaders(plan.media), ...headers },
  })
}

/** An insert of no rows answers without asking the database. */
export function emptyInsertResponse(plan: MutatePlan): Response {
  if (plan.media.singular) throw singularMismatch(0)
  return plan.returning
    ? new Response('[]', { status: 201, headers: jsonHeaders(plan.media) })
    : new Response(null, { status: 201 })
}

export function callResponse(plan: CallPlan, results: Rows[]): Response {
  if (plan.fn.returnKind === 'void') return new Response(null, { status: 204 })
  const { body, n } = callResult(results)
  if (plan.media.singular && plan.fn.returnsSet && n !== 1) throw singularMismatch(n)
  return new Response(body ?? 'null', {
    status: 200,
    headers: {
      ...jsonHeaders(plan.media),
      'content-range': contentRange(plan.range.offset, n, plan.count ? n : null),
    },
  })
}
