/**
 * Timestamps are stored as text and compared as text (inbox order, thread paging,
 * backfill cursors), so every one is normalised to UTC with six fractional digits:
 * `2026-11-24T21:04:27.123456Z`. Postgres keeps microseconds and the backfill cursor
 * must not round them away, which is why Date (milliseconds) is only the fallback.
 */
const isoParts = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i

export function normalizeTimestamp(value: string): string {
  const match = isoParts.exec(value.trim())
  if (match) {
    const [, date, time, fraction = '', zone = 'Z'] = match
    const micros = fraction.padEnd(6, '0').slice(0, 6)
    if (/^(z|[+-]00(:?00)?)$/i.test(zone)) return `${date}T${time}.${micros}Z`
    const shifted = new Date(`${date}T${time}${zone.length === 3 ? `${zone}:00` : zone}`)
    if (!Number.isNaN(shifted.getTime())) return `${shifted.toISOString().slice(0, 19)}.${micros}Z`
  }
  const parsed = new Date(value)
  if (Number.isNaN(parsed.getTime())) throw new RangeError(`not a timestamp: ${value.slice(0, 40)}`)
  return `${parsed.toISOString().slice(0, 23)}000Z`
}

export const nowTimestamp = (now: number = Date.now()): string =>
  normalizeTimestamp(new Date(now).toISOString())

/** `value` moved back by `ms`, keeping its microseconds. */
export function timestampMinus(value: string, ms: number): string {
  const micros = value.slice(20, 26)
  const shifted = new Date(Date.parse(value) - ms).toISOString().slice(0, 19)
  return `${shifted}.${micros}Z`
}
