/** Display formats shared by the list, the thread and the banner (phone numbers: phone-display.ts). */

const dayMs = 86_400_000

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime()
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short' })
const shortDateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
const longDateFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' })
const yearDateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })

/** Compact time for the conversation list: "now", "5m", "3:41 PM", "Yesterday", "Tue", "Mar 4". */
export function relativeTime(iso: string | null, now = Date.now()): string {
  if (!iso) return ''
  const date = new Date(iso)
  const elapsed = now - date.getTime()
  if (elapsed < 60_000) return 'now'
  if (elapsed < 3_600_000) return `${Math.floor(elapsed / 60_000)}m`
  const days = Math.round((startOfDay(new Date(now)) - startOfDay(date)) / dayMs)
  if (days <= 0) return timeFormat.format(date)
  if (days === 1) return 'Yesterday'
  if (days < 7) return weekdayFormat.format(date)
  if (new Date(now).getFullYear() === date.getFullYear()) return shortDateFormat.format(date)
  return yearDateFormat.format(date)
}

/** Heading of a day group in the thread. */
export function dayLabel(iso: string, now = Date.now()): string {
  const date = new Date(iso)
  const days = Math.round((startOfDay(new Date(now)) - startOfDay(date)) / dayMs)
  if (days === 0) return 'Today'
  if (days === 1) return 'Yesterday'
  if (new Date(now).getFullYear() === date.getFullYear()) return longDateFormat.format(date)
  return yearDateFormat.format(date)
}

export function dayKey(iso: string): string {
  const date = new Date(iso)
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`
}

export function clockTime(iso: string): string {
  return timeFormat.format(new Date(iso))
}

const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export function fullDateTime(iso: string): string {
  return fullFormat.format(new Date(iso))
}

export function countLabel(count: number): string {
  return count > 99 ? '99+' : String(count)
}

/** Up to two capitals from a name's first words: "Ben Okafor" → "BO". */
export function initials(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .map((word) => [...word][0] ?? '')
    .join('')
    .toUpperCase()
}
