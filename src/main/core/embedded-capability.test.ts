import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { GLOBEX } from '../../../relay/demo-accounts.ts'
import type { Conversation } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  dispatcherFor,
  recordEvents,
  removeTestPlatforms,
  signedInRuntime,
  testPlatform,
  value,
} from '../../../test/support/core-harness.ts'
import { happenings } from '../../../test/support/happenings.ts'
import { alertsCapability } from './alerts-capability.ts'
import { appCapability } from './app-capability.ts'
import { conversationsCapability } from './conversations-capability.ts'
import { createCoreServices } from './core-services.ts'
import { embeddedCapability, type EmbeddedExitDecision } from './embedded-capability.ts'

const { logger } = createMemoryLogger('embedded-capability-test')

afterAll(removeTestPlatforms)

/** This test process's children running the embedded stack (Linux `ps`). */
function embeddedChildren(): number[] {
  const listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
  return listing
    .split('\n')
    .filter((line) => line.includes('embedded-stack'))
    .map((line) => Number.parseInt(line.trim(), 10))
}

/** The embedded default: no backend configured anywhere. */
function embeddedCore() {
  const platform = testPlatform()
  const services = createCoreServices(platform, { env: {}, logger, embeddedPort: 0 })
  const dispatch = dispatcherFor(
    services,
    embeddedCapability(services),
    appCapability(services),
    alertsCapability(services),
    conversationsCapability(services),
  )
  return { platform, services, dispatch, events: recordEvents(services.events) }
}

describe('embedded backend capability', () => {
  it('starts the embedded stack in a child process, offers demo accounts and simulates an inbound SMS', async () => {
    const { platform, services, dispatch, events } = embeddedCore()
    try {
      const info = await value<{ embedded: boolean; demoAccounts: { email: string }[] }>(
        dispatch,
        'app.info',
        {},
      )
      expect(info.embedded).toBe(true)
      expect(info.demoAccounts.map((a) => a.email)).toEqual([
        'ava@acme.test',
        'ben@acme.test',
        'cleo@globex.test',
      ])
      expect(embeddedChildren()).toHaveLength(1)
      await signedInRuntime(services, 'cleo@globex.test')
      await value(dispatch, 'view.report', { focused: false, openConversationId: null })
      const since = events.mark()
      expect(
        await value(dispatch, 'dev.simulateInbound', {
          workspaceId: GLOBEX.workspaceId,
          from: '+15557040001',
          body: 'Hello from the simulator',
        }),
      ).toBeNull()
      await events.waitForEvent(
        'message.upserted',
        (m) => m.content === 'Hello from the simulator',
        'the SMS',
        {
          since,
        },
      )
      await platform.notifications.waitFor((n) => n.body === 'Hello from the simulator', 'its notification')
    } finally {
      await services.runtime.dispose()
    }
    expect(embeddedChildren()).toEqual([])
  }, 120_000)

  it('offers no simulator without the embedded server', async () => {
    const services = createCoreServices(testPlatform(), { env: { SUPABASE_URL: 'not a url' }, logger })
    const dispatch = dispatcherFor(services, embeddedCapability(services))
    try {
      expect(
        await dispatch('dev.simulateInbound', {
          workspaceId: GLOBEX.workspaceId,
          from: '+15551112222',
          body: 'x',
        }),
      ).toEqual({
        ok: false,
        error: {
          kind: 'not_configured',
          message: 'Simulating an SMS is only available with the embedded server.',
        },
      })
    } finally {
      await services.runtime.dispose()
    }
  })

  it('restarts a crashed embedded server and carries on signed in, then gives up on a crash loop with the cache still readable', async () => {
    const { services, dispatch, events } = embeddedCore()
    const decisions = happenings<EmbeddedExitDecision>()
    services.embedded.onExitDecided((decision) => decisions.push(decision))
    const inbox = async () =>
      (
        await value<{ items: Conversation[] }>(dispatch, 'conversations.list', {
          workspaceId: GLOBEX.workspaceId,
          filter: 'All',
        })
      ).items.map((c) => c.id)

    /** Kills the running embedded server; resolves with what the supervisor decided about it. */
    async function crash(): Promise<{ decision: EmbeddedExitDecision; since: number }> {
      const children = embeddedChildren()
      expect(children).toHaveLength(1)
      const since = events.mark()
      const next = decisions.mark()
      process.kill(children[0]!, 'SIGKILL')
      return { decision: await decisions.waitFor(() => true, 'the exit decision', { since: next }), since }
    }
    const liveAgain = (since: number) =>
      events.waitForEvent('connection.changed', (c) => c.status === 'live', 'live again', {
        since,
        ms: 60_000,
      })

    try {
      await signedInRuntime(services, 'cleo@globex.test')
      const cached = await inbox()
      expect(cached.length).toBeGreaterThan(0)

      const first = await crash()
      expect(first.decision).toBe('restart')
      await liveAgain(first.since)
      expect(await services.runtime.sessionState()).toMatchObject({ status: 'signed-in' })
      const since = events.mark()
      await value(dispatch, 'dev.simulateInbound', {
        workspaceId: GLOBEX.workspaceId,
        from: '+15557040002',
        body: 'After the restart',
      })
      await events.waitForEvent('message.upserted', (m) => m.content === 'After the restart', 'the SMS', {
        since,
      })

      // Two more crashes are restarted; the fourth within five minutes is not.
      for (const attempt of [2, 3]) {
        const restarted = await crash()
        expect(restarted.decision, `crash ${attempt}`).toBe('restart')
        await liveAgain(restarted.since)
      }
      const running = services.runtime.current()
      const last = await crash()
      expect(last.decision).toBe('give-up')
      // Nothing replaces the runtime: the slot still holds the one whose server died.
      expect(services.runtime.current()).toBe(running)
      expect(services.runtime.problem()).toBe(
        'The embedded server keeps stopping. Restart the app to bring it back.',
      )
      expect(
        await events.waitForEvent('connection.changed', (c) => c.status === 'offline', 'offline', {
          since: last.since,
        }),
      ).toMatchObject({ status: 'offline' })
      // The exit was handled, and the child reaped, before the decision.
      expect(embeddedChildren()).toEqual([])
      expect(await inbox()).toEqual(expect.arrayContaining(cached))
    } finally {
      await services.runtime.dispose()
    }
  }, 300_000)
})
