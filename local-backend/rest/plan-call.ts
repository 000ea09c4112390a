import type { CallRequest } from './api-request.ts'
import type { MediaType } from './api-request-headers.ts'
import type { Range } from './api-request-params.ts'
import type { Catalog, DbFunction, FunctionArg, Table } from './catalog.ts'
import { ambiguousFunction, functionNotFound } from './errors.ts'
import { planTree, type ReadTree } from './plan-read.ts'
import { functionHint } from './schema-hints.ts'

/**
 * The call plan, as PostgREST's CallPlan: the one function the arguments select,
 * each argument with the type it is passed as, and, for a function returning rows,
 * the read of its result (select, filters, order, embeddings) as of a table.
 */
export interface CallPlan {
  fn: DbFunction
  /** The arguments given, in the function's order. */
  args: { arg: FunctionArg; value: unknown }[]
  /** For a function of one unnamed json/jsonb argument called with no matching key: the whole body. */
  body?: unknown
  /** The read of the rows it returns; absent for a scalar or void function. */
  tree?: ReadTree
  range: Range
  media: MediaType
  count: boolean
  rollback: boolean
  readOnly: boolean
  /** Refuse (and undo) a call returning more rows (max-affected with handling=strict). */
  maxAffected?: number
}

const unnamedTypes = ['json', 'jsonb', 'text', 'xml', 'bytea']

/**
 * PostgREST's schema cache holds only functions it can call by name: every argument
 * named, or a single unnamed one it passes the body to.
 */
const callable = (fn: DbFunction) =>
  fn.args.every((arg) => arg.name !== '') || (fn.args.length === 1 && unnamedTypes.includes(fn.args[0]!.type))

/** The keys name every argument without a default, and nothing the function does not take (Plan.hs findProc). */
function matchesKeys(fn: DbFunction, keys: string[]): boolean {
  const names = fn.args.map((arg) => arg.name)
  return (
    keys.every((key) => names.includes(key)) &&
    fn.args.every((arg) => arg.hasDefault || keys.includes(arg.name))
  )
}

/** A POST whose keys match nothing may still call a function of one unnamed json argument with the whole body. */
const takesBody = (fn: DbFunction, post: boolean) =>
  post && fn.args.length === 1 && fn.args[0]!.name === '' && ['json', 'jsonb'].includes(fn.args[0]!.type)

function resolveFunction(catalog: Catalog, name: string, keys: string[], post: boolean): DbFunction {
  const overloads = (catalog.functions.get(name) ?? []).filter(callable)
  const matching = overloads.filter((fn) => matchesKeys(fn, keys))
  const fallback = overloads.filter((fn) => !matchesKeys(fn, keys) && takesBody(fn, post))
  const found = matching.length > 0 ? matching : fallback
  if (found.length > 1) throw ambiguousFunction(catalog.schema, found)
  if (found.length === 0)
    throw functionNotFound(catalog.schema, name, keys, post, functionHint(catalog, name, keys, callable))
  return found[0]!
}

/** The table whose rows the function returns, or one made of its OUT columns. */
function resultTable(catalog: Catalog, fn: DbFunction): Table | undefined {
  if (fn.returnsTable) return catalog.tables.get(fn.returnsTable)
  if (fn.returnKind !== 'row' || fn.outputs.length === 0) return undefined
  return {
    name: fn.name,
    columns: new Map(fn.outputs.map((column) => [column.name, column])),
    primaryKey: [],
    uniqueKeys: [],
    isView: false,
    columnSources: [],
  }
}

export function planCall(catalog: Catalog, name: string, request: CallRequest): CallPlan {
  const keys = Object.keys(request.args)
  const fn = resolveFunction(catalog, name, keys, !request.readOnly)
  const table = resultTable(catalog, fn)
  const byBody = !matchesKeys(fn, keys)
  return {
    fn,
    args: byBody
      ? []
      : fn.args
          .filter((arg) => Object.hasOwn(request.args, arg.name))
          .map((arg) => ({ arg, value: request.args[arg.name] })),
    body: byBody ? request.body : undefined,
    tree: table && planTree(catalog, table, request),
    range: request.range,
    media: request.media,
    count: request.preferences.count,
    rollback: request.preferences.rollback,
    readOnly: request.readOnly,
    maxAffected: request.preferences.maxAffected,
  }
}
