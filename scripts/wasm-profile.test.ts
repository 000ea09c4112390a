// The profile of Postgres' functions V8 optimizes in the backend's process
// (src/main/embedded-stack/wasm-tiering.ts): it fits the installed PGlite, leaves out
// the grammar, and a real Node process with the backend's flags and working directory
// reads it and optimizes every function it names and nothing else, even as the grammar
// gets hot, within the backend's memory budget.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../local-backend/db/database.ts'
import { backendV8Flags, backendWorkingDir, wasmProfileDir } from '../src/main/embedded-stack/wasm-tiering.ts'
import {
  optimizedFunctions,
  optimizingCompilations,
  pgliteModule,
  type ModuleShape,
} from './wasm-profile-format.ts'

let shape: ModuleShape
let profileName: string
let optimized: Set<number>
let grammar: number
let dataDir: string

beforeAll(async () => {
  shape = (await pgliteModule()).shape
  const files = readdirSync(wasmProfileDir())
  expect(files).toHaveLength(1)
  profileName = files[0]!
  try {
    optimized = new Set(optimizedFunctions(readFileSync(join(wasmProfileDir(), profileName)), shape))
  } catch (error) {
    throw new Error(`${profileName} does not fit the installed PGlite: run npm run wasm-profile`, {
      cause: error,
    })
  }
  grammar = [...shape.names].find(([, name]) => name === 'raw_parser')![0]
  // The backend's database as a later launch finds it, which is what the app opens.
  dataDir = join(mkdtempSync(join(tmpdir(), 'wasm-profile-test-')), 'embedded-backend')
  await (await openDatabase({ dataDir, seed: true })).close()
}, 120_000)

afterAll(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }))

describe('the wasm profile', () => {
  it('covers every function the installed PGlite declares, optimizes hundreds and never the grammar', () => {
    // optimizedFunctions throws when the profile's length is another module's.
    expect(optimized.size).toBeGreaterThan(300)
    expect(optimized.has(grammar)).toBe(false)
    expect(backendWorkingDir()).toBe(wasmProfileDir())
  })

  it('is read by the backend’s V8, which optimizes all it names and nothing else, under 300 MB', async () => {
    const run = await runStatements(backendV8Flags, backendWorkingDir(), (compiled) =>
      [...optimized].every((index) => compiled.has(index)),
    )
    const size = readFileSync(join(wasmProfileDir(), profileName)).length
    expect(
      run.lines,
      `V8 did not read ${profileName}: after a PGlite upgrade, run npm run wasm-profile`,
    ).toContain(`Loading Wasm PGO data from file '${profileName}' (${size} bytes)`)
    expect([...run.compiled.keys()].filter((index) => !optimized.has(index))).toEqual([])
    expect(run.compiled.has(grammar)).toBe(false)
    console.log(`${run.compiled.size} functions optimized; peak ${run.peakMb.toFixed(0)} MB`)
    expect(run.peakMb).toBeLessThan(300)
  }, 60_000)

  it('is what keeps the grammar out: with V8 choosing, the same statements optimize it', async () => {
    const run = await runStatements(['--wasm-num-compilation-tasks=1'], undefined, (compiled) =>
      compiled.has(grammar),
    )
    expect(run.compiled.has(grammar)).toBe(true)
    console.log(`with V8 choosing: peak ${run.peakMb.toFixed(0)} MB`)
  }, 60_000)
})

const databaseModule = pathToFileURL(join(import.meta.dirname, '../local-backend/db/database.ts')).href

interface Run {
  lines: string[]
  compiled: Map<number, number>
  peakMb: number
}

/**
 * A Node process with `flags` opens the backend's database and runs a thousand
 * statements, each parsed anew (enough to make the grammar hot), then waits until
 * its compilations so far satisfy `settled` before it reports its peak memory and ends.
 */
async function runStatements(
  flags: string[],
  cwd: string | undefined,
  settled: (compiled: Map<number, number>) => boolean,
): Promise<Run> {
  const script = `
    import { once } from 'node:events'
    import { readFileSync } from 'node:fs'
    import { openDatabase } from ${JSON.stringify(databaseModule)}
    const db = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} })
    for (let i = 0; i < 1000; i++) await db.exec('select ' + i + ' as n')
    process.stderr.write('statements done\\n')
    process.stdin.resume()
    await once(process.stdin, 'end')
    await db.close()
    process.stderr.write('peak ' + /^VmHWM:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1] + '\\n')
  `
  const child = spawn(
    process.execPath,
    [...flags, '--trace-wasm-compilation-times', '--input-type=module', '-e', script],
    {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  const lines: string[] = []
  let statementsDone = false
  let ended = false
  const settle = (progress: boolean) => {
    if (!ended && statementsDone && progress && settled(optimizingCompilations(lines, shape))) {
      ended = true
      child.stdin.end()
    }
  }
  const notes: string[] = []
  createInterface({ input: child.stderr }).on('line', (line) => {
    notes.push(line)
    if (line === 'statements done') statementsDone = true
    settle(line === 'statements done')
  })
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    settle(line.includes(' using TurboFan,'))
  })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  expect(code).toBe(0)
  const peak = notes.find((line) => line.startsWith('peak '))
  return { lines, compiled: optimizingCompilations(lines, shape), peakMb: Number(peak?.slice(5)) / 1024 }
}

describe('the wasm profile in a packaged app', () => {
  it('is shipped as an extra resource, and the Electron layer points the backend at it', () => {
    const root = join(import.meta.dirname, '..')
    const builder = readFileSync(join(root, 'electron-builder.yml'), 'utf8')
    expect(builder).toContain('  - from: resources/wasm-profile\n    to: wasm-profile\n')
    const electronMain = readFileSync(join(root, 'src/main/electron/index.ts'), 'utf8')
    expect(electronMain).toContain(
      "process.env.EMBEDDED_WASM_PROFILE_DIR ??= app.isPackaged\n      ? join(process.resourcesPath, 'wasm-profile')",
    )
  })

  it('is looked for where EMBEDDED_WASM_PROFILE_DIR says, and a missing folder leaves the working directory alone', () => {
    const previous = process.env.EMBEDDED_WASM_PROFILE_DIR
    try {
      process.env.EMBEDDED_WASM_PROFILE_DIR = join(dataDir, '..', 'resources', 'wasm-profile')
      expect(wasmProfileDir()).toBe(process.env.EMBEDDED_WASM_PROFILE_DIR)
      expect(backendWorkingDir()).toBeUndefined()
    } finally {
      if (previous === undefined) delete process.env.EMBEDDED_WASM_PROFILE_DIR
      else process.env.EMBEDDED_WASM_PROFILE_DIR = previous
    }
  })
})
