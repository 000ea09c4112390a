import type { Scale } from './scale.ts'

/** One line of the benchmark table. `target` is the goal as written in the issue, e.g. "< 30 ms". */
export interface BenchRow {
  /** The same at every scale: the runner pairs rows by name to show how a figure grows. */
  name: string
  value: number
  unit: string
  target?: string
  /** Whether the value meets the target; omitted for floors and context numbers. */
  meetsTarget?: boolean
  /**
   * What the same path costs with the part under test taken away, measured in the
   * same run (a bare echo, the bare SQL, an empty page), printed beside the value.
   */
  floor?: { name: string; value: number }
}

/** A bench file: `run` is called once per scale, each call building its own data and stopping what it started. */
export type BenchModule = { run(scale: Scale): Promise<BenchRow[]> }

/** The p-th percentile (0..100) of a sample, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}
