import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connectShellClient, exchangeLaunchToken } from '../../../test/support/shell-client.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { createAppCore } from '../core/app-core.ts'
import { launchBrowserShell } from './launch.ts'

const { logger } = createMemoryLogger('shell-restart-test')
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The shell host on `userDataDir`; its core has no backend to reach, which is beside the point here. */
function launch(userDataDir: string, port: number) {
  return launchBrowserShell({
    createCore: (platform) => createAppCore(platform, { env: { SUPABASE_URL: 'not a url' }, logger }),
    userDataDir,
    appVersion: '9.9.9',
    rendererDir: userDataDir,
    logger,
    port,
  })
}

describe('the browser shell restarted', () => {
  it('lets an open tab back in on the same port with its cookie, without a new launch link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shell-restart-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const first = await launch(dir, 0)
    const cookie = await exchangeLaunchToken(first.url)
    const tab = await connectShellClient(first.origin, cookie)
    expect(await tab.value('app.info', {})).toMatchObject({ version: '9.9.9' })

    await first.close()
    await tab.closed
    const second = await launch(dir, first.port)
    cleanups.push(() => second.close())
    expect(second.origin).toBe(first.origin)
    const back = await connectShellClient(second.origin, cookie)
    cleanups.push(() => back.close())
    expect(await back.value('app.info', {})).toMatchObject({ version: '9.9.9' })

    // What is kept on disk recognises the tab but cannot be sent as its cookie.
    const cookieValue = cookie.split('=')[1]!
    expect(readFileSync(join(dir, 'browser-shell-sessions.json'), 'utf8')).not.toContain(cookieValue)
    const forged = `${cookie.split('=')[0]}=${'A'.repeat(cookieValue.length)}`
    await expect(connectShellClient(second.origin, forged)).rejects.toThrow(/403/)
    // The old launch link belonged to the first run.
    expect((await fetch(first.url, { redirect: 'manual' })).status).toBe(403)
  })
})
