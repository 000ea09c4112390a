import { invalidSchema, notAcceptable } from './errors.ts'

/**
 * The headers that say how to answer: the media type asked for, the preferences,
 * and the schema (profile).
 */
export interface MediaType {
  singular: boolean
  stripNulls: boolean
}

export function parseAccept(accept: string | null): MediaType {
  if (!accept) return { singular: false, stripNulls: false }
  const types = accept.split(',').map((t) => t.trim().toLowerCase())
  const object = types.find((t) => t.startsWith('application/vnd.pgrst.object'))
  if (object) return { singular: true, stripNulls: object.includes('nulls=stripped') }
  const array = types.find((t) => t.startsWith('application/vnd.pgrst.array'))
  if (array) return { singular: false, stripNulls: array.includes('nulls=stripped') }
  const json = ['application/json', '*/*', 'application/*']
  if (types.some((t) => json.some((type) => t.startsWith(type))))
    return { singular: false, stripNulls: false }
  throw notAcceptable(accept)
}

/** Prefer, as PostgREST reads it: each `key=value` it knows applies; anything else is ignored (its lenient default). */
export interface Preferences {
  return: 'representation' | 'minimal'
  /** `count=exact|planned|estimated`: all are answered with an exact count. */
  count: boolean
  resolution?: 'merge-duplicates' | 'ignore-duplicates'
  /** `missing=default`: a key a row leaves out takes the column default instead of null. */
  missingDefault: boolean
  /** `tx=rollback`: answer as if committed, then roll back. */
  rollback: boolean
}

export function parsePreferences(prefer: string | null): Preferences {
  const preferences: Preferences = { return: 'minimal', count: false, missingDefault: false, rollback: false }
  for (const item of (prefer ?? '').split(',')) {
    const [key, value] = item
      .trim()
      .split('=')
      .map((s) => s.trim())
    if (key === 'return' && value === 'representation') preferences.return = 'representation'
    else if (key === 'count' && (value === 'exact' || value === 'planned' || value === 'estimated'))
      preferences.count = true
    else if (key === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates'))
      preferences.resolution = value
    else if (key === 'missing' && value === 'default') preferences.missingDefault = true
    else if (key === 'tx' && value === 'rollback') preferences.rollback = true
  }
  return preferences
}

/** Only the exposed schema may be asked for, on reads (Accept-Profile) and writes (Content-Profile). */
export function checkProfile(headers: Headers, schema: string) {
  const profile = headers.get('accept-profile') ?? headers.get('content-profile')
  if (profile !== null && profile !== schema) throw invalidSchema(profile, schema)
}
