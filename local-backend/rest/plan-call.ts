import type { CallRequest } from './api-request.ts'
import type { MediaType } from './api-request-headers.ts'
import type { Range } from './api-request-params.ts'
import type { Catalog, DbFunction, FunctionArg } from './catalog.ts'
import { ambiguousFunction, functionNotFound } from './errors.ts'

/**
 * The call plan, as PostgREST's CallPlan: the one function the named arguments
 * select, each argument with the type it is passed as.
 */
export interface CallPlan {
  fn: DbFunction
  /** The arguments given, in the function's order. */
  args: { arg: FunctionArg; value: unknown }[]
  range: Range
  media: MediaType
  count: boolean
  rollback: boolean
  readOnly: boolean
}

/** The overload whose arguments are exactly the given names plus any that have defaults. */
function resolveFunction(catalog: Catalog, name: string, argNames: string[]): DbFunction {
  const found = (catalog.functions.get(name) ?? []).filter((fn) => {
    const names = new Set(fn.args.map((a) => a.name))
    return (
      argNames.every((n) => names.has(n)) && fn.args.every((a) => a.hasDefault || argNames.includes(a.name))
    )
  })
  if (found.length > 1)
    throw ambiguousFunction(
      catalog.schema,
      found.map((f) => f.name),
    )
  if (found.length === 0) throw functionNotFound(catalog.schema, name, argNames)
  return found[0]!
}

export function planCall(catalog: Catalog, name: string, request: CallRequest): CallPlan {
  const fn = resolveFunction(catalog, name, Object.keys(request.args))
  return {
    fn,
    args: fn.args
      .filter((arg) => Object.hasOwn(request.args, arg.name))
      .map((arg) => ({ arg, value: request.args[arg.name] })),
    range: request.range,
    media: request.media,
    count: request.preferences.count,
    rollback: request.preferences.rollback,
    readOnly: request.readOnly,
  }
}
