import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { connectShellClient, exchangeLaunchToken, tabProtocols } from '../../../test/support/shell-client.ts'
import { shellPaths, shellProtocol } from '../../shared/browser-shell-protocol.ts'
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

/** A fresh shell in its own data folder, closed after the test. */
async function freshShell() {
  const dir = mkdtempSync(join(tmpdir(), 'shell-access-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>the page</title>')
  const shell = await launch(dir, 0)
  cleanups.push(() => shell.close())
  return shell
}

const postToken = (origin: string, token: string, headers: Record<string, string>) =>
  fetch(`${origin}${shellPaths.session}`, { method: 'POST', headers, body: JSON.stringify({ token }) })

/** Opens the API socket as a given caller; resolves with the protocol it got, or the refusal's status. */
function openSocket(
  origin: string,
  protocols: string[],
  headers: Record<string, string>,
): Promise<{ protocol: string } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}${shellPaths.socket}`, protocols, {
      headers,
    })
    socket.once('open', () => {
      resolve({ protocol: socket.protocol })
      socket.close()
    })
    socket.once('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0 }))
    socket.once('error', reject)
  })
}

describe('a launch link', () => {
  it('works once: a second use is refused, with a page that says why', async () => {
    const shell = await freshShell()
    expect(await (await fetch(shell.url)).text()).toContain('the page')
    await exchangeLaunchToken(shell.url)
    const again = await fetch(shell.url)
    expect(again.status).toBe(403)
    expect(await again.text()).toContain('This link has been used already')
    const token = new URL(shell.url).searchParams.get('token')!
    const exchange = await postToken(shell.origin, token, {
      origin: shell.origin,
      'content-type': 'application/json',
    })
    expect(exchange.status).toBe(403)
    expect(await exchange.json()).toMatchObject({
      ok: false,
      error: { kind: 'unauthorized', message: expect.stringContaining('used already') },
    })
    // Another link of the same run is its own, and works once too.
    const other = shell.newLaunchUrl()
    await exchangeLaunchToken(other)
    await expect(exchangeLaunchToken(other)).rejects.toThrow(/403/)
  })

  it('is exchanged only by the shell’s own page, as JSON, and a refused try does not spend it', async () => {
    const shell = await freshShell()
    const token = new URL(shell.url).searchParams.get('token')!
    const json = { 'content-type': 'application/json' }
    const tries = [
      { origin: 'http://127.0.0.1:1', ...json },
      { origin: `http://127.0.0.1:${shell.port + 1}`, ...json },
      { ...json },
      { origin: shell.origin, 'content-type': 'text/plain' },
      { origin: shell.origin, 'content-type': 'application/x-www-form-urlencoded' },
    ]
    for (const headers of tries) expect((await postToken(shell.origin, token, headers)).status).toBe(403)
    expect((await postToken(shell.origin, 'x'.repeat(2000), { origin: shell.origin, ...json })).status).toBe(
      400,
    )
    await exchangeLaunchToken(shell.url)
  })
})

describe('the API socket', () => {
  it('opens only with a tab secret from the shell’s own origin, and never echoes the secret', async () => {
    const shell = await freshShell()
    const secret = await exchangeLaunchToken(shell.url)
    const own = { origin: shell.origin }
    expect(await openSocket(shell.origin, tabProtocols(secret), own)).toEqual({ protocol: shellProtocol })
    expect(await openSocket(shell.origin, [shellProtocol], own)).toEqual({ status: 403 })
    expect(await openSocket(shell.origin, tabProtocols('B'.repeat(secret.length)), own)).toEqual({
      status: 403,
    })
    for (const origin of [`http://127.0.0.1:${shell.port + 1}`, 'http://localhost:1', 'null'])
      expect(await openSocket(shell.origin, tabProtocols(secret), { origin })).toEqual({ status: 403 })
    expect(await openSocket(shell.origin, tabProtocols(secret), {})).toEqual({ status: 403 })
  })
})

describe('the browser shell restarted', () => {
  it('lets an open tab back in on the same port with its secret, without a new launch link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shell-restart-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const first = await launch(dir, 0)
    const secret = await exchangeLaunchToken(first.url)
    const tab = await connectShellClient(first.origin, secret)
    expect(await tab.value('app.info', {})).toMatchObject({ version: '9.9.9' })

    await first.close()
    await tab.closed
    const second = await launch(dir, first.port)
    cleanups.push(() => second.close())
    expect(second.origin).toBe(first.origin)
    const back = await connectShellClient(second.origin, secret)
    cleanups.push(() => back.close())
    expect(await back.value('app.info', {})).toMatchObject({ version: '9.9.9' })

    // What is kept on disk recognises the tab but cannot be offered as its secret.
    const file = join(dir, 'browser-shell-sessions.json')
    expect(readFileSync(file, 'utf8')).not.toContain(secret)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    await expect(connectShellClient(second.origin, 'A'.repeat(secret.length))).rejects.toThrow(/403/)
    // The old launch link belonged to the first run.
    expect((await fetch(first.url)).status).toBe(403)
    await expect(exchangeLaunchToken(first.url)).rejects.toThrow(/403/)
  })
})
