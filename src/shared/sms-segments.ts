/**
 * How many SMS segments a text costs, as carriers and Twilio count them.
 *
 * GSM-7 holds 160 septets in one segment, 153 per segment once the text is split
 * (the user data header takes 7); characters of the extension table cost two
 * septets, and an escape pair is never split across segments. A single character
 * outside GSM-7 switches the whole text to UCS-2: 70 UTF-16 units, 67 per
 * segment when split, and a surrogate pair is never split either.
 */

const gsmBasic =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const gsmExtension = '\f^{}\\[~]|€'

const basicSet = new Set(gsmBasic)
const extensionSet = new Set(gsmExtension)

export type SmsEncoding = 'GSM-7' | 'UCS-2'

export interface SmsSegmentInfo {
  encoding: SmsEncoding
  /** Characters as a person counts them (code points). */
  characters: number
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text occupies. */
  units: number
  segments: number
  /** Capacity of each segment for this text: 160/153 (GSM-7) or 70/67 (UCS-2). */
  perSegment: number
  /** Units left before the next segment starts. */
  remaining: number
  /** Every distinct character that forces UCS-2, in order of first appearance; empty for GSM-7. */
  forcingUcs2: readonly string[]
}

const limits = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
} as const

export function isGsm7Char(char: string): boolean {
  return basicSet.has(char) || extensionSet.has(char)
}

/** Units each character costs in the given encoding. */
function costs(text: string, encoding: SmsEncoding): number[] {
  const out: number[] = []
  for (const char of text) {
    if (encoding === 'GSM-7') out.push(extensionSet.has(char) ? 2 : 1)
    else out.push(char.length)
  }
  return out
}

/** Packs characters into segments without splitting one across a boundary. */
function pack(unitCosts: number[], capacity: number): { segments: number; usedInLast: number } {
  let segments = 1
  let used = 0
  for (const cost of unitCosts) {
    if (used + cost > capacity) {
      segments += 1
      used = 0
    }
    used += cost
  }
  return { segments, usedInLast: used }
}

export function countSmsSegments(text: string): SmsSegmentInfo {
  const forcingUcs2 = [...new Set([...text].filter((char) => !isGsm7Char(char)))]
  const encoding: SmsEncoding = forcingUcs2.length > 0 ? 'UCS-2' : 'GSM-7'
  const unitCosts = costs(text, encoding)
  const units = unitCosts.reduce((sum, cost) => sum + cost, 0)
  const { single, multi } = limits[encoding]
  if (units === 0) {
    return {
      encoding,
      characters: 0,
      units: 0,
      segments: 0,
      perSegment: single,
      remaining: single,
      forcingUcs2,
    }
  }
  if (units <= single) {
    return {
      encoding,
      characters: unitCosts.length,
      units,
      segments: 1,
      perSegment: single,
      remaining: single - units,
      forcingUcs2,
    }
  }
  const { segments, usedInLast } = pack(unitCosts, multi)
  return {
    encoding,
    characters: unitCosts.length,
    units,
    segments,
    perSegment: multi,
    remaining: multi - usedInLast,
    forcingUcs2,
  }
}
