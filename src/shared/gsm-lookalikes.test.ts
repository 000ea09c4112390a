import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { gsm7Lookalikes, gsm7Rewrite } from './gsm-lookalikes.ts'
import { countSmsSegments } from './sms-segments.ts'

describe('gsm7Rewrite', () => {
  it.each([
    ['smart quotes', 'It’s “fine”', 'It\'s "fine"', ['’', '“', '”']],
    ['dashes and ellipsis', 'Wait – no — later…', 'Wait - no - later...', ['–', '—', '…']],
    ['non-breaking and narrow spaces', '10\u00A0am,\u202Fok', '10 am, ok', ['\u00A0', '\u202F']],
    ['low quotes', '„Ja‚', '"Ja\'', ['„', '‚']],
  ] as const)('replaces %s', (_name, text, expected, replaced) => {
    expect(gsm7Rewrite(text)).toEqual({ text: expected, replaced, segments: 1 })
  })

  it('offers nothing when the reply is GSM-7 already', () => {
    expect(gsm7Rewrite('Plain "quotes" and - dashes...')).toBeNull()
  })

  it('offers nothing when another character keeps the reply in UCS-2', () => {
    expect(gsm7Rewrite('It’s fine 👍')).toBeNull()
    expect(gsm7Rewrite('“Привет”')).toBeNull()
  })

  it('offers nothing when three-septet ellipses would cost more segments than UCS-2', () => {
    const ellipses = '…'.repeat(60)
    expect(countSmsSegments(ellipses).segments).toBe(1)
    expect(countSmsSegments('.'.repeat(180)).segments).toBe(2)
    expect(gsm7Rewrite(ellipses)).toBeNull()
  })

  it('turns 100 characters with smart quotes from 2 UCS-2 segments into 1 GSM-7 segment', () => {
    const text = `“${'a'.repeat(98)}”`
    expect(countSmsSegments(text)).toMatchObject({ encoding: 'UCS-2', segments: 2 })
    expect(gsm7Rewrite(text)).toMatchObject({ segments: 1 })
  })
})

const lookalike = fc.constantFrom(...Object.keys(gsm7Lookalikes))
const gsm = fc.constantFrom(...'abcXYZ 019.,!?\'"-€{}[]\nÄñ')
const withLookalike = fc
  .tuple(fc.array(fc.oneof(gsm, lookalike), { maxLength: 600 }), lookalike, fc.nat())
  .map(([chars, one, at]) => {
    chars.splice(at % (chars.length + 1), 0, one)
    return chars.join('')
  })

describe('gsm7Rewrite over random replies', () => {
  it('either makes the whole reply GSM-7 at no more segments, or offers nothing', () => {
    fc.assert(
      fc.property(withLookalike, (text) => {
        const rewrite = gsm7Rewrite(text)
        if (rewrite === null) {
          // Only the ellipsis grows (one character, three septets), so only it can make a rewrite cost more.
          expect(text).toContain('…')
          return
        }
        const after = countSmsSegments(rewrite.text)
        expect(after.encoding).toBe('GSM-7')
        expect(after.segments).toBe(rewrite.segments)
        expect(rewrite.segments).toBeLessThanOrEqual(countSmsSegments(text).segments)
        expect(rewrite.replaced.length).toBeGreaterThan(0)
        for (const char of rewrite.replaced) expect(rewrite.text).not.toContain(char)
      }),
    )
  })

  it('changes only the lookalikes: the rest of the reply is kept in order', () => {
    fc.assert(
      fc.property(withLookalike, (text) => {
        const rewrite = gsm7Rewrite(text)
        if (rewrite === null) return
        const expected = [...text].map((char) => gsm7Lookalikes[char] ?? char).join('')
        expect(rewrite.text).toBe(expected)
        expect(gsm7Rewrite(rewrite.text)).toBeNull()
      }),
    )
  })

  it('offers nothing for any reply holding a character outside GSM-7 that is no lookalike', () => {
    fc.assert(
      fc.property(
        withLookalike,
        fc.constantFrom('ж', '👍', 'ç', '`', 'あ'),
        fc.nat(),
        (text, outsider, at) => {
          const chars = [...text]
          chars.splice(at % (chars.length + 1), 0, outsider)
          expect(gsm7Rewrite(chars.join(''))).toBeNull()
        },
      ),
    )
  })
})
