// The first sync of a large workspace through the real core (supabase-js against the
// local backend, the SQLite cache, every contract event): from sign-in until the
// workspace is live, at 10,000 and 100,000 conversations (each with its latest message).
// `node bench/first-sync.bench.ts 20000 100000` measures those sizes on their own.
import '../scripts/as-the-backend-runs.ts'
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
import { atScale, seedSizes, type Scale } from './scale.ts'
import type { BenchRow } from './types.ts'

/** Signs Ben in through the core, as the sign-in screen does, and times it until his workspace is live. */
async function firstSync(conversations: number): Promise<{ ms: number; cpuMs: number; events: number }> {
  const { logger } = createMemoryLogger('first-sync-bench')
  const dir = mkdtempSync(join(tmpdir(), 'first-sync-bench-'))
  // On disk, as the app keeps it: Postgres then reads what its buffers miss through JavaScript.
  const backend = await startLocalBackend({
    port: 0,
    seed: true,
    logger,
    dataDir: join(dir, 'embedded-backend'),
  })
  try {
    const demo = await demoIds(backend.db)
    await seedLargeWorkspace(backend.db, demo.acme, conversations)
    const { platform } = createBrowserPlatform({ userDataDir: join(dir, 'app'), appVersion: 'bench' })
    const core = createAppCore(platform, {
      backend: {
        mode: 'custom',
        supabaseUrl: backend.url,
        publishableKey: backend.publishableKey,
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

function rowsOf({ ms, cpuMs, events }: Awaited<ReturnType<typeof firstSync>>, target?: number): BenchRow[] {
  return [
    {
      name: 'first sync, sign-in → live',
      value: ms,
      unit: 'ms',
      ...(target === undefined ? {} : { target: `< ${target / 1000} s`, meetsTarget: ms < target }),
    },
    // The backend runs in this process too: on a busy machine, CPU time says what the wall clock cannot.
    { name: 'CPU time of that sync (app and backend)', value: cpuMs, unit: 'ms' },
    { name: 'contract events sent during that sync', value: events, unit: '' },
  ]
}

/** The cache's seed size of conversations, each with its latest message; the goal holds at 10×. */
export async function run(scale: Scale): Promise<BenchRow[]> {
  const { conversations } = atScale(seedSizes.cache, scale)
  return rowsOf(await firstSync(conversations), scale.factor === 10 ? 20_000 : undefined)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number)
  for (const size of sizes.length > 0 ? sizes : [20_000, 100_000]) {
    for (const row of rowsOf(await firstSync(size)))
      console.log(
        `${size.toLocaleString('en')} conversations, ${row.name}: ${Math.round(row.value)} ${row.unit}`,
      )
  }
}
