import type { ConsentKind } from './rows/consent.ts'

/**
 * Twilio's default opt-out, opt-in and help keywords, matched as Twilio documents
 * them (help.twilio.com "Twilio support for opt-out keywords", and the Advanced
 * Opt-Out tutorial): only a message that is the keyword alone counts, in any case,
 * so "STOP PLEASE" or "PLEASE CANCEL" opts nobody out.
 *
 * REVOKE and OPTOUT are opt-outs too: Twilio added them to its defaults on
 * 29 April 2025 (its Advanced Opt-Out tutorial and the 30004 error page list them).
 *
 * Twilio documents nothing about punctuation or letters outside ASCII, so this
 * matches nothing it does not document:
 * - Surrounding whitespace is ignored, Unicode spaces and line breaks included
 *   (a phone keyboard adds a non-breaking space or a newline as easily as a space).
 * - Case is folded for ASCII letters only. A lookalike from another alphabet
 *   (Cyrillic "СТОР"), a full-width "ＳＴＯＰ", or a letter whose upper case happens
 *   to be ASCII (Turkish dotless "ı" in "quıt", the long "ſ" in "ſtop") is another word.
 * - Punctuation is part of the message: "Stop." and "STOP!" are not the keyword.
 * Should Twilio block more than this (say "Stop."), its block still holds: the next
 * send fails with 21610, and the relay records that as an opt-out of the pair.
 */
export const consentKeywords: Record<ConsentKind, readonly string[]> = {
  opt_out: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'],
  opt_in: ['START', 'YES', 'UNSTOP'],
  help: ['HELP', 'INFO'],
}

const kindOf = new Map<string, ConsentKind>(
  (Object.entries(consentKeywords) as [ConsentKind, readonly string[]][]).flatMap(([kind, words]) =>
    words.map((word) => [word, kind] as const),
  ),
)

export interface ConsentKeyword {
  kind: ConsentKind
  /** The keyword as the customer wrote it, whitespace aside. */
  keyword: string
}

/**
 * Unicode's White_Space at either end, and the byte-order mark a pasted text may start
 * with (as String.prototype.trim strips it). trim alone misses NEXT LINE (U+0085), a line
 * break some phones and gateways write, because JavaScript counts it as a control.
 */
const surroundingWhitespace = /^[\p{White_Space}\uFEFF]+|[\p{White_Space}\uFEFF]+$/gu

/** The keyword an inbound text is, or null when it is anything else. */
export function consentKeyword(body: string): ConsentKeyword | null {
  const keyword = body.replace(surroundingWhitespace, '')
  if (!/^[A-Za-z]+$/.test(keyword)) return null
  const kind = kindOf.get(keyword.toUpperCase())
  return kind ? { kind, keyword } : null
}
