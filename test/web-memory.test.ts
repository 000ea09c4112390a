import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { rssAtRest, startWeb, stopWeb, wholeApp } from './support/web-app.ts'

const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * Limits with room for noise below what a later launch measured (main 90 MB, backend
 * child 170, whole app 260), and below what it measured before each cut: the main
 * process was 124 MB with Node stripping its TypeScript at every start and a 16 MB
 * young generation, the whole app 302.
 */
const limits = { main: 105, wholeApp: 280 }

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
    expect(rss.main).toBeLessThan(limits.main)
    expect(wholeApp(rss)).toBeLessThan(limits.wholeApp)
  }, 400_000)
})
