// `npm run bench`: runs every bench/*.bench.ts one after the other (they share two
// cores, so never in parallel) and prints one table. `npm run bench -- cache` runs
// only the files whose name contains "cache".
import { readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BenchModule, BenchRow } from './types.ts'

const only = process.argv.slice(2)
const files = readdirSync(import.meta.dirname)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((word) => file.includes(word)))
  .sort()

const rows: (BenchRow & { suite: string })[] = []
let failed = false
for (const file of files) {
  const suite = file.replace(/\.bench\.ts$/, '')
  process.stderr.write(`running ${suite}…\n`)
  try {
    const module = (await import(pathToFileURL(resolve(import.meta.dirname, file)).href)) as BenchModule
    for (const row of await module.run()) rows.push({ suite, ...row })
  } catch (error) {
    failed = true
    process.stderr.write(`${suite} failed: ${error instanceof Error ? error.message : String(error)}\n`)
  }
}

const format = (value: number) =>
  Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1)
const table = [
  ['suite', 'measure', 'value', 'target', 'ok'],
  ...rows.map((row) => [
    row.suite,
    row.name,
    `${format(row.value)} ${row.unit}`,
    row.target ?? '',
    row.meetsTarget === undefined ? '' : row.meetsTarget ? 'yes' : 'NO',
  ]),
]
const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)))
const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`
console.log(line(table[0]!))
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`)
for (const cells of table.slice(1)) console.log(line(cells))
if (rows.length === 0) console.log('(no benchmarks yet)')
process.exitCode = failed ? 1 : 0
