import {
  AsYouType,
  getCountryCallingCode,
  ParseError,
  parsePhoneNumberWithError,
  type CountryCode,
  type NumberType,
  type PhoneNumber,
} from 'libphonenumber-js/max'

/**
 * Phone numbers, one way everywhere: typed in any common format, stored as E.164, shown
 * in one format on every screen. The `max` metadata is the only one that knows number
 * types, which decide whether a number can receive a text.
 *
 * The home region is the country of the workspace's own number. A workspace texts
 * customers in the country it has a number in, so that is where a number typed without
 * `+` is dialled, and its agents read those numbers as they would dial them at home
 * (national format); a number from elsewhere keeps its country code (international format).
 * It is the workspace's, not the computer's locale: two agents of one team see the same
 * digits whatever their laptop is set to.
 */

export type { CountryCode }

/** Where numbers typed without `+` are dialled; null when the workspace has no number yet. */
export interface HomeRegion {
  callingCode: string
  /** Null when the workspace's number is not one libphonenumber knows (test ranges such as +1 555 01xx). */
  country: CountryCode | null
}

export const phoneKinds = [
  'mobile',
  // Where the number plan does not tell mobiles from landlines: every North American number.
  'fixed-line-or-mobile',
  'fixed-line',
  'voip',
  'toll-free',
  'premium-rate',
  'shared-cost',
  'personal',
  'pager',
  'uan',
  'voicemail',
  'unknown',
] as const
export type PhoneKind = (typeof phoneKinds)[number]

export interface Phone {
  e164: string
  country: CountryCode | null
  kind: PhoneKind
}

export const phoneProblemKinds = [
  'empty',
  'not_a_number',
  'no_country',
  'too_short',
  'too_long',
  'invalid',
  'extension',
  'not_mobile',
] as const
export type PhoneProblemKind = (typeof phoneProblemKinds)[number]
export interface PhoneProblem {
  kind: PhoneProblemKind
  message: string
}
export type PhoneResult = { ok: true; value: Phone } | { ok: false; error: PhoneProblem }

const kindOfType: Record<NumberType & string, PhoneKind> = {
  MOBILE: 'mobile',
  FIXED_LINE_OR_MOBILE: 'fixed-line-or-mobile',
  FIXED_LINE: 'fixed-line',
  VOIP: 'voip',
  TOLL_FREE: 'toll-free',
  PREMIUM_RATE: 'premium-rate',
  SHARED_COST: 'shared-cost',
  PERSONAL_NUMBER: 'personal',
  PAGER: 'pager',
  UAN: 'uan',
  VOICEMAIL: 'voicemail',
}

/** How an agent would name each kind in "… numbers cannot receive texts". */
const kindLabel: Record<PhoneKind, string> = {
  mobile: 'Mobile',
  'fixed-line-or-mobile': 'Mobile or landline',
  'fixed-line': 'Landline',
  voip: 'Internet (VoIP)',
  'toll-free': 'Toll-free',
  'premium-rate': 'Premium-rate',
  'shared-cost': 'Shared-cost',
  personal: 'Personal (forwarding)',
  pager: 'Pager',
  uan: 'Company (UAN)',
  voicemail: 'Voicemail',
  unknown: 'Unrecognised',
}

/**
 * Kinds a text can reach. `fixed-line-or-mobile` is allowed because it is every North
 * American number (the plan does not say which), and refusing it would refuse the US and
 * Canada; a landline among them fails at the carrier with 30006, which the failed bubble
 * explains. VoIP ranges (UK 056, …) and the rest are refused: carriers do not deliver SMS
 * to them, and a text that can never arrive still costs a segment.
 */
export const textableKinds: ReadonlySet<PhoneKind> = new Set(['mobile', 'fixed-line-or-mobile'])

const problem = (kind: PhoneProblemKind, message: string): PhoneResult => ({
  ok: false,
  error: { kind, message },
})

/** Cached: Intl.DisplayNames is costly to build and names the same countries each time. */
let countryNames: Intl.DisplayNames | null = null
export function countryName(country: CountryCode): string {
  countryNames ??= new Intl.DisplayNames(['en'], { type: 'region' })
  return countryNames.of(country) ?? country
}

function parsed(text: string, home: HomeRegion | null): PhoneNumber {
  if (home?.country) return parsePhoneNumberWithError(text, { defaultCountry: home.country })
  return parsePhoneNumberWithError(text, home ? { defaultCallingCode: home.callingCode } : {})
}

function parseProblem(error: unknown, text: string, home: HomeRegion | null): PhoneResult {
  const reason = error instanceof ParseError ? error.message : ''
  if (reason === 'INVALID_COUNTRY')
    return problem(
      'no_country',
      home
        ? `“${text}” has an unknown country code: check the digits after +.`
        : `Start “${text}” with + and its country code (+1 …, +44 …): the workspace has no number yet to take the country from.`,
    )
  if (reason === 'TOO_SHORT')
    return problem('too_short', `“${text}” is too short for a phone number: check the digits.`)
  if (reason === 'TOO_LONG')
    return problem('too_long', `“${text}” is too long for a phone number: check the digits.`)
  return problem(
    'not_a_number',
    `“${text}” is not a phone number: type its digits, with + and the country code for a number abroad.`,
  )
}

