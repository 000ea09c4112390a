/** One line of the benchmark table. `target` is the goal as written in the issue, e.g. "< 30 ms". */
export interface BenchRow {
  name: string
  value: number
  unit: string
  target?: string
  /** Whether the value meets the target; omitted for floors and context numbers. */
  meetsTarget?: boolean
}

export type BenchModule = { run(): Promise<BenchRow[]> }

/** The p-th percentile (0..100) of a sample, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}
