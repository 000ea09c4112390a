/**
 * The two sizes every bench runs at: the seed size (1×) and ten times it (10×),
 * so the table shows how each figure grows with a team's history.
 */
export interface Scale {
  label: '1×' | '10×'
  factor: 1 | 10
}

export const scales: readonly Scale[] = [
  { label: '1×', factor: 1 },
  { label: '10×', factor: 10 },
]

/**
 * The seed sizes, in one place so every bench means the same team: the desktop
 * cache and first sync hold 10k conversations and 200k messages (100k and 2M at
 * 10×); the backend's REST and realtime paths serve 1k contacts and 20k messages
 * (10k and 200k at 10×).
 */
export const seedSizes = {
  cache: { conversations: 10_000, messages: 200_000 },
  backend: { contacts: 1_000, messages: 20_000 },
  thread: { messages: 5_000 },
} as const

/** Each count of a seed size, multiplied by the scale's factor. */
export function atScale<T extends Readonly<Record<string, number>>>(
  seed: T,
  scale: Scale,
): { [K in keyof T]: number } {
  return Object.fromEntries(Object.entries(seed).map(([key, count]) => [key, count * scale.factor])) as {
    [K in keyof T]: number
  }
}

/** `--scale 1` or `--scale 10` picks one size; without it, both run. */
export function chosenScales(flag: string | undefined): readonly Scale[] {
  if (flag === undefined) return scales
  const scale = scales.find((candidate) => String(candidate.factor) === flag.replace(/[x×]$/, ''))
  if (!scale) throw new Error(`--scale ${flag}: use 1 or 10`)
  return [scale]
}
