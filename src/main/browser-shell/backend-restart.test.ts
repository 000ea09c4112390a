import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD } from '../../../relay/demo-accounts.ts'
import { readMessageJournal } from '../../../local-backend/twilio/message-journal.ts'
import { theEmbeddedChild } from '../../../test/support/embedded-children.ts'
import {
  isTerminal,
  replyCounts,
  shownStatuses,
  threadStatuses,
  untilShownTerminal,
} from '../../../test/support/reply-outcomes.ts'
import { seededRandom } from '../../../test/support/seeded-random.ts'
import { connectShellClient, exchangeLaunchToken } from '../../../test/support/shell-client.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { createAppCore } from '../core/app-core.ts'
import { twilioJournalFile } from '../embedded-stack/host-messages.ts'
import { launchBrowserShell, type BrowserShell } from './launch.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'

const { logger } = createMemoryLogger('backend-restart-test')
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** `npm run web` as it runs: the browser shell's Platform (no OS key store) on the embedded default in its child process. */
async function webApp(): Promise<{ shell: BrowserShell; userDataDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'backend-restart-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const userDataDir = join(dir, 'user-data')
  const shell = await launchBrowserShell({
    createCore: (platform) => createAppCore(platform, { env: {}, logger, embeddedPort: 0 }),
    userDataDir,
    appVersion: '9.9.9',
    rendererDir: dir,
    logger,
  })
  cleanups.push(() => shell.close())
  return { shell, userDataDir }
}

/** A tab of that app with Cleo signed in and synced; resolves with it, her conversations and the app's data folder. */
async function signedInTab() {
  const { shell, userDataDir } = await webApp()
  const tab = await connectShellClient(shell.origin, await exchangeLaunchToken(shell.url))
  cleanups.push(() => tab.close())
  await tab.value('session.signIn', { email: 'cleo@globex.test', password: DEMO_PASSWORD })
  await tab.waitForEvent(
    'connection.changed',
    (state) => state.status === 'live' && state.lastSyncAt !== null,
    'the first sync',
  )
  // The embedded seed drew Globex's id at random: the app lists Cleo's one workspace.
  const [globex] = await tab.value('workspaces.list', {})
  const { items } = await tab.value('conversations.list', { workspaceId: globex!.id, filter: 'All' })
  return { tab, globex: globex!.id, conversation: items[0]!, conversations: items, userDataDir }
}

