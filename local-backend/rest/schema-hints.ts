import type { Catalog, DbFunction } from './catalog.ts'
import { closestMatch, fuzzyMatches } from './fuzzy-match.ts'

/**
 * PostgREST's "Perhaps you meant ..." hints on a name the schema cache lacks
 * (Error.hs tableNotFoundHint, noRelBetweenHint, noRpcHint): the closest name it does
 * hold. Table and function names must be close (0.75), so a hint reveals little;
 * relationship ends and argument lists use the set's default minimum (0.33).
 */
const closeNameScore = 0.75

export function tableHint(catalog: Catalog, name: string): string | null {
  const table = closestMatch(catalog.tables.keys(), name, closeNameScore)
  return table === undefined ? null : `Perhaps you meant the table '${catalog.schema}.${table}'`
}

/**
 * A parent with relationships: the closest of the tables it relates to, never the target
 * itself; a parent with none: the closest table that has some.
 */
export function relationshipHint(catalog: Catalog, parent: string, target: string): string | null {
  const related = catalog.relationships.get(parent)
  if (related) {
    const targets = related.map((relationship) => relationship.target)
    const child = fuzzyMatches(targets, target).find((match) => match.score < 1)?.value
    return child === undefined ? null : `Perhaps you meant '${child}' instead of '${target}'.`
  }
  const origin = closestMatch(catalog.relationships.keys(), parent)
  return origin === undefined ? null : `Perhaps you meant '${origin}' instead of '${parent}'.`
}

const argumentList = (names: string[]) => `(${[...names].sort().join(', ')})`

/**
 * No function of that name: the closest name. Functions of that name whose arguments did
 * not match: the closest of their argument lists, each written sorted as `(a, b)`. Only
 * the functions PostgREST can call count: its schema cache holds no others.
 */
export function functionHint(
  catalog: Catalog,
  name: string,
  keys: string[],
  callable: (fn: DbFunction) => boolean,
): string | null {
  const prefix = `Perhaps you meant to call the function ${catalog.schema}.`
  const overloads = (catalog.functions.get(name) ?? []).filter(callable)
  if (overloads.length === 0) {
    const names = [...catalog.functions].filter(([, fns]) => fns.some(callable)).map(([fn]) => fn)
    const fn = closestMatch(names, name, closeNameScore)
    return fn === undefined ? null : `${prefix}${fn}`
  }
  const lists = overloads.map((fn) => argumentList(fn.args.map((arg) => arg.name)))
  const args = closestMatch(lists, argumentList(keys))
  return args === undefined ? null : `${prefix}${name}${args}`
}