/** Any common way of writing a number ("(415) 555-0132", "+44 7911 123456", "0044…"), as E.164 with its kind. */
export function parsePhone(input: string, home: HomeRegion | null): PhoneResult {
  const text = input.trim()
  if (!text) return problem('empty', 'Type a phone number, such as +1 415 555 0132.')
  let phone: PhoneNumber
  try {
    phone = parsed(text, home)
  } catch (error) {
    return parseProblem(error, text, home)
  }
  if (phone.ext)
    return problem(
      'extension',
      `A text cannot reach an extension: remove “ext. ${phone.ext}” from the number.`,
    )
  if (!phone.isValid()) {
    const where = phone.country
      ? `in ${countryName(phone.country)}`
      : `for country code +${phone.countryCallingCode}`
    return problem(
      'invalid',
      `${formatPhone(phone.number, home)} is not a number in use ${where}: check the digits.`,
    )
  }
  const type = phone.getType()
  return {
    ok: true,
    value: { e164: phone.number, country: phone.country ?? null, kind: type ? kindOfType[type] : 'unknown' },
  }
}

/**
 * The E.164 form of what was typed, valid or not: a conversation with a number outside
 * libphonenumber's ranges (a test range, a number newer than its data) is still found by it.
 */
export function asE164(input: string, home: HomeRegion | null): string | null {
  try {
    return parsed(input.trim(), home).number
  } catch {
    return null
  }
}

/**
 * The digits a search for a number looks for among stored E.164 numbers, from a query
 * typed as the agent dials at home: the home region's trunk prefix goes, since the UK's
 * "07700 900 123" is stored as +447700900123, which holds no 0 there. A partial number
 * works too ("0770 09" looks for 77009). A query with `+` is international already.
 */
export function phoneSearchDigits(query: string, home: HomeRegion | null): string {
  const typed = query.trim()
  const digits = typed.replace(/[\s()+.-]/g, '')
  if (!home || typed.startsWith('+') || !/^\d+$/.test(digits)) return digits
  const asTyped = new AsYouType(home.country ?? { defaultCallingCode: home.callingCode })
  asTyped.input(typed)
  return asTyped.getNumber()?.nationalNumber ?? digits
}

/** parsePhone, refusing numbers a text cannot reach (see textableKinds), with why. */
export function parseTextablePhone(input: string, home: HomeRegion | null): PhoneResult {
  const result = parsePhone(input, home)
  if (!result.ok || textableKinds.has(result.value.kind)) return result
  return problem(
    'not_mobile',
    `${kindLabel[result.value.kind]} numbers cannot receive texts: ask the customer for a mobile number.`,
  )
}

/** The home region of a workspace whose number (E.164) is `workspaceNumber`. */
export function homeRegionOf(workspaceNumber: string | null | undefined): HomeRegion | null {
  if (!workspaceNumber) return null
  try {
    const phone = parsePhoneNumberWithError(workspaceNumber)
    return {
      callingCode: phone.countryCallingCode,
      country: phone.isValid() ? (phone.country ?? null) : null,
    }
  } catch {
    return null
  }
}

/** A region by country, for tests and settings: `regionOfCountry('GB')`. */
export function regionOfCountry(country: CountryCode): HomeRegion {
  return { callingCode: getCountryCallingCode(country), country }
}

/**
 * The one display format: national for numbers of the home region's calling code (so
 * +1 Canadian numbers read as US ones do: they are dialled the same way), international
 * for the rest and when the workspace has no number. Text that is not a number is shown
 * as it is.
 */
export function formatPhone(e164: string, home: HomeRegion | null): string {
  let phone: PhoneNumber
  try {
    phone = parsePhoneNumberWithError(e164)
  } catch {
    return e164
  }
  return home?.callingCode === phone.countryCallingCode ? phone.formatNational() : phone.formatInternational()
}

/**
 * Moves highlight ranges over an E.164 number onto the same digits of its shown form,
 * aligned from the last digit (a national form drops the calling code and may add a
 * trunk 0 in front, but always ends with the same digits).
 */
export function rangesOnShown(e164: string, shown: string, ranges: [number, number][]): [number, number][] {
  const shownAt = new Map<number, number>()
  let i = shown.length - 1
  for (let j = e164.length - 1; j >= 0 && i >= 0; j -= 1, i -= 1) {
    if (!/\d/.test(e164[j]!)) break
    while (i >= 0 && !/\d/.test(shown[i]!)) i -= 1
    // The first digit that differs is the trunk 0 facing the calling code: the rest is not shown.
    if (shown[i] !== e164[j]) break
    shownAt.set(j, i)
  }
  return ranges.flatMap(([start, end]): [number, number][] => {
    const at = [...shownAt].filter(([j]) => j >= start && j < end).map(([, index]) => index)
    return at.length ? [[Math.min(...at), Math.max(...at) + 1]] : []
  })
}
