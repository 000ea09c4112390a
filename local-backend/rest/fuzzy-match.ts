/**
 * The closest names PostgREST suggests in its "Perhaps you meant" hints (Error.hs), ranked
 * as the Haskell fuzzyset 0.2 package it uses ranks them: candidates sharing n-grams with
 * the query are scored by cosine similarity (trigrams, else bigrams), the best fifty are
 * re-scored by normalised Levenshtein similarity, and those at or above the minimum score
 * are kept, best first. An exact (case-insensitive) match scores 1.
 */
export interface FuzzyMatch {
  score: number
  value: string
}

const gramSizes = [3, 2]
const rescored = 50

/** Lower case, keeping letters, digits, spaces and commas (fuzzyset's `normalized`). */
const normalized = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}\s,]/gu, '')

function gramCounts(text: string, size: number): Map<string, number> {
  const padded = [...`-${normalized(text)}-`]
  const counts = new Map<string, number>()
  for (let i = 0; i + size <= padded.length; i++) {
    const gram = padded.slice(i, i + size).join('')
    counts.set(gram, (counts.get(gram) ?? 0) + 1)
  }
  return counts
}

const magnitude = (counts: Map<string, number>) =>
  Math.sqrt([...counts.values()].reduce((sum, n) => sum + n * n, 0))

function levenshtein(a: string[], b: string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}

function similarity(a: string, b: string): number {
  const [left, right] = [[...a], [...b]]
  const longest = Math.max(left.length, right.length)
  return longest === 0 ? 1 : 1 - levenshtein(left, right) / longest
}

function matchesOfSize(entries: Map<string, string>, query: string, size: number): FuzzyMatch[] {
  const wanted = gramCounts(query, size)
  const wantedMagnitude = magnitude(wanted)
  const cosine: { score: number; key: string }[] = []
  for (const key of entries.keys()) {
    const counts = gramCounts(key, size)
    let dot = 0
    for (const [gram, n] of wanted) dot += n * (counts.get(gram) ?? 0)
    if (dot > 0) cosine.push({ score: dot / (wantedMagnitude * magnitude(counts)), key })
  }
  return cosine
    .sort((a, b) => b.score - a.score)
    .slice(0, rescored)
    .map(({ key }) => ({ score: similarity(query, key), value: entries.get(key)! }))
    .sort((a, b) => b.score - a.score)
}

export function fuzzyMatches(candidates: Iterable<string>, query: string, minScore = 0.33): FuzzyMatch[] {
  // Keyed by lower case, the first spelling kept, as the set's exact index is.
  const entries = new Map<string, string>()
  for (const candidate of candidates) {
    const key = candidate.toLowerCase()
    if (!entries.has(key)) entries.set(key, candidate)
  }
  const key = query.toLowerCase()
  const exact = entries.get(key)
  if (exact !== undefined) return [{ score: 1, value: exact }]
  for (const size of gramSizes) {
    const found = matchesOfSize(entries, key, size).filter((match) => match.score >= minScore)
    if (found.length > 0) return found
  }
  return []
}

export const closestMatch = (candidates: Iterable<string>, query: string, minScore = 0.33) =>
  fuzzyMatches(candidates, query, minScore)[0]?.value
