// `npm run wasm-profile`: writes resources/wasm-profile/, the list of Postgres'
// functions the embedded backend has V8 compile with its optimizing compiler
// (src/main/embedded-stack/wasm-tiering.ts says why). It runs the backend's daily work
// (wasm-profile-workload.ts) in a process where V8 tiers up as it likes and reports
// each compilation's memory, keeps the functions V8 found hot, and leaves out any
// whose compilation took more than MAX_COMPILE_BYTES (Postgres' grammar, raw_parser,
// takes 600 MB). Run it again when @electric-sql/pglite changes: the profile is named
// for the module's bytes, and wasm-profile.test.ts fails until it matches.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { wasmProfileDir } from '../src/main/embedded-stack/wasm-tiering.ts'
import {
  encodeProfile,
  optimizedFunctions,
  optimizingCompilations,
  pgliteModule,
} from './wasm-profile-format.ts'

const MAX_COMPILE_BYTES = 64 * 1024 * 1024

const dumpedLine = /^Dumping Wasm PGO data to file '(profile-wasm-[0-9a-f]{8})' \(module size (\d+),/

const { wasm, shape } = await pgliteModule()
const workDir = mkdtempSync(join(tmpdir(), 'wasm-profile-run-'))
try {
  const run = spawnSync(
    process.execPath,
    [
      '--max-semi-space-size=1',
      '--experimental-wasm-pgo-to-file',
      '--trace-wasm-compilation-times',
      '--wasm-num-compilation-tasks=1',
      resolve(import.meta.dirname, 'wasm-profile-workload.ts'),
    ],
    { cwd: workDir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  if (run.status !== 0) throw new Error(`the workload failed (exit ${run.status})`)
  const trace = run.stdout.split('\n')
  const file = trace
    .map((line) => dumpedLine.exec(line))
    .find((match) => match !== null && Number(match[2]) === wasm.length)?.[1]
  if (!file) throw new Error('V8 wrote no profile for PGlite’s module')
  const hot = optimizedFunctions(readFileSync(join(workDir, file)), shape)
  const bytes = optimizingCompilations(trace, shape)
  if (bytes.size === 0)
    throw new Error('the workload compiled nothing of Postgres with the optimizing compiler')
  const kept = hot.filter((index) => (bytes.get(index) ?? Infinity) <= MAX_COMPILE_BYTES)
  const left = hot.filter((index) => !kept.includes(index))
  const profileDir = wasmProfileDir()
  mkdirSync(profileDir, { recursive: true })
  for (const stale of readdirSync(profileDir)) rmSync(join(profileDir, stale))
  writeFileSync(join(profileDir, file), encodeProfile(shape, kept))
  const name = (index: number) => shape.names.get(index) ?? `#${index}`
  const described = left.map((index) => {
    const measured = bytes.get(index)
    return `${name(index)} (${measured === undefined ? 'not measured' : `${(measured / 2 ** 20).toFixed(0)} MB`})`
  })
  process.stdout.write(
    `${file}: ${kept.length} of ${hot.length} hot functions optimized; left out: ${described.join(', ') || 'none'}\n`,
  )
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
