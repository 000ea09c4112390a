// The first sync of a large workspace through the real core (supabase-js against the
// local backend, the SQLite cache, every contract event): from sign-in until the
// workspace is live, at 20,000 and 100,000 conversations (each with its latest message),
// and the growth between the two, which is 5× for a linear sync.
// `node bench/first-sync.bench.ts 5000 20000` measures other sizes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { startLocalBackend } from '../local-backend/index.ts'
import { seedLargeWorkspace } from '../local-backend/db/bulk-workspace.ts'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { DEMO_PASSWORD } from '../relay/demo-accounts.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { createBrowserPlatform } from '../src/main/browser-shell/node-host-platform.ts'
import { createAppCore } from '../src/main/core/app-core.ts'
import type { BenchRow } from './types.ts'

const defaultSizes = [20_000, 100_000]

/** Signs Ben in through the core, as the sign-in screen does, and times it until his workspace is live. */
async function firstSync(conversations: number): Promise<{ ms: number; cpuMs: number; events: number }> {
  const { logger } = createMemoryLogger('first-sync-bench')
  const dir = mkdtempSync(join(tmpdir(), 'first-sync-bench-'))
  const backend = await startLocalBackend({ port: 0, seed: true, logger })
  try {
    const demo = await demoIds(backend.db)
    await seedLargeWorkspace(backend.db, demo.acme, conversations)
    const { platform } = createBrowserPlatform({ userDataDir: dir, appVersion: 'bench' })
    const core = createAppCore(platform, {
      backend: {
        mode: 'custom',
        supabaseUrl: backend.url,
        anonKey: backend.anonKey,
        // Nothing is sent: the outbox never calls it.
        relayUrl: `${backend.url}/functions/v1/sms-relay`,
      },
      logger,
    })
    let events = 0
    let synced = false
    const live = new Promise<void>((resolve) =>
      core.subscribe((event, payload) => {
        events += 1
        if (event === 'sync.progress') synced = true
        else if (
          event === 'connection.changed' &&
          synced &&
          (payload as { status: string }).status === 'live'
        )
          resolve()
      }),
    )
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    const reply = await core.dispatch('session.signIn', { email: 'ben@acme.test', password: DEMO_PASSWORD })
    if (!reply.ok) throw new Error(reply.error.message)
    await live
    const ms = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    await core.dispose()
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, events }
  } finally {
    await backend.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(sizes: number[] = defaultSizes): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const times: number[] = []
  for (const size of sizes) {
    const { ms, cpuMs, events } = await firstSync(size)
    times.push(ms)
    const label = size.toLocaleString('en')
    rows.push({ name: `first sync, ${label} conversations (sign-in → live)`, value: ms, unit: 'ms' })
    // The backend runs in this process too: on a busy machine, CPU time says what the wall clock cannot.
    rows.push({
      name: `CPU time of that sync (app and backend), ${label} conversations`,
      value: cpuMs,
      unit: 'ms',
    })
    rows.push({
      name: `contract events sent during that sync, ${label} conversations`,
      value: events,
      unit: '',
    })
  }
  if (times.length === 2) {
    const growth = times[1]! / times[0]!
    const sizeRatio = sizes[1]! / sizes[0]!
    rows.push({
      name: `growth ${sizes[0]!.toLocaleString('en')} → ${sizes[1]!.toLocaleString('en')} (${sizeRatio}× data)`,
      value: growth,
      unit: '×',
      target: `≤ ${(sizeRatio * 1.2).toFixed(0)}×`,
      meetsTarget: growth <= sizeRatio * 1.2,
    })
  }
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number)
  for (const row of await run(sizes.length > 0 ? sizes : defaultSizes))
    console.log(`${row.name}: ${row.value.toFixed(row.unit === '×' ? 2 : 0)} ${row.unit}`)
}
