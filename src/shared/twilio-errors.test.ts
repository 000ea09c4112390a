import { describe, expect, it } from 'vitest'
import { explainFailure, explainedErrorCodes } from './twilio-errors.ts'

const required = [
  '21211',
  '21408',
  '21610',
  '21612',
  '21614',
  '30003',
  '30004',
  '30005',
  '30006',
  '30007',
  '30008',
  '30034',
]

describe('Twilio error explanations', () => {
  it('explain every code issue 19 names, and the relay’s opt-out refusal', () => {
    expect([...explainedErrorCodes].sort()).toEqual([...required, 'opted_out'].sort())
  })

  it.each(explainedErrorCodes)(
    '%s has a sentence and a next step, each one sentence ending in a period',
    (code) => {
      const explanation = explainFailure(code)!
      for (const text of [explanation.sentence, explanation.nextStep]) {
        expect(text).toMatch(/^[A-Z'].*[.]$/)
        expect(text).not.toContain(code)
      }
    },
  )

  it('offers Retry only where the cause may pass by itself', () => {
    expect(explainedErrorCodes.filter((code) => explainFailure(code)!.retryCanHelp)).toEqual([
      '30003',
      '30008',
    ])
  })

  it('says nothing for a failure with no code or an unknown one', () => {
    expect(explainFailure(null)).toBeNull()
    expect(explainFailure('99999')).toBeNull()
    expect(explainFailure('toString')).toBeNull()
  })
})
