import { describe, expect, it } from 'vitest'
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

  it('names the first character that forces UCS-2, with its index', () => {
    expect(countSmsSegments('Hello “friend”').offending).toEqual({ char: '“', index: 6 })
    expect(countSmsSegments('ok 👍 ж').offending).toEqual({ char: '👍', index: 3 })
    expect(countSmsSegments('plain text').offending).toBeNull()
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
