import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { countSmsSegments, isGsm7Char } from './sms-segments.ts'

const repeat = (char: string, times: number) => char.repeat(times)

describe('countSmsSegments', () => {
  it.each([
    ['empty', '', 'GSM-7', 0, 0, 160],
    ['one char', 'a', 'GSM-7', 1, 1, 159],
    ['exactly one GSM-7 segment', repeat('a', 160), 'GSM-7', 160, 1, 0],
    ['one over splits into two of 153', repeat('a', 161), 'GSM-7', 161, 2, 145],
    ['exactly two GSM-7 segments', repeat('a', 306), 'GSM-7', 306, 2, 0],
    ['three GSM-7 segments', repeat('a', 307), 'GSM-7', 307, 3, 152],
    ['GSM-7 accented letters stay GSM-7', 'Grüße, señor, à bientôt? no: ô is not GSM', 'UCS-2', 41, 1, 29],
    ['extension chars cost two septets', '{}[]~^|\\€', 'GSM-7', 18, 1, 142],
    ['80 euro signs fill one segment', repeat('€', 80), 'GSM-7', 160, 1, 0],
    ['81 euro signs need two; pairs never straddle', repeat('€', 81), 'GSM-7', 162, 2, 143],
    ['exactly one UCS-2 segment', repeat('ж', 70), 'UCS-2', 70, 1, 0],
    ['one over splits into two of 67', repeat('ж', 71), 'UCS-2', 71, 2, 63],
    ['emoji are two UTF-16 units', '👍', 'UCS-2', 2, 1, 68],
    ['35 emoji fill one UCS-2 segment', repeat('👍', 35), 'UCS-2', 70, 1, 0],
  ] as const)('%s', (_name, text, encoding, units, segments, remaining) => {
    const info = countSmsSegments(text)
    expect(info).toMatchObject({ encoding, units, segments, remaining })
  })

  it('never splits an escape pair across segments', () => {
    // 152 plain septets then a euro sign: the pair cannot straddle the 153 boundary.
    const info = countSmsSegments(repeat('a', 152) + '€' + repeat('a', 10))
    expect(info.units).toBe(164)
    expect(info.segments).toBe(2)
    expect(info.remaining).toBe(153 - 12)
  })

  it('never splits a surrogate pair across segments', () => {
    const info = countSmsSegments(repeat('ж', 66) + '👍' + repeat('ж', 10))
    expect(info.units).toBe(78)
    expect(info.segments).toBe(2)
    expect(info.remaining).toBe(67 - 12)
  })

  it('names every distinct character that forces UCS-2, in order of first appearance', () => {
    expect(countSmsSegments('Hello “friend” — “again”').forcingUcs2).toEqual(['“', '”', '—'])
    expect(countSmsSegments('ok 👍 ж 👍').forcingUcs2).toEqual(['👍', 'ж'])
    expect(countSmsSegments('plain text €').forcingUcs2).toEqual([])
  })

  it('counts characters as people do', () => {
    expect(countSmsSegments('👍👍').characters).toBe(2)
    expect(countSmsSegments('€a').characters).toBe(2)
  })
})

describe('isGsm7Char', () => {
  it.each([
    ['a', true],
    ['@', true],
    ['\n', true],
    ['€', true],
    ['ç', false],
    ['Ç', true],
    ['`', false],
    ['“', false],
  ] as const)('%j → %s', (char, expected) => {
    expect(isGsm7Char(char)).toBe(expected)
  })
})

/*
 * Properties over random replies. The alphabets are written out here from GSM 03.38,
 * not taken from the module, so the module's tables are checked rather than echoed.
 */
const basicChars = [...'abcXYZ019 .,!?@£$_\n\'"ΔΦΩÄöñüàÉ&%#()*+-/:;<=>¡§¿']
const extensionChars = [...'\f^{}\\[~]|€']
const bmpNonGsm = fc
  .oneof(fc.integer({ min: 0x0400, max: 0x04ff }), fc.integer({ min: 0x4e00, max: 0x9fff }))
  .map((code) => String.fromCodePoint(code))
const astral = fc.integer({ min: 0x1f600, max: 0x1f64f }).map((code) => String.fromCodePoint(code))
const basic = fc.constantFrom(...basicChars)
const extension = fc.constantFrom(...extensionChars)
const reply = (char: fc.Arbitrary<string>, maxLength = 700) =>
  fc.array(char, { minLength: 1, maxLength }).map((chars) => chars.join(''))

const ceilDiv = (a: number, b: number) => Math.ceil(a / b)

