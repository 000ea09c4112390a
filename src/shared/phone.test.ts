import fc from 'fast-check'
import { getCountries, getExampleNumber } from 'libphonenumber-js/max'
import examples from 'libphonenumber-js/mobile/examples'
import { describe, expect, it } from 'vitest'
import { e164Schema } from './domain.ts'
import {
  asE164,
  formatPhone,
  homeRegionOf,
  parsePhone,
  parseTextablePhone,
  phoneProblemKinds,
  phoneSearchDigits,
  rangesOnShown,
  regionOfCountry,
  type HomeRegion,
} from './phone.ts'

const us = regionOfCountry('US')
const gb = regionOfCountry('GB')

describe('parsePhone', () => {
  it.each([
    ['(415) 555-0132', us, '+14155550132'],
    ['415.555.0132', us, '+14155550132'],
    ['1-415-555-0132', us, '+14155550132'],
    ['+1 415 555 0132', gb, '+14155550132'],
    ['011 44 7911 123456', us, '+447911123456'],
    ['07911 123456', gb, '+447911123456'],
    ['0044 7911 123456', gb, '+447911123456'],
    ['+44 (0)7911 123456', us, '+447911123456'],
    ['  +49 151 12345678 ', null, '+4915112345678'],
  ] as const)('reads %j (home %j) as %s', (input, home, e164) => {
    const result = parsePhone(input, home)
    expect(result).toMatchObject({ ok: true, value: { e164 } })
  })

  it('classifies numbers by kind', () => {
    const kind = (input: string, home: HomeRegion | null) => {
      const result = parsePhone(input, home)
      return result.ok ? result.value.kind : result.error.kind
    }
    expect(kind('+4915112345678', null)).toBe('mobile')
    expect(kind('(415) 555-0132', us)).toBe('fixed-line-or-mobile')
    expect(kind('020 7946 0018', gb)).toBe('fixed-line')
    expect(kind('056 1234 5678', gb)).toBe('voip')
    expect(kind('(800) 555-0199', us)).toBe('toll-free')
  })

  it.each([
    ['', us, 'empty'],
    ['   ', us, 'empty'],
    ['call me', us, 'not_a_number'],
    ['415 555 0132', null, 'no_country'],
    ['+999 1234 5678', us, 'no_country'],
    ['4', us, 'too_short'],
    ['+1 4155550132 99999999', us, 'too_long'],
    ['+1 41', us, 'invalid'],
    ['+44 7700 900123', us, 'invalid'],
    ['+1 555 123 4567', us, 'invalid'],
    ['(415) 555-0132 ext. 12', us, 'extension'],
  ] as const)('refuses %j with %s', (input, home, kind) => {
    const result = parsePhone(input, home)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.kind).toBe(kind)
      expect(result.error.message.length).toBeGreaterThan(20)
    }
  })

  it('says which country a number is not valid in', () => {
    expect(parsePhone('+1 555 123 4567', us)).toMatchObject({
      error: { message: '(555) 123-4567 is not a number in use for country code +1: check the digits.' },
    })
  })
})

describe('parseTextablePhone', () => {
  it('accepts mobiles and North American numbers, refuses the rest with why', () => {
    expect(parseTextablePhone('+4915112345678', null).ok).toBe(true)
    expect(parseTextablePhone('(415) 555-0132', us).ok).toBe(true)
    expect(parseTextablePhone('020 7946 0018', gb)).toEqual({
      ok: false,
      error: {
        kind: 'not_mobile',
        message: 'Landline numbers cannot receive texts: ask the customer for a mobile number.',
      },
    })
    expect(parseTextablePhone('056 1234 5678', gb)).toMatchObject({ error: { kind: 'not_mobile' } })
    expect(parseTextablePhone('(800) 555-0199', us)).toMatchObject({ error: { kind: 'not_mobile' } })
  })
})

describe('homeRegionOf', () => {
  it('is the country of the workspace number, or its calling code alone for a test range', () => {
    expect(homeRegionOf('+14155550101')).toEqual({ callingCode: '1', country: 'US' })
    expect(homeRegionOf('+15550100001')).toEqual({ callingCode: '1', country: null })
    expect(homeRegionOf('+442079460018')).toEqual({ callingCode: '44', country: 'GB' })
    expect(homeRegionOf(null)).toBeNull()
    expect(homeRegionOf('not a number')).toBeNull()
  })

  it('reads national numbers by calling code when the workspace number is a test range', () => {
    expect(parsePhone('(415) 555-0132', homeRegionOf('+15550100001'))).toMatchObject({
      ok: true,
      value: { e164: '+14155550132' },
    })
  })
})

