// Start-up of the embedded backend, each sample in a new Node process, as the app
// and the test runner see it:
// - test instance: an in-memory database from the cached snapshot (every test file),
//   then a second one in the same process (every later database of a test file),
//   and the first pgcrypto call on it, which compiles the library on first use;
// - warm start: startLocalBackend on an existing data directory holding the scale's
//   contacts and messages (every app launch after the first);
// - for context, what the snapshot saves: an empty PGlite running initdb (one sample).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openDatabase } from '../local-backend/db/database.ts'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'
import { addVolume } from './volume.ts'

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
    const first = performance.now() - start
    await db.close()
    const again = performance.now()
    const second = await openDatabase({ seed: true })
    await second.query('select 1')
    const secondStart = performance.now() - again
    const hashing = performance.now()
    await second.query("select extensions.crypt('inbox-demo-1', extensions.gen_salt('bf', 10))")
    const firstHash = performance.now() - hashing
    console.log('BENCH ' + [first, secondStart, firstHash].join(' '))
    await second.close()`,
  warmStart: `
    const { startLocalBackend } = await import('./local-backend/index.ts')
    const start = performance.now()
    const backend = await startLocalBackend({ port: 0, dataDir: process.env.BENCH_DATA_DIR, seed: true })
    const health = await fetch(backend.url + '/health')
    if (!health.ok) throw new Error('not healthy')
    console.log('BENCH ' + (performance.now() - start))
    await backend.stop()`,
}

function measure(script: string, env: Record<string, string> = {}): number[] {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const line = output.split('\n').find((text) => text.startsWith('BENCH '))
  if (!line) throw new Error('a start-up sample printed no timing')
  return line.slice('BENCH '.length).split(' ').map(Number)
}

/** The median of each number a script prints, over `samples` new processes. */
function medians(script: string, env: Record<string, string> = {}): number[] {
  const runs = Array.from({ length: samples }, () => measure(script, env))
  return runs[0]!.map((_, column) =>
    percentile(
      runs.map((run) => run[column]!),
      50,
    ),
  )
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  // The first run builds the snapshot (and the data directory); neither is what we measure.
  measure(scripts.testInstance)
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-warm-start-'))
  try {
    measure(scripts.warmStart, { BENCH_DATA_DIR: dataDir })
    const db = await openDatabase({ dataDir, seed: true })
    await addVolume(db, (await demoIds(db)).acme, atScale(seedSizes.backend, scale))
    await db.close()
    const [initdb] = measure(scripts.initdb) as [number]
    const [testInstance, secondInstance, firstHash] = medians(scripts.testInstance) as [
      number,
      number,
      number,
    ]
    const [warmStart] = medians(scripts.warmStart, { BENCH_DATA_DIR: dataDir }) as [number]
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
        name: 'second test instance in the same process, median',
        value: secondInstance,
        unit: 'ms',
        target: '< 500 ms',
        meetsTarget: secondInstance < 500,
      },
      {
        name: 'first pgcrypto call (crypt, bf 10) on an instance: compiled on first use',
        value: firstHash,
        unit: 'ms',
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
