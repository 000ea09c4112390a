import { jsonResponse } from '../http.ts'
import type { MediaType } from './api-request-headers.ts'
import { maxAffectedExceeded, rangeNotSatisfiable, singularMismatch } from './errors.ts'
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
const jsonHeaders = (media: MediaType) => ({ 'content-type': media.contentType })

function contentRange(offset: number, n: number, total: number | null): string {
  const totalText = total === null ? '*' : String(total)
  return n === 0 ? `*/${totalText}` : `${offset}-${offset + n - 1}/${totalText}`
}

/** A plan's EXPLAIN, one line per row as PostgREST writes it (MainTx.hs planRow), 200 whatever it explains. */
export function planResponse(media: MediaType, [rows]: Rows[]): Response {
  const body = rows!.map((row) => `${row[0]}\n`).join('')
  return new Response(body, { status: 200, headers: { 'content-type': media.contentType } })
}

export const apiRootResponse = () =>
  jsonResponse({ swagger: '2.0', info: { title: 'local PostgREST', version: 'local' }, paths: {} }, 200)

export function readResponse(plan: ReadPlan, results: Rows[]): Response {
  const { body, n, total } = readResult(results)
  const { offset } = plan.tree.range
  if (plan.media.singular && n !== 1) throw singularMismatch(n)
  if (total !== null && offset > 0 && offset >= total && n === 0)
    throw rangeNotSatisfiable(`An offset of ${offset} was requested, but there are only ${total} rows.`)
  const headers = {
    ...jsonHeaders(plan.media),
    'content-range': contentRange(offset, n, total),
    ...plan.applied,
  }
  // RangeQuery.hs: a counted read that answers fewer rows than match is Partial Content.
  const status = total !== null && n < total ? 206 : 200
  return new Response(plan.headersOnly ? null : (body ?? 'null'), { status, headers })
}

/** The refusal a mutation's result earns, if any: then it is undone, as PostgREST does. */
function mutationRefusal(plan: MutatePlan, n: number) {
  if (plan.media.singular && n !== 1) return singularMismatch(n)
  if (plan.maxAffected !== undefined && n > plan.maxAffected) return maxAffectedExceeded(n)
  return undefined
}

/**
 * What decides, from its rows, whether a mutation commits; none when nothing can
 * undo it (no tx=rollback, singular or max-affected), so that its COMMIT travels
 * in the same round trip as the statement.
 */
export function mutationCommits(plan: MutatePlan): ((results: Rows[]) => boolean) | undefined {
  if (!plan.rollback && !plan.media.singular && plan.maxAffected === undefined) return undefined
  return (results) => !plan.rollback && mutationRefusal(plan, mutateResult(results).n) === undefined
}

/** `/table?key=eq.value` for the one row a `return=headers-only` insert created. */
function locationOf(
  plan: MutatePlan,
  keys: string[],
  body: string | null,
  n: number,
): Record<string, string> {
  if (n !== 1 || body === null) return {}
  const row = (JSON.parse(body) as Record<string, unknown>[])[0]!
  const query = keys.map((key) => `${encodeURIComponent(key)}=eq.${encodeURIComponent(String(row[key]))}`)
  return { location: `/${plan.table.name}?${query.join('&')}` }
}

/**
 * Status and Content-Range as PostgREST's Response.hs answers each mutation: an insert
 * is 201, but an upsert that merged into existing rows only (inserting none) is 200;
 * an update or delete is 200 with the representation, 204 without. Content-Range gives
 * an update's rows, and only the count (when asked) for an insert or delete.
 */
export function mutateResponse(plan: MutatePlan, results: Rows[]): Response {
  const { body, n, inserted } = mutateResult(results)
  const refusal = mutationRefusal(plan, n)
  if (refusal) throw refusal
  const { kind } = plan.mutation
  const total = plan.count ? n : null
  const headers = {
    'content-range': kind === 'update' ? contentRange(0, n, total) : contentRange(0, 0, total),
    ...plan.applied,
  }
  if (kind === 'insert') {
    const merged =
      plan.mutation.kind === 'insert' && plan.mutation.conflict?.resolution === 'merge-duplicates'
    const status = merged && inserted === 0 ? 200 : 201
    if (plan.location)
      return new Response(null, {
        status,
        headers: { ...headers, ...locationOf(plan, plan.location, body, n) },
      })
    if (!plan.returning) return new Response(null, { status, headers })
    return new Response(body ?? 'null', { status, headers: { ...jsonHeaders(plan.media), ...headers } })
  }
  if (!plan.returning) return new Response(null, { status: 204, headers })
  return new Response(body ?? 'null', { status: 200, headers: { ...jsonHeaders(plan.media), ...headers } })
}

/** An insert of no rows answers without asking the database. */
export function emptyInsertResponse(plan: MutatePlan): Response {
  if (plan.media.singular) throw singularMismatch(0)
  return plan.returning
    ? new Response('[]', { status: 201, headers: jsonHeaders(plan.media) })
    : new Response(null, { status: 201 })
}

/** As for a mutation: a call whose rows break the singular or max-affected preference is undone. */
function callRefusal(plan: CallPlan, n: number) {
  if (plan.media.singular && plan.fn.returnsSet && n !== 1) return singularMismatch(n)
  if (plan.maxAffected !== undefined && n > plan.maxAffected) return maxAffectedExceeded(n)
  return undefined
}

export const callCommits = (plan: CallPlan, results: Rows[]) =>
  !plan.rollback &&
  (plan.fn.returnKind === 'void' || callRefusal(plan, callResult(results, plan.readOnly).n) === undefined)

export function callResponse(plan: CallPlan, results: Rows[]): Response {
  if (plan.fn.returnKind === 'void') return new Response(null, { status: 204 })
  const { body, n, total } = callResult(results, plan.readOnly)
  const refusal = callRefusal(plan, n)
  if (refusal) throw refusal
  return new Response(body ?? 'null', {
    status: 200,
    headers: {
      ...jsonHeaders(plan.media),
      'content-range': contentRange(plan.range.offset, n, plan.count ? (total ?? n) : null),
    },
  })
}
