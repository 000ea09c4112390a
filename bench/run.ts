// `npm run bench`: runs every bench/*.bench.ts at the seed size and at 10×, one
// after the other (they share two cores, so never in parallel), and prints one
// table with both figures and their growth. Also writes bench/results/latest.json
// (every row, machine-readable) and latest.md (the table for the README).
// `npm run bench -- cache` runs only the files whose name contains "cache";
// `--scale 1` or `--scale 10` only one size.
import '../scripts/as-the-backend-runs.ts'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { rendererNeedsBuild } from '../src/main/browser-shell/launch.ts'
import { markdownTable, type SuiteRun } from './report.ts'
import { chosenScales } from './scale.ts'
import type { BenchModule } from './types.ts'

const root = resolve(import.meta.dirname, '..')
const { values, positionals: only } = parseArgs({
  options: { scale: { type: 'string' } },
  allowPositionals: true,
})
const runScales = chosenScales(values.scale)
const files = readdirSync(import.meta.dirname)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((word) => file.includes(word)))
  .sort()

/** The benches that drive the built renderer; a fresh clone has no build yet. */
const needsRenderer = ['renderer.bench.ts', 'memory.bench.ts']
if (files.some((file) => needsRenderer.includes(file)) && rendererNeedsBuild(root)) {
  process.stderr.write('building the renderer (electron-vite build)…\n')
  const build = spawnSync(resolve(root, 'node_modules/.bin/electron-vite'), ['build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (build.status !== 0) throw new Error('electron-vite build failed; the errors are above')
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    return null
  }
})()
const labels = runScales.map((scale) => scale.label)
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  /** The embedded backend's V8 flags, which every bench runs with (as-the-backend-runs.ts). */
  v8Flags: process.execArgv.filter((arg) => arg.startsWith('--') && !arg.startsWith('--import')),
  platform: process.platform,
}
const started = performance.now()
const runs: SuiteRun[] = []
const results = resolve(import.meta.dirname, 'results')
mkdirSync(results, { recursive: true })

/** Writes the results so far: after every suite, so a suite that hangs or is stopped loses only itself. */
function writeResults(totalSeconds: number): string {
  const table = markdownTable(runs, labels)
  writeFileSync(
    resolve(results, 'latest.json'),
    `${JSON.stringify({ finishedAt: new Date().toISOString(), commit, machine, scales: labels, totalSeconds, runs }, null, 2)}\n`,
  )
  writeFileSync(
    resolve(results, 'latest.md'),
    `${table}\n\n${machine.cores} cores (${machine.cpu}), Node ${machine.node} (${machine.v8Flags.join(' ')}), commit ${commit?.slice(0, 7) ?? 'unknown'}; whole run ${Math.round(totalSeconds)} s.\n`,
  )
  return table
}

for (const file of files) {
  const suite = file.replace(/\.bench\.ts$/, '')
  const module = (await import(pathToFileURL(resolve(import.meta.dirname, file)).href)) as BenchModule
  for (const scale of runScales) {
    process.stderr.write(`running ${suite} at ${scale.label}…\n`)
    const suiteStarted = performance.now()
    try {
      const rows = await module.run(scale)
      runs.push({ suite, scale: scale.label, seconds: (performance.now() - suiteStarted) / 1000, rows })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      process.stderr.write(`${suite} at ${scale.label} failed: ${message}\n`)
      runs.push({
        suite,
        scale: scale.label,
        seconds: (performance.now() - suiteStarted) / 1000,
        rows: [],
        error: message,
      })
    }
    writeResults((performance.now() - started) / 1000)
  }
}
const totalSeconds = (performance.now() - started) / 1000
const table = writeResults(totalSeconds)

console.log(table)
if (runs.length === 0) console.log('(no benchmarks yet)')
process.stderr.write(`whole run ${Math.round(totalSeconds)} s; results in ${results}/latest.{json,md}\n`)
process.exitCode = runs.some((run) => run.error) ? 1 : 0
