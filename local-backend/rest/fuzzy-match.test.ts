import { describe, expect, it } from 'vitest'
import { closestMatch, fuzzyMatches } from './fuzzy-match.ts'

/*
 * The suggestions PostgREST's Error.hs doctests pin (noRelBetweenHint, noRpcHint), which
 * rank names with the Haskell fuzzyset 0.2 package: these are its answers.
 */
describe('closest names, as PostgREST ranks them for its hints', () => {
  it('a misspelt name finds its table, a near name its relationship target', () => {
    expect(closestMatch(['films'], 'film')).toBe('films')
    expect(closestMatch(['directors', 'roles', 'actors'], 'role')).toBe('roles')
  })

  it('nothing sharing a bigram is no match', () => {
    expect(closestMatch(['films'], 'noclosealternative')).toBeUndefined()
    expect(closestMatch(['directors', 'roles', 'actors'], 'noclosealternative')).toBeUndefined()
  })

  it('function names must score 0.75: testt finds test, other does not find another', () => {
    expect(closestMatch(['test', 'another'], 'testt', 0.75)).toBe('test')
    expect(closestMatch(['test', 'another'], 'other', 0.75)).toBeUndefined()
  })

  it('argument lists compare as sorted text', () => {
    const lists = ['(name, param, val)', '(attr, id)']
    expect(closestMatch(lists, '(nam, pqaram, vall)')).toBe('(name, param, val)')
    expect(closestMatch(lists, '(param, val)')).toBe('(name, param, val)')
    expect(closestMatch(lists, '(attrs, id)')).toBe('(attr, id)')
    expect(closestMatch(lists, '(id)')).toBe('(attr, id)')
    expect(closestMatch(lists, '(noclosealternative)')).toBeUndefined()
  })

  it('an exact match ignores case and scores 1; otherwise the best comes first', () => {
    expect(fuzzyMatches(['Films', 'roles'], 'films')).toEqual([{ score: 1, value: 'Films' }])
    const ranked = fuzzyMatches(['roles', 'rolls', 'directors'], 'role')
    expect(ranked[0]).toEqual({ score: 0.8, value: 'roles' })
    expect(ranked.every((match, i) => i === 0 || match.score <= ranked[i - 1]!.score)).toBe(true)
  })
})
