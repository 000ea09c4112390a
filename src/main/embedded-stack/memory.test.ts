import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { theEmbeddedChild } from '../../../test/support/embedded-children.ts'
import { statusMb } from '../../../test/support/proc-status.ts'
import { until } from '../../../test/support/until.ts'
import { forkService } from './fork-service.ts'
import { launchEmbeddedStack } from './launcher.ts'

const hostModule = resolve(import.meta.dirname, 'host.ts')
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function launch(dataDir: string) {
  const { logger, lines } = createMemoryLogger('memory-test')
  const stack = await launchEmbeddedStack({ hostModule, dataDir, logger, port: 0, startService: forkService })
  return { stack, pid: theEmbeddedChild(), lines }
}

/** Postgres at work, as an agent's app makes it work: sign-ins check passwords and read rows. */
async function signIns(stack: { supabaseUrl: string; publishableKey: string }, count: number) {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${stack.supabaseUrl}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: stack.publishableKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ben@acme.test', password: 'inbox-demo-1' }),
    })
    expect(response.status).toBe(200)
    await response.arrayBuffer()
  }
}

describe('the embedded backend child’s memory', () => {
  it('stays under 300 MB from a later launch through its first queries (recompiling Postgres took it to 720)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-memory-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const dataDir = join(dir, 'embedded-backend')
    // The first launch builds the database; every later one, which this measures, opens it.
    const first = await launch(dataDir)
    await first.stack.stop()

    const { stack, pid } = await launch(dataDir)
    cleanups.push(() => stack.stop())
    await signIns(stack, 20)
    const peak = statusMb(pid, 'VmHWM')
    console.log(`embedded child: peak ${peak.toFixed(0)} MB, now ${statusMb(pid, 'VmRSS').toFixed(0)} MB`)
    expect(peak).toBeLessThan(300)
  }, 180_000)

  it('collects its heap when the app says its first sync is live, and not before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-memory-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const { stack, lines } = await launch(join(dir, 'embedded-backend'))
    cleanups.push(() => stack.stop())
    const collections = () =>
      lines
        .map((line) => JSON.parse(line) as { msg: string; heapUsedBefore?: number; heapUsedAfter?: number })
        .filter((record) => record.msg === 'collected the first sync’s garbage')
    // The reads a sync makes leave their garbage behind in the child.
    await signIns(stack, 10)
    expect(collections()).toHaveLength(0)
    stack.reclaimMemory()
    await until(() => collections().length === 1, 'the child’s collection')
    const [collected] = collections()
    expect(collected!.heapUsedAfter).toBeLessThan(collected!.heapUsedBefore!)
  }, 120_000)
})
