import { afterAll, describe, expect, it } from 'vitest'
import type { Conversation, EmbeddedServerState } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  dispatcherFor,
  recordEvents,
  removeTestPlatforms,
  signedInRuntime,
  testPlatform,
  value,
} from '../../../test/support/core-harness.ts'
import { embeddedChildren } from '../../../test/support/embedded-children.ts'
import { alertsCapability } from './alerts-capability.ts'
import { appCapability } from './app-capability.ts'
import { conversationsCapability } from './conversations-capability.ts'
import { createCoreServices } from './core-services.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import { embeddedCapability } from './embedded-capability.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'

const { logger } = createMemoryLogger('embedded-capability-test')

afterAll(removeTestPlatforms)

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

/** Globex Care's id, as the signed-in app lists it: the embedded seed drew it at random. */
function globexOf(runtime: BackendRuntime): string {
  const globex = runtime.workspaces.list().find((w) => w.name === 'Globex Care')
  if (!globex) throw new Error('Globex Care is not among the workspaces')
  return globex.id
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
      const globex = globexOf(await signedInRuntime(services, 'cleo@globex.test'))
      await value(dispatch, 'view.report', { focused: false, openConversationId: null })
      const since = events.mark()
      expect(
        await value(dispatch, 'dev.simulateInbound', {
          workspaceId: globex,
          from: '+15557040001',
          body: 'Hello from the simulator',
        }),
      ).toBeNull()
      await waitForItem(
        events,
        'messages.upserted',
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
          workspaceId: '8d3f6a21-57c4-4e0b-9b1e-d2a4c7f90e36',
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

  it('restarts a crashed embedded server on its port and carries on signed in, stops at the crash limit, and restarts when the agent asks', async () => {
    const { services, dispatch, events } = embeddedCore()
    let globex = ''
    const inbox = async () =>
      (
        await value<{ items: Conversation[] }>(dispatch, 'conversations.list', {
          workspaceId: globex,
          filter: 'All',
        })
      ).items.map((c) => c.id)

    /** Kills the running embedded server; resolves with the state its supervisor settled in. */
    async function crash(): Promise<{ settled: EmbeddedServerState; since: number }> {
      const children = embeddedChildren()
      expect(children).toHaveLength(1)
      const since = events.mark()
      process.kill(children[0]!, 'SIGKILL')
      const settled = await events.waitForEvent(
        'embedded.changed',
        (state) => state.status !== 'restarting',
        'the supervisor settled',
        { since, ms: 90_000 },
      )
      return { settled, since }
    }
    const liveAgain = (since: number) =>
      events.waitForEvent('connection.changed', (c) => c.status === 'live', 'live again', {
        since,
        ms: 60_000,
      })

    try {
      globex = globexOf(await signedInRuntime(services, 'cleo@globex.test'))
      const cached = await inbox()
      expect(cached.length).toBeGreaterThan(0)
      const running = services.runtime.current()

      const first = await crash()
      expect(first.settled).toEqual({ status: 'running' })
      await liveAgain(first.since)
      expect(await services.runtime.sessionState()).toMatchObject({ status: 'signed-in' })
      const since = events.mark()
      await value(dispatch, 'dev.simulateInbound', {
        workspaceId: globex,
        from: '+15557040002',
        body: 'After the restart',
      })
      await waitForItem(events, 'messages.upserted', (m) => m.content === 'After the restart', 'the SMS', {
        since,
      })

      // Two more crashes are restarted; the fourth within five minutes is not.
      for (const attempt of [2, 3]) {
        const restarted = await crash()
        expect(restarted.settled, `crash ${attempt}`).toEqual({ status: 'running' })
        await liveAgain(restarted.since)
      }
      const last = await crash()
      expect(last.settled).toEqual({
        status: 'stopped',
        problem:
          'The embedded server stopped 4 times within 5 minutes, so it was not restarted again. Your cached conversations are still here.',
      })
      expect(await value(dispatch, 'embedded.get', {})).toEqual(last.settled)
      // Nothing replaced the runtime: its session and cache are the same ones, and still readable.
      expect(services.runtime.current()).toBe(running)
      await events.waitForEvent('connection.changed', (c) => c.status !== 'live', 'no longer live', {
        since: last.since,
      })
      expect(embeddedChildren()).toEqual([])
      expect(await inbox()).toEqual(expect.arrayContaining(cached))

      const restart = events.mark()
      expect(await value(dispatch, 'embedded.restart', {})).toEqual({ status: 'running' })
      await liveAgain(restart)
      expect(await services.runtime.sessionState()).toMatchObject({ status: 'signed-in' })
    } finally {
      await services.runtime.dispose()
    }
  }, 400_000)
})