describe('npm run web, its embedded backend killed', () => {
  it('keeps the agent signed in, sends the reply typed during the restart and hears customers after it', async () => {
    const { tab, globex, conversation } = await signedInTab()

    const crash = tab.events.mark()
    process.kill(theEmbeddedChild(), 'SIGKILL')
    await tab.waitForEvent('connection.changed', (state) => state.status !== 'live', 'the crash seen', {
      since: crash,
    })
    const reply = await tab.value('messages.send', {
      workspaceId: globex,
      contactId: conversation.id,
      body: 'Typed while the backend restarts',
    })
    expect(reply.status).toBe('queued')

    // Sent means the outbox delivered it to the relay and Twilio's status came back over Realtime.
    await waitForItem(
      tab,
      'messages.upserted',
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
      workspaceId: globex,
      from: '+15557040009',
      body: 'Texted after the restart',
    })
    await waitForItem(
      tab,
      'messages.upserted',
      (message) => message.content === 'Texted after the restart',
      'the inbound SMS over the resubscribed Realtime',
      { since: after },
    )
  }, 180_000)

  it('shows a frozen backend as Reconnecting within 5 s, and Live again once it thaws', async () => {
    const { tab, globex, conversation } = await signedInTab()

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
      workspaceId: globex,
      contactId: conversation.id,
      body: 'Typed while the backend is frozen',
    })

    const thawed = tab.events.mark()
    process.kill(pid, 'SIGCONT')
    await tab.waitForEvent('connection.changed', (state) => state.status === 'live', 'Live again', {
      since: thawed,
      ms: 60_000,
    })
    await waitForItem(
      tab,
      'messages.upserted',
      (message) => message.id === reply.id && (message.status === 'sent' || message.status === 'delivered'),
      'the reply typed during the freeze sent',
      { since: thawed, ms: 60_000 },
    )
    expect(await tab.value('session.get', {})).toMatchObject({ status: 'signed-in' })
    expect(theEmbeddedChild()).toBe(pid)
  }, 180_000)

  it('delivers 240 replies exactly once through SIGKILLs at random points of the storm, the agent signed in', async () => {
    // The hosted relay's one send a second per agent would make this a test of the rate limit.
    process.env.EMBEDDED_RELAY_SENDS_PER_SECOND = '25'
    cleanups.push(() => void delete process.env.EMBEDDED_RELAY_SENDS_PER_SECOND)
    const { tab, globex, conversations, userDataDir } = await signedInTab()
    const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 32))
    const random = seededRandom(seed)
    const replies = 240
    // Kill once this many replies have left the outbox (the relay answered for them): three random points.
    const killAt = [0, 1, 2]
      .map((third) => Math.floor(((third + random()) * replies * 0.8) / 3) + 5)
      .sort((a, b) => a - b)
    console.log(
      `backend kill storm: seed ${seed} (FAULT_SEED replays it), kills after ${killAt.join(', ')} replies`,
    )

    const start = tab.events.mark()
    const run = Math.floor(random() * 1e9).toString(36)
    const sends = Array.from({ length: replies }, (_, index) =>
      tab.value('messages.send', {
        workspaceId: globex,
        contactId: conversations[index % conversations.length]!.id,
        body: `Storm ${run} reply ${index}`,
      }),
    )
    const accepted = await Promise.all(sends)
    const ids = new Set(accepted.map((message) => message.id))
    expect(accepted.every((message) => message.status === 'queued')).toBe(true)

    const shown = shownStatuses(tab.events, ids, start)
    const leftOutbox = () => [...shown().values()].filter((status) => status !== 'queued').length

    for (const threshold of killAt) {
      await waitForItem(
        tab,
        'messages.upserted',
        () => leftOutbox() >= threshold,
        `${threshold} replies sent`,
        {
          since: start,
          ms: 60_000,
        },
      )
      const crash = tab.events.mark()
      process.kill(theEmbeddedChild(), 'SIGKILL')
      await tab.waitForEvent('embedded.changed', (state) => state.status === 'running', 'the restart', {
        since: crash,
        ms: 60_000,
      })
    }
    await untilShownTerminal(tab.events, ids, { since: start, ms: 90_000 })

    const journal = readMessageJournal(twilioJournalFile(join(userDataDir, 'embedded-backend')))
    const statuses = await threadStatuses(
      ids,
      conversations.map((conversation) => conversation.id),
      (contactId) => tab.value('thread.load', { contactId, before: null, limit: 5000 }),
    )
    const counts = replyCounts({
      bodies: accepted.map((message) => message.content),
      atTwilio: journal.map((entry) => String(entry.message.body)),
      statuses,
      ids,
    })
    const stuckAtTwilio = accepted
      .filter((message) => !isTerminal(statuses.get(message.id)))
      .map((message) => ({
        shown: statuses.get(message.id),
        twilio: journal.find((entry) => entry.message.body === message.content) ?? null,
      }))
    console.log(
      `backend kill storm (seed ${seed}): ${replies} replies, ${killAt.length} SIGKILLs; ` +
        `lost ${counts.lost}, duplicated ${counts.duplicated}, stuck ${counts.stuck}; ` +
        `final states in the app ${JSON.stringify(counts.byStatus)}`,
    )
    expect(counts, JSON.stringify(stuckAtTwilio)).toEqual({
      lost: 0,
      duplicated: 0,
      stuck: 0,
      byStatus: { delivered: replies },
    })

    const signedOut = tab.events.all
      .slice(start)
      .filter(
        (e) => e.event === 'session.changed' && (e.payload as { status: string }).status !== 'signed-in',
      )
    expect(signedOut).toEqual([])
    // Still signed in as far as the backend is concerned: one more reply goes all the way through.
    const after = tab.events.mark()
    const last = await tab.value('messages.send', {
      workspaceId: globex,
      contactId: conversations[0]!.id,
      body: `Storm ${run} after`,
    })
    await waitForItem(
      tab,
      'messages.upserted',
      (message) => message.id === last.id && message.status === 'delivered',
      'a reply after the storm delivered',
      { since: after, ms: 30_000 },
    )
  }, 240_000)
})
