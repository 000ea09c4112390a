import fc from 'fast-check'
import { consentKeywords } from '../../src/shared/consent-keywords.ts'
import type { ConsentKind } from '../../src/shared/rows/consent.ts'

/*
 * Variants of Twilio's consent keywords as customers' phones produce them, for fuzzing
 * the keyword match (src/shared/consent-keywords.test.ts) and the relay's ledger
 * (relay/consent.test.ts). Twilio documents that case is ignored and that only a
 * message that is the keyword alone counts; whitespace around it is not a word,
 * anything else is (src/shared/consent-keywords.ts).
 */

/** Unicode's White_Space, every code point, and the byte-order mark. */
export const whitespace = [
  ...'\t\n\u000b\f\r \u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff',
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
]
export const punctuation = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~¡¿。、！？…‘’“”«»·•—–']

const cyrillic: Record<string, string> = Object.fromEntries(
  [...'ABCEHIKMOPSTXYacehiopsy'].map((latin, i) => [latin, 'АВСЕНІКМОРЅТХУасеһіорѕу'[i]!]),
)
const greek: Record<string, string> = Object.fromEntries(
  [...'ABEHIKMNOPTXYZo'].map((latin, i) => [latin, 'ΑΒΕΗΙΚΜΝΟΡΤΧΥΖο'[i]!]),
)
const combining = ['\u0300', '\u0301', '\u0302', '\u0303', '\u0308', '\u030a', '\u0327']

/** Letters a reader takes for ASCII `letter`: Cyrillic, Greek, full-width, mathematical bold, accented. */
export function lookalikes(letter: string): string[] {
  const code = letter.charCodeAt(0)
  return [
    ...[cyrillic[letter], greek[letter]].filter((char): char is string => char !== undefined),
    String.fromCharCode(code + 0xfee0),
    String.fromCodePoint(letter >= 'a' ? 0x1d41a + code - 0x61 : 0x1d400 + code - 0x41),
    // Precomposed where Unicode has the letter (É), combining where not (T́).
    ...combining.map((mark) => (letter + mark).normalize('NFC')),
  ]
}

export interface Keyword {
  kind: ConsentKind
  word: string
}
const keywords: Keyword[] = (Object.entries(consentKeywords) as [ConsentKind, readonly string[]][]).flatMap(
  ([kind, words]) => words.map((word) => ({ kind, word })),
)

/** A keyword with each letter's case drawn at random. */
export const casedKeyword: fc.Arbitrary<Keyword> = fc.constantFrom(...keywords).chain(({ kind, word }) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) => ({
    kind,
    word: [...word].map((char, i) => (upper[i] ? char : char.toLowerCase())).join(''),
  })),
)

/** A run of up to four whitespace characters, possibly empty. */
export const spacing = fc
  .array(fc.constantFrom(...whitespace), { maxLength: 4 })
  .map((chars) => chars.join(''))

/** `word` with `insert` put at a point `at` picks among `points` (0 is before the first letter). */
const insertAt = (word: string, insert: string, at: number, points: number, from = 0) => {
  const cut = from + (at % points)
  return word.slice(0, cut) + insert + word.slice(cut)
}

export const withInnerWhitespace = fc
  .tuple(casedKeyword, fc.constantFrom(...whitespace), fc.nat())
  .map(([{ word }, space, at]) => insertAt(word, space, at, word.length - 1, 1))

export const withPunctuation = fc
  .tuple(casedKeyword, fc.constantFrom(...punctuation), fc.nat(), spacing)
  .map(([{ word }, mark, at, around]) => around + insertAt(word, mark, at, word.length + 1) + around)

export const withLookalike = fc
  .tuple(casedKeyword, fc.nat(), fc.nat(), spacing)
  .map(([{ word }, at, pick, around]) => {
    const index = at % word.length
    const choices = lookalikes(word[index]!)
    return around + word.slice(0, index) + choices[pick % choices.length]! + word.slice(index + 1) + around
  })

/** A message that is a keyword, as Twilio counts it: the body, and the kind and spelling it records. */
export const keywordMessage = fc
  .tuple(casedKeyword, spacing, spacing)
  .map(([keyword, before, after]) => ({ ...keyword, body: `${before}${keyword.word}${after}` }))

/** A message that looks like a keyword and is none. */
export const nearMiss = fc.oneof(withInnerWhitespace, withPunctuation, withLookalike)
