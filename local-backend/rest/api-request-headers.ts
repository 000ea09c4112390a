import { notAcceptable } from './errors.ts'

/**
 * The headers that say how to answer: the media type asked for and the preferences.
 * The schema (profile) is exposed-schemas.ts's.
 */

/** How the rows are rendered (PostgREST's media handlers, SchemaCache.hs initialMediaHandlers). */
export type BodyFormat = 'json' | 'csv' | 'geojson'
export const planOptions = ['analyze', 'verbose', 'settings', 'buffers', 'wal'] as const
export type PlanOption = (typeof planOptions)[number]

export interface MediaType {
  format: BodyFormat
  singular: boolean
  stripNulls: boolean
  /** `application/vnd.pgrst.plan`: answer the query's EXPLAIN instead of its rows. */
  plan?: { format: 'json' | 'text'; options: PlanOption[] }
  /** The Content-Type the answer carries (MediaType.hs toMime, with the charset). */
  contentType: string
}

interface Requested {
  type: string
  params: Map<string, string>
}

/** `type/subtype; key=value; key="quoted"`, the type and parameter names lower-cased. */
function parseMediaRange(text: string): Requested {
  const [type = '', ...rest] = text.split(';')
  const params = new Map<string, string>()
  for (const param of rest) {
    const eq = param.indexOf('=')
    if (eq < 0) continue
    params.set(
      param.slice(0, eq).trim().toLowerCase(),
      param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    )
  }
  return { type: type.trim().toLowerCase(), params }
}

const charset = '; charset=utf-8'
const json = (singular: boolean, stripNulls: boolean): MediaType => {
  const strip = stripNulls ? ';nulls=stripped' : ''
  const mime = singular
    ? `application/vnd.pgrst.object+json${strip}`
    : stripNulls
      ? `application/vnd.pgrst.array+json${strip}`
      : 'application/json'
  return { format: 'json', singular, stripNulls, contentType: mime + charset }
}
const rendered = (format: 'csv' | 'geojson', mime: string): MediaType => ({
  format,
  singular: false,
  stripNulls: false,
  contentType: mime + charset,
})

/** A media type PostgREST has a handler for (MediaType.hs decodeMediaType, Plan/Negotiate.hs), or none. */
function decode({ type, params }: Requested): MediaType | undefined {
  const stripped = params.get('nulls') === 'stripped'
  switch (type) {
    case 'application/json':
    case '*/*':
    case 'application/*':
      return json(false, false)
    case 'application/vnd.pgrst.array':
    case 'application/vnd.pgrst.array+json':
      return json(false, stripped)
    case 'application/vnd.pgrst.object':
    case 'application/vnd.pgrst.object+json':
      return json(true, stripped)
    case 'text/csv':
      return rendered('csv', 'text/csv')
    case 'application/geo+json':
      return rendered('geojson', 'application/geo+json')
    case 'application/vnd.pgrst.plan':
    case 'application/vnd.pgrst.plan+text':
    case 'application/vnd.pgrst.plan+json': {
      const target = parseMediaRange(params.get('for') ?? 'application/json')
      const inner = target.type.startsWith('application/vnd.pgrst.plan') ? undefined : decode(target)
      if (!inner) return undefined
      const format = type.endsWith('+json') ? 'json' : 'text'
      const given = (params.get('options') ?? '').split('|')
      const options = planOptions.filter((option) => given.includes(option))
      const forMime = inner.contentType.slice(0, -charset.length)
      return {
        ...inner,
        plan: { format, options },
        contentType: `application/vnd.pgrst.plan+${format}; for="${forMime}"${options.length ? `; options=${options.join('|')}` : ''}${charset}`,
      }
    }
  }
  return undefined
}

/** The first of the types asked for, by quality, that can be answered; none is PGRST107 (406). */
export function parseAccept(accept: string | null): MediaType {
  if (!accept) return json(false, false)
  const ranges = accept
    .split(',')
    .map((text) => parseMediaRange(text))
    .filter((range) => range.type !== '')
  const quality = (range: Requested) => Number(range.params.get('q') ?? '1') || 0
  const byQuality = ranges
    .map((range, i) => ({ range, i }))
    .sort((a, b) => quality(b.range) - quality(a.range) || a.i - b.i)
  for (const { range } of byQuality) {
    const media = decode(range)
    if (media) return media
  }
  throw notAcceptable(accept)
}

