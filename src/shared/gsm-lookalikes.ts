import { countSmsSegments, isGsm7Char } from './sms-segments.ts'

/**
 * Typographic characters that keyboards, phones and word processors put in place of
 * plain ones (smart quotes, dashes, the ellipsis, non-breaking spaces). Each is
 * outside GSM-7, so one of them turns a whole reply into UCS-2 and cuts every
 * segment from 153 characters to 67. Each maps to the GSM-7 text a reader takes for
 * the same thing, as Twilio's Smart Encoding does.
 */
export const gsm7Lookalikes: Readonly<Record<string, string>> = {
  '\u2018': "'", // ‘ left single quote
  '\u2019': "'", // ’ right single quote, the apostrophe phones type
  '\u201A': "'", // ‚ low single quote
  '\u2032': "'", // ′ prime
  '\u201C': '"', // “ left double quote
  '\u201D': '"', // ” right double quote
  '\u201E': '"', // „ low double quote
  '\u2033': '"', // ″ double prime
  '\u2010': '-', // ‐ hyphen
  '\u2011': '-', // ‑ non-breaking hyphen
  '\u2013': '-', // – en dash
  '\u2014': '-', // — em dash
  '\u2212': '-', // − minus sign
  '\u2026': '...', // … ellipsis
  '\u00A0': ' ', // no-break space
  '\u2007': ' ', // figure space
  '\u2009': ' ', // thin space
  '\u202F': ' ', // narrow no-break space
}

export interface Gsm7Rewrite {
  text: string
  /** The distinct characters replaced, in order of first appearance. */
  replaced: readonly string[]
  /** Segments the rewritten reply costs, never more than the reply as typed. */
  segments: number
}

/**
 * The reply with every lookalike replaced, when that leaves it wholly GSM-7; null when
 * it has no lookalike, when another character would keep it in UCS-2 anyway (then
 * replacing would change what the customer reads and save nothing), or when the
 * rewrite costs more segments than it saves (an ellipsis becomes three septets, so a
 * reply of little but ellipses is cheaper as it is).
 */
export function gsm7Rewrite(text: string): Gsm7Rewrite | null {
  const replaced = new Set<string>()
  let rewritten = ''
  for (const char of text) {
    const plain = gsm7Lookalikes[char]
    if (plain !== undefined) {
      replaced.add(char)
      rewritten += plain
    } else if (isGsm7Char(char)) {
      rewritten += char
    } else {
      return null
    }
  }
  if (replaced.size === 0) return null
  const segments = countSmsSegments(rewritten).segments
  return segments <= countSmsSegments(text).segments
    ? { text: rewritten, replaced: [...replaced], segments }
    : null
}
