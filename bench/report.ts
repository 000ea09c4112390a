import type { Scale } from './scale.ts'
import type { BenchRow } from './types.ts'

/** One bench file run at one scale. */
export interface SuiteRun {
  suite: string
  scale: Scale['label']
  seconds: number
  rows: BenchRow[]
  /** Why the run stopped, when it did not finish. */
  error?: string
}

const format = (value: number) =>
  Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1)

const withUnit = (row: BenchRow) => `${format(row.value)} ${row.unit}`

function withFloor(row: BenchRow | undefined): string {
  if (!row) return ''
  return row.floor ? `${withUnit(row)} (floor ${format(row.floor.value)})` : withUnit(row)
}

function verdict(rows: (BenchRow | undefined)[]): string {
  const judged = rows.filter((row) => row?.meetsTarget !== undefined)
  if (judged.length === 0) return ''
  return judged.map((row) => (row!.meetsTarget ? 'yes' : 'NO')).join(' / ')
}

/**
 * One line per measure, its 1× and 10× figures side by side (each beside its
 * floor from the same run) and how much it grew: the table the README carries.
 */
export function markdownTable(runs: SuiteRun[], labels: readonly Scale['label'][]): string {
  const lines: string[][] = []
  const suites = [...new Set(runs.map((run) => run.suite))]
  for (const suite of suites) {
    const bySuite = new Map(
      labels.map((label) => [label, runs.find((r) => r.suite === suite && r.scale === label)]),
    )
    const names = [...new Set([...bySuite.values()].flatMap((run) => run?.rows.map((row) => row.name) ?? []))]
    for (const name of names) {
      const rows = labels.map((label) => bySuite.get(label)?.rows.find((row) => row.name === name))
      const [first, last] = [rows[0], rows[rows.length - 1]]
      const growth =
        rows.length > 1 && first && last && first.value !== 0 ? `${format(last.value / first.value)}×` : ''
      const target = rows.find((row) => row?.target)?.target ?? ''
      lines.push([
        suite,
        name,
        ...rows.map(withFloor),
        ...(labels.length > 1 ? [growth] : []),
        target,
        verdict(rows),
      ])
    }
    for (const label of labels) {
      const failed = bySuite.get(label)?.error
      if (failed)
        lines.push([
          suite,
          `FAILED at ${label}: ${failed}`,
          ...labels.map(() => ''),
          ...(labels.length > 1 ? [''] : []),
          '',
          'NO',
        ])
    }
  }
  const header = ['suite', 'measure', ...labels, ...(labels.length > 1 ? ['growth'] : []), 'target', 'ok']
  const all = [header, ...lines]
  const widths = header.map((_, column) => Math.max(...all.map((line) => line[column]!.length)))
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...lines.map(line),
  ].join('\n')
}
