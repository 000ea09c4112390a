import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  keywordMessage,
  lookalikes,
  withInnerWhitespace,
  withLookalike,
  withPunctuation,
} from '../../test/support/keyword-variants.ts'
import { consentKeyword, consentKeywords } from './consent-keywords.ts'

const all = Object.entries(consentKeywords).flatMap(([kind, words]) => words.map((word) => ({ kind, word })))

/** Whitespace as phones and pasted text produce it: JavaScript's White_Space, line breaks included. */
const spaces = [
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u2002',
  '\u2003',
  '\u2009',
  '\u202f',
  '\u3000',
  '\ufeff',
  '\u0085',
]

/** Every upper/lower case spelling of a word: 2^length of them. */
const everyCase = (word: string): string[] =>
  [...word].reduce<string[]>(
    (spellings, char) => spellings.flatMap((head) => [head + char.toLowerCase(), head + char.toUpperCase()]),
    [''],
  )

describe('consent keywords, as Twilio matches them', () => {
  it('knows exactly Twilio’s default keywords', () => {
    expect(consentKeywords).toEqual({
      opt_out: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'],
      opt_in: ['START', 'YES', 'UNSTOP'],
      help: ['HELP', 'INFO'],
    })
  })

  it.each(all)('$word alone is $kind', ({ kind, word }) => {
    expect(consentKeyword(word)).toEqual({ kind, keyword: word })
  })

  it('every case spelling counts, with any whitespace around it', () => {
    let checked = 0
    for (const { kind, word } of all) {
      everyCase(word).forEach((cased, index) => {
        // Each spelling gets another pair of spaces, so every space meets every keyword.
        const before = spaces[index % spaces.length]!
        const after = spaces[(index * 7 + word.length) % spaces.length]!.repeat(1 + (index % 3))
        const body = `${before}${cased}${after}`
        expect(consentKeyword(body), JSON.stringify(body)).toEqual({ kind, keyword: cased })
        checked += 1
      })
    }
    expect(checked).toBe(all.reduce((sum, { word }) => sum + 2 ** word.length, 0))
  })

  it('a keyword with anything else in the message is not one, in either order and any joint', () => {
    const others = ['PLEASE', 'now', 'texting me', '🙏', 'ok', 'STOP', 'x', '.', '!']
    const joints = [' ', '', '\u00a0', '-', '_', '\n']
    for (const { word } of all) {
      for (const spelling of [word, word.toLowerCase()]) {
        for (const other of others) {
          for (const joint of joints) {
            for (const body of [`${spelling}${joint}${other}`, `${other}${joint}${spelling}`]) {
              expect(consentKeyword(body), JSON.stringify(body)).toBeNull()
            }
          }
        }
      }
    }
  })

  it.each([
    ['STOP PLEASE', 'two words'],
    ['PLEASE CANCEL', 'two words'],
    ['STOP ALL', 'STOPALL is one word at Twilio'],
    ['Stop.', 'punctuation is part of the message'],
    ['STOP!', 'punctuation'],
    ['"stop"', 'quotes'],
    ['¿stop?', 'punctuation'],
    ['S T O P', 'spaced letters'],
    ['ST\u200bOP', 'a zero-width space inside'],
    ['\u200bSTOP', 'a zero-width space is not whitespace'],
    ['ＳＴＯＰ', 'full-width letters'],
    ['СТОР', 'Cyrillic lookalikes'],
    ['ЅТОР', 'Cyrillic lookalikes'],
    ['SΤOP', 'a Greek tau'],
    ['ΗΕLΡ', 'Greek eta, epsilon and rho'],
    ['ΥΕS', 'Greek upsilon and epsilon'],
    ['STOＰ', 'one full-width letter'],
    ['𝐒𝐓𝐎𝐏', 'mathematical bold letters'],
    ['STO\u0308P', 'a combining diaeresis'],
    ['STOP\u0301', 'a combining acute at the end'],
    ['ÉND', 'a precomposed accent'],
    ['QUÏT', 'a precomposed diaeresis'],
    ['ſtop', 'the long s, whose upper case is S'],
    ['quıt', 'the dotless ı, whose upper case is I'],
    ['STOPP', 'a typo'],
    ['Stopp', 'German'],
    ['ARRET', 'French: not among Twilio’s defaults'],
    ['ARRÊT', 'French with an accent'],
    ['BAJA', 'Spanish'],
    ['STÖP', 'an accent'],
    ['', 'empty'],
    ['   ', 'whitespace only'],
  ])('%j is no keyword (%s)', (body) => {
    expect(consentKeyword(body)).toBeNull()
  })
})

describe('consent keywords, fuzzed (test/support/keyword-variants.ts)', () => {
  it('any case, with any run of Unicode whitespace around it, counts', () => {
    fc.assert(
      fc.property(keywordMessage, ({ kind, word, body }) => {
        expect(consentKeyword(body)).toEqual({ kind, keyword: word })
      }),
      { numRuns: 500 },
    )
  })

  it.each([
    ['whitespace inside the word splits it', withInnerWhitespace],
    ['punctuation before, inside or after makes it a message', withPunctuation],
    ['one letter from another alphabet, full-width, bold or accented makes it another word', withLookalike],
  ])('%s', (_name, variant) => {
    fc.assert(
      fc.property(variant, (body) => {
        expect(consentKeyword(body)).toBeNull()
      }),
      { numRuns: 1000 },
    )
  })

  it('every lookalike differs from the letter it imitates', () => {
    for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')
      for (const lookalike of lookalikes(letter)) expect(lookalike, letter).not.toBe(letter)
  })
})
