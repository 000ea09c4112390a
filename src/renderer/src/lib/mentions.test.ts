import { describe, expect, it } from 'vitest'
import { mentionedMembers, membersMatching, mentionQueryAt, mentionSegments } from './mentions.ts'

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

const ava = { userId: 'a', displayName: 'Ava' }
const avaLee = { userId: 'al', displayName: 'Ava Lee' }
const ben = { userId: 'b', displayName: 'Ben Okafor' }

describe('mentionedMembers', () => {
  it('names each member written as @name, the longest name winning, and nobody twice', () => {
    expect(mentionedMembers('@Ava Lee, ask @Ben Okafor and @Ben Okafor again', [ava, avaLee, ben])).toEqual([
      avaLee,
      ben,
    ])
    expect(mentionedMembers('Ava and Ben without the @', [ava, ben])).toEqual([])
  })
})

describe('membersMatching', () => {
  it('matches the start of any word of a name, in any case; an empty query matches everyone', () => {
    expect(membersMatching('ok', [ava, avaLee, ben])).toEqual([ben])
    expect(membersMatching('AV', [ava, avaLee, ben])).toEqual([ava, avaLee])
    expect(membersMatching('', [ava, ben])).toEqual([ava, ben])
    expect(membersMatching('kaf', [ben])).toEqual([])
  })
})
