import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { glibcMallocTunables } from '../src/main/core/glibc-malloc.ts'
import { rssAtRest, startWeb, stopWeb, wholeApp } from './support/web-app.ts'

const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * The target for the whole app at rest. An idle later launch measures about 260 MB
 * (main 90, backend child 170); with the rest of the suite running beside it, the main
 * process's young garbage waits longer and it measured up to 286. Before the cuts (Node
 * stripping TypeScript at every start, a 16 MB young generation) it was 302 idle.
 */
const limits = { wholeApp: 300 }

describe('npm run web at rest', () => {
  it(`stays under ${limits.wholeApp} MB over every process it starts, a later launch`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-memory-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    // The first launch builds the database and fills Node's compile cache; every later one reads them.
    await stopWeb((await startWeb(dir)).child)

    const { child } = await startWeb(dir)
    cleanups.push(() => stopWeb(child))
    const rss = await rssAtRest(child.pid!)
    console.log(
      `npm run web at rest: main ${rss.main.toFixed(0)} MB, backend ${rss.backend.toFixed(0)} MB, ` +
        `others ${rss.others.toFixed(0)} MB, whole app ${wholeApp(rss).toFixed(0)} MB`,
    )
    expect(wholeApp(rss)).toBeLessThan(limits.wholeApp)
    // The process started itself again in place (the same id), with glibc's allocator told
    // to hand freed memory back (or with the person's own tunables). glibc rewrites the
    // variable's text in place as it parses it, so only the first tunable reads back whole.
    const environment = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0')
    const tunables = process.env.GLIBC_TUNABLES ?? glibcMallocTunables
    expect(environment).toContain(`GLIBC_TUNABLES=${tunables.split(':')[0]}`)
  }, 400_000)
})