/**
 * The preferences PostgREST knows, with the values each takes (ApiRequest/Preferences.hs),
 * listed in the order it echoes them in Preference-Applied.
 */
const knownPreferences = {
  resolution: ['merge-duplicates', 'ignore-duplicates'],
  missing: ['default', 'null'],
  return: ['representation', 'minimal', 'headers-only'],
  count: ['exact', 'planned', 'estimated'],
  tx: ['commit', 'rollback'],
  handling: ['strict', 'lenient'],
} as const
type Known = typeof knownPreferences

/** The value of each preference a request gave, the first one when it repeats one. */
export type GivenPreferences = { -readonly [K in keyof Known]?: Known[K][number] } & {
  timezone?: string
  'max-affected'?: number
}

/** Prefer, as PostgREST reads it; unknown preferences are ignored unless `handling=strict`. */
export interface Preferences {
  given: GivenPreferences
  /** What was not understood: with `handling=strict`, the request is refused (PGRST122). */
  invalid: string[]
  return: NonNullable<GivenPreferences['return']>
  /** `count=exact|planned|estimated`: a total is wanted. */
  count: boolean
  /**
   * `count=planned`: the planner's estimate, as PostgREST reads it from EXPLAIN.
   * `estimated` is exact below PostgREST's max-rows, which this backend does not limit.
   */
  plannedCount: boolean
  resolution?: GivenPreferences['resolution']
  /** `missing=default`: a key a row leaves out takes the column default instead of null. */
  missingDefault: boolean
  /** `tx=rollback`: answer as if committed, then roll back. */
  rollback: boolean
  /** `max-affected=n`, enforced only with `handling=strict`, as in PostgREST. */
  maxAffected?: number
}

const isKnown = (name: string): name is keyof Known => Object.hasOwn(knownPreferences, name)

function readPreference(given: GivenPreferences, item: string): boolean {
  const eq = item.indexOf('=')
  const name = eq < 0 ? item : item.slice(0, eq)
  const value = eq < 0 ? '' : item.slice(eq + 1)
  if (name === 'timezone' && value !== '') given.timezone ??= value
  else if (name === 'max-affected') {
    if (/^\d{1,15}$/.test(value)) given['max-affected'] ??= Number(value)
  } else if (isKnown(name) && (knownPreferences[name] as readonly string[]).includes(value)) {
    ;(given as Record<string, string>)[name] ??= value
  } else return false
  return true
}

export function parsePreferences(prefer: string | null): Preferences {
  const given: GivenPreferences = {}
  const invalid: string[] = []
  for (const raw of (prefer ?? '').split(',')) {
    const item = raw.trim()
    if (item !== '' && !readPreference(given, item)) invalid.push(item)
  }
  return {
    given,
    invalid,
    return: given.return ?? 'minimal',
    count: given.count !== undefined,
    plannedCount: given.count === 'planned',
    resolution: given.resolution,
    missingDefault: given.missing === 'default',
    rollback: given.tx === 'rollback',
    maxAffected: given.handling === 'strict' ? given['max-affected'] : undefined,
  }
}

/** Which preferences an action honours, and so echoes (Response.hs, responsePreferences). */
export type PreferenceScope = 'read' | 'insert' | 'update' | 'delete' | 'call'

const honoured: Record<PreferenceScope, readonly (keyof GivenPreferences)[]> = {
  read: ['count', 'tx', 'handling', 'timezone'],
  insert: ['resolution', 'missing', 'return', 'count', 'tx', 'handling', 'timezone'],
  update: ['missing', 'return', 'count', 'tx', 'handling', 'timezone', 'max-affected'],
  delete: ['return', 'count', 'tx', 'handling', 'timezone', 'max-affected'],
  call: ['count', 'tx', 'handling', 'timezone', 'max-affected'],
}

/**
 * The Preference-Applied header: what was given and honoured, in PostgREST's order.
 * max-affected is applied only with handling=strict; an insert's resolution only with a key to resolve on.
 */
export function preferenceApplied(
  preferences: Preferences,
  scope: PreferenceScope,
  resolvable = true,
): Record<string, string> {
  const { given } = preferences
  const values = honoured[scope].flatMap((name) => {
    const value = given[name]
    if (value === undefined) return []
    if (name === 'max-affected' && given.handling !== 'strict') return []
    if (name === 'resolution' && !resolvable) return []
    return [`${name}=${value}`]
  })
  return values.length ? { 'preference-applied': values.join(', ') } : {}
}
