import { describe, expect, it } from 'vitest'
import { mentionQueryAt, mentionSegments } from './mentions.ts'

describe('mentionSegments', () => {
  it('marks each @name of a mentioned member, the longest name first', () => {
    expect(mentionSegments('@Ava Lee and @Ava, see @Ben', ['Ava', 'Ava Lee'])).toEqual([
      { text: '@Ava Lee', mention: true },
      { text: ' and ', mention: false },
      { text: '@Ava', mention: true },
      { text: ', see @Ben', mention: false },
    ])
  })

  it('leaves a text without mentions whole', () => {
    expect(mentionSegments('no mention here', [])).toEqual([{ text: 'no mention here', mention: false }])
  })
})

describe('mentionQueryAt', () => {
  it('finds the @word typed before the caret, at the start or after a space', () => {
    expect(mentionQueryAt('@Av', 3)).toEqual({ start: 0, query: 'Av' })
    expect(mentionQueryAt('hi @', 4)).toEqual({ start: 3, query: '' })
    expect(mentionQueryAt('mail me@acme', 12)).toBeNull()
    expect(mentionQueryAt('@Ava done', 9)).toBeNull()
  })
})