describe('formatPhone', () => {
  it('is national at home and international abroad', () => {
    expect(formatPhone('+14155550132', us)).toBe('(415) 555-0132')
    expect(formatPhone('+14155550132', gb)).toBe('+1 415 555 0132')
    expect(formatPhone('+447911123456', gb)).toBe('07911 123456')
    expect(formatPhone('+447911123456', us)).toBe('+44 7911 123456')
    expect(formatPhone('+14155550132', null)).toBe('+1 415 555 0132')
    // Canada shares +1: dialled from the US as a US number is.
    expect(formatPhone('+16135550123', us)).toBe('(613) 555-0123')
  })

  it('shows numbers libphonenumber does not know in the same shape, and text as it is', () => {
    expect(formatPhone('+15550100001', us)).toBe('(555) 010-0001')
    expect(formatPhone('Unknown number', us)).toBe('Unknown number')
  })
})

describe('rangesOnShown', () => {
  it('marks the same digits in the shown number', () => {
    // "555010" matched inside +15550100001, shown nationally as (555) 010-0001.
    expect(rangesOnShown('+15550100001', '(555) 010-0001', [[2, 8]])).toEqual([[1, 9]])
    // "0001" at the end, shown internationally.
    expect(rangesOnShown('+15550100001', '+1 555 010 0001', [[8, 12]])).toEqual([[11, 15]])
    // The calling code is not shown at home: the part of a match on it is dropped.
    expect(rangesOnShown('+447911123456', '07911 123456', [[1, 6]])).toEqual([[1, 4]])
  })
})

/** Every country's example mobile number (libphonenumber's own), as E.164. */
const mobiles = getCountries().flatMap((country) => {
  const example = getExampleNumber(country, examples)
  return example ? [{ country, e164: example.number as string }] : []
})
const homes: (HomeRegion | null)[] = [null, ...getCountries().map(regionOfCountry)]

describe('properties', () => {
  it('covers the world', () => {
    expect(mobiles.length).toBeGreaterThan(200)
  })

  it('what is shown, typed back in the same workspace, is the same number', () => {
    fc.assert(
      fc.property(fc.constantFrom(...mobiles), fc.constantFrom(...homes), ({ e164 }, home) => {
        const shown = formatPhone(e164, home)
        const again = parsePhone(shown, home)
        expect(again).toMatchObject({ ok: true, value: { e164 } })
      }),
      { numRuns: 2000 },
    )
  })

  it('spaces, dashes, dots and brackets between digits change nothing', () => {
    const separator = fc.constantFrom('', '', '', ' ', '-', '.', ' - ', '\u00a0')
    fc.assert(
      fc.property(fc.constantFrom(...mobiles), fc.infiniteStream(separator), ({ e164 }, separators) => {
        const [plus, ...digits] = [...e164]
        const written = plus + digits.map((digit) => digit + separators.next().value).join('')
        expect(parsePhone(written, null)).toMatchObject({ ok: true, value: { e164 } })
      }),
      { numRuns: 2000 },
    )
  })

  it('any text is a number in E.164 or a problem with a kind and a message, never a throw', () => {
    const phoneish = fc.stringMatching(/^[+(]?[0-9 ()\-.]{0,20}$/)
    fc.assert(
      fc.property(fc.oneof(fc.string(), phoneish), fc.constantFrom(...homes), (text, home) => {
        const result = parsePhone(text, home)
        if (result.ok) expect(e164Schema.safeParse(result.value.e164).success).toBe(true)
        else {
          expect(phoneProblemKinds).toContain(result.error.kind)
          expect(result.error.message).not.toBe('')
        }
      }),
      { numRuns: 3000 },
    )
  })
})

describe('asE164', () => {
  it('reads a number libphonenumber does not know, so its conversation is still found', () => {
    expect(asE164('(555) 010-0001', us)).toBe('+15550100001')
    expect(asE164('Maria', us)).toBeNull()
  })
})

describe('phoneSearchDigits', () => {
  it('drops the home region’s trunk prefix, whole numbers and partial ones alike', () => {
    expect(phoneSearchDigits('07700 900123', gb)).toBe('7700900123')
    expect(phoneSearchDigits('0770 09', gb)).toBe('77009')
    expect(phoneSearchDigits('0151 2345', regionOfCountry('DE'))).toBe('1512345')
    expect(phoneSearchDigits('1 (415) 555', us)).toBe('415555')
  })

  it('keeps what is already international, or not a number, or has no home region, as its digits', () => {
    expect(phoneSearchDigits('+44 7700 900123', gb)).toBe('447700900123')
    expect(phoneSearchDigits('07700 900123', null)).toBe('07700900123')
    expect(phoneSearchDigits('Maria', gb)).toBe('Maria')
    expect(phoneSearchDigits('555 0100', homeRegionOf('+15550100001'))).toBe('5550100')
  })

  it('is always a run of the stored E.164 number’s digits, for any national form of it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...getCountries()), (country) => {
        const example = getExampleNumber(country, examples)
        if (!example) return
        const digits = phoneSearchDigits(example.formatNational(), regionOfCountry(country))
        expect(example.number.slice(1)).toContain(digits)
      }),
    )
  })
})
