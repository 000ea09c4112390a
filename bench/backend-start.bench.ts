// Start-up of the embedded backend, each sample in a new Node process, as the app
// and the test runner see it:
// - test instance: an in-memory database from the cached snapshot (every test file);
// - warm start: startLocalBackend on an existing data directory (every app launch after the first);
// - for context, what the snapshot saves: an empty PGlite running initdb (one sample).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { percentile, type BenchRow } from './types.ts'

const root = resolve(import.meta.dirname, '..')
const samples = 5

const scripts = {
  initdb: `
    const { PGlite } = await import('@electric-sql/pglite')
    const { vector } = await import('@electric-sql/pglite/vector')
    const start = performance.now()
    const db = await PGlite.create({ extensions: { vector } })
    await db.query('select 1')
    console.log('BENCH ' + (performance.now() - start))
    await db.close()`,
  testInstance: `
    const { openDatabase } = await import('./local-backend/db/database.ts')
    const start = performance.now()
    const db = await openDatabase({ seed: true })
    await db.query('select 1')
    console.log('BENCH ' + (performance.now() - start))
    await db.close()`,
  warmStart: `
    const { startLocalBackend } = await import('./local-backend/index.ts')
    const start = performance.now()
    const backend = await startLocalBackend({ port: 0, dataDir: process.env.BENCH_DATA_DIR, seed: true })
    const health = await fetch(backend.url + '/health')
    if (!health.ok) throw new Error('not healthy')
    console.log('BENCH ' + (performance.now() - start))
    await backend.stop()`,
}

function measure(script: string, env: Record<string, string> = {}): number {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const line = output.split('\n').find((text) => text.startsWith('BENCH '))
  if (!line) throw new Error('a start-up sample printed no timing')
  return Number(line.slice('BENCH '.length))
}

function series(script: string, env: Record<string, string> = {}): number[] {
  return Array.from({ length: samples }, () => measure(script, env))
}

export async function run(): Promise<BenchRow[]> {
  // The first run builds the snapshot (and the data directory); neither is what we measure.
  measure(scripts.testInstance)
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-warm-start-'))
  try {
    measure(scripts.warmStart, { BENCH_DATA_DIR: dataDir })
    const initdb = measure(scripts.initdb)
    const testInstance = percentile(series(scripts.testInstance), 50)
    const warmStart = percentile(series(scripts.warmStart, { BENCH_DATA_DIR: dataDir }), 50)
    return [
      { name: 'empty PGlite with initdb, no snapshot (context)', value: initdb, unit: 'ms' },
      {
        name: `test instance from snapshot, median of ${samples}`,
        value: testInstance,
        unit: 'ms',
        target: '< 500 ms',
        meetsTarget: testInstance < 500,
      },
      {
        name: `warm start on a data dir to /health, median of ${samples}`,
        value: warmStart,
        unit: 'ms',
        target: '< 1500 ms',
        meetsTarget: warmStart < 1500,
      },
    ]
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