describe('countSmsSegments over random replies', () => {
  it('a GSM-7 reply of n plain characters costs 1 segment up to 160, then ceil(n/153)', () => {
    fc.assert(
      fc.property(reply(basic), (text) => {
        const n = [...text].length
        const info = countSmsSegments(text)
        expect(info.encoding).toBe('GSM-7')
        expect(info.units).toBe(n)
        expect(info.segments).toBe(n <= 160 ? 1 : ceilDiv(n, 153))
      }),
    )
  })

  it('the segment count flips exactly at 160/161 and 306/307 septets', () => {
    fc.assert(
      fc.property(fc.constantFrom(159, 160, 161, 305, 306, 307, 459, 460), basic, (n, char) => {
        expect(countSmsSegments(char.repeat(n)).segments).toBe(n <= 160 ? 1 : ceilDiv(n, 153))
      }),
    )
  })

  it('the segment count flips exactly at 70/71 and 134/135 UTF-16 units', () => {
    fc.assert(
      fc.property(fc.constantFrom(69, 70, 71, 133, 134, 135, 201, 202), bmpNonGsm, (n, char) => {
        expect(countSmsSegments(char.repeat(n)).segments).toBe(n <= 70 ? 1 : ceilDiv(n, 67))
      }),
    )
  })

  it('extension characters cost two septets, and GSM-7 stays GSM-7 with them', () => {
    fc.assert(
      fc.property(reply(fc.oneof(basic, extension)), (text) => {
        const chars = [...text]
        const extended = chars.filter((char) => extensionChars.includes(char)).length
        const info = countSmsSegments(text)
        expect(info.encoding).toBe('GSM-7')
        expect(info.characters).toBe(chars.length)
        expect(info.units).toBe(chars.length + extended)
        expect(info.forcingUcs2).toEqual([])
      }),
    )
  })

  it('one character outside GSM-7 makes the whole reply UCS-2, counted in UTF-16 units', () => {
    fc.assert(
      fc.property(
        reply(fc.oneof(basic, extension)),
        fc.oneof(bmpNonGsm, astral),
        fc.nat(),
        (text, outsider, at) => {
          const chars = [...text]
          chars.splice(at % (chars.length + 1), 0, outsider)
          const mixed = chars.join('')
          const info = countSmsSegments(mixed)
          expect(info.encoding).toBe('UCS-2')
          expect(info.units).toBe(mixed.length)
          expect(info.characters).toBe(chars.length)
          expect(info.forcingUcs2).toEqual([outsider])
        },
      ),
    )
  })

  it('segments hold every unit without splitting a pair: between ceil(u/cap) and ceil(u/(cap-1))', () => {
    // A pair that would straddle a boundary moves whole to the next segment, wasting at
    // most one unit per segment, so the count sits between these two bounds.
    fc.assert(
      fc.property(
        fc.oneof(reply(fc.oneof(basic, extension), 1200), reply(fc.oneof(bmpNonGsm, astral, basic), 600)),
        (text) => {
          const info = countSmsSegments(text)
          const single = info.encoding === 'GSM-7' ? 160 : 70
          if (info.units <= single) {
            expect(info.segments).toBe(1)
            expect(info.remaining).toBe(single - info.units)
            return
          }
          const capacity = info.encoding === 'GSM-7' ? 153 : 67
          expect(info.perSegment).toBe(capacity)
          expect(info.segments).toBeGreaterThanOrEqual(ceilDiv(info.units, capacity))
          expect(info.segments).toBeLessThanOrEqual(ceilDiv(info.units, capacity - 1))
          expect(info.remaining).toBeGreaterThanOrEqual(0)
          expect(info.remaining).toBeLessThan(capacity)
        },
      ),
    )
  })

  it('a reply of surrogate pairs fits 33 pairs per split segment: a pair never straddles the 67th unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 36, max: 400 }), astral, (n, emoji) => {
        const info = countSmsSegments(emoji.repeat(n))
        expect(info.units).toBe(2 * n)
        expect(info.segments).toBe(ceilDiv(n, 33))
      }),
    )
  })

  it('lists exactly the distinct characters outside GSM-7', () => {
    fc.assert(
      fc.property(reply(fc.oneof(basic, extension, bmpNonGsm, astral), 300), (text) => {
        const outside = [...text].filter(
          (char) => !basicChars.includes(char) && !extensionChars.includes(char),
        )
        expect(countSmsSegments(text).forcingUcs2).toEqual([...new Set(outside)])
      }),
    )
  })
})
