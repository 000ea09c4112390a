import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, GLOBEX } from '../../../relay/demo-accounts.ts'
import { theEmbeddedChild } from '../../../test/support/embedded-children.ts'
import { connectShellClient, exchangeLaunchToken } from '../../../test/support/shell-client.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { createAppCore } from '../core/app-core.ts'
import { launchBrowserShell, type BrowserShell } from './launch.ts'

const { logger } = createMemoryLogger('backend-restart-test')
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** `npm run web` as it runs: the browser shell's Platform (no OS key store) on the embedded default in its child process. */
async function webApp(): Promise<BrowserShell> {
  const dir = mkdtempSync(join(tmpdir(), 'backend-restart-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const shell = await launchBrowserShell({
    createCore: (platform) => createAppCore(platform, { env: {}, logger, embeddedPort: 0 }),
    userDataDir: join(dir, 'user-data'),
    appVersion: '9.9.9',
    rendererDir: dir,
    logger,
  })
  cleanups.push(() => shell.close())
  return shell
}

/** A tab of that app with Cleo signed in and synced; resolves with it and one of her conversations. */
async function signedInTab() {
  const shell = await webApp()
  const tab = await connectShellClient(shell.origin, await exchangeLaunchToken(shell.url))
  cleanups.push(() => tab.close())
  await tab.value('session.signIn', { email: 'cleo@globex.test', password: DEMO_PASSWORD })
  await tab.waitForEvent(
    'connection.changed',
    (state) => state.status === 'live' && state.lastSyncAt !== null,
    'the first sync',
  )
  const { items } = await tab.value('conversations.list', { workspaceId: GLOBEX.workspaceId, filter: 'All' })
  return { tab, conversation: items[0]! }
}

describe('npm run web, its embedded backend killed', () => {
  it('keeps the agent signed in, sends the reply typed during the restart and hears customers after it', async () => {
    const { tab, conversation } = await signedInTab()

    const crash = tab.events.mark()
    process.kill(theEmbeddedChild(), 'SIGKILL')
    await tab.waitForEvent('connection.changed', (state) => state.status !== 'live', 'the crash seen', {
      since: crash,
    })
    const reply = await tab.value('messages.send', {
      workspaceId: GLOBEX.workspaceId,
      contactId: conversation.id,
      body: 'Typed while the backend restarts',
    })
    expect(reply.status).toBe('queued')

    // Sent means the outbox delivered it to the relay and Twilio's status came back over Realtime.
    await tab.waitForEvent(
      'message.upserted',
      (message) => message.id === reply.id && (message.status === 'sent' || message.status === 'delivered'),
      'the queued reply sent after the restart',
      { since: crash, ms: 90_000 },
    )
    await tab.waitForEvent('connection.changed', (state) => state.status === 'live', 'live again', {
      since: crash,
      ms: 90_000,
    })
    const signedOut = tab.events.all
      .slice(crash)
      .filter(
        (e) => e.event === 'session.changed' && (e.payload as { status: string }).status !== 'signed-in',
      )
    expect(signedOut).toEqual([])
    expect(await tab.value('session.get', {})).toMatchObject({ status: 'signed-in' })

    await tab.value('view.report', { focused: false, openConversationId: null })
    const after = tab.events.mark()
    await tab.value('dev.simulateInbound', {
      workspaceId: GLOBEX.workspaceId,
      from: '+15557040009',
      body: 'Texted after the restart',
    })
    await tab.waitForEvent(
      'message.upserted',
      (message) => message.content === 'Texted after the restart',
      'the inbound SMS over the resubscribed Realtime',
      { since: after },
    )
  }, 180_000)

  it('shows a frozen backend as Reconnecting within 5 s, and Live again once it thaws', async () => {
    const { tab, conversation } = await signedInTab()

    const pid = theEmbeddedChild()
    const frozen = tab.events.mark()
    const frozenAt = Date.now()
    process.kill(pid, 'SIGSTOP')
    // Runs before the shell closes (cleanups run newest first), so a failing test never leaves it frozen.
    cleanups.push(() => void process.kill(pid, 'SIGCONT'))
    await tab.waitForEvent('connection.changed', (state) => state.status === 'reconnecting', 'Reconnecting', {
      since: frozen,
      ms: 5_000,
    })
    expect(Date.now() - frozenAt).toBeLessThan(5_000)
    const reply = await tab.value('messages.send', {
      workspaceId: GLOBEX.workspaceId,
      contactId: conversation.id,
      body: 'Typed while the backend is frozen',
    })

    const thawed = tab.events.mark()
    process.kill(pid, 'SIGCONT')
    await tab.waitForEvent('connection.changed', (state) => state.status === 'live', 'Live again', {
      since: thawed,
      ms: 60_000,
    })
    await tab.waitForEvent(
      'message.upserted',
      (message) => message.id === reply.id && (message.status === 'sent' || message.status === 'delivered'),
      'the reply typed during the freeze sent',
      { since: thawed, ms: 60_000 },
    )
    expect(await tab.value('session.get', {})).toMatchObject({ status: 'signed-in' })
    expect(theEmbeddedChild()).toBe(pid)
  }, 180_000)
})
