import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  backendOf,
  recordEvents,
  removeTestPlatforms,
  signedInRuntime,
  testPlatform,
} from '../../../test/support/core-harness.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { createCoreServices } from './core-services.ts'

const { logger } = createMemoryLogger('backend-runtime-test')

afterAll(removeTestPlatforms)

describe('backend runtime against the local backend', () => {
  let stack: RelayStack

  beforeAll(async () => {
    stack = await startRelayStack()
  })

  afterAll(async () => {
    await stack.stop()
  })

  it('follows the host: offline when the network goes, live again after it returns, refreshed on resume', async () => {
    const platform = testPlatform()
    const services = createCoreServices(platform, { backend: backendOf(stack), logger })
    const events = recordEvents(services.events)
    try {
      await signedInRuntime(services, 'ava@acme.test')
      let since = events.mark()
      platform.network(false)
      await events.waitForEvent('connection.changed', (c) => c.status === 'offline', 'offline', { since })
      expect(await services.runtime.connectionState()).toMatchObject({ status: 'offline' })

      since = events.mark()
      platform.network(true)
      platform.resume()
      await events.waitForEvent('connection.changed', (c) => c.status === 'live', 'live again', { since })
      await events.waitForEvent('workspaces.changed', (w) => w.length === 1, 'the workspaces re-read', {
        since,
      })
    } finally {
      await services.runtime.dispose()
    }
  })

  it('starts from the stored session and the cache of the last run, then catches up live', async () => {
    const platform = testPlatform()
    const before = createCoreServices(platform, { backend: backendOf(stack), logger })
    const runtime = await signedInRuntime(before, 'ava@acme.test')
    const cached = runtime.cache.listConversations(stack.demo.acme, 'All').items.map((c) => c.id)
    expect(cached.length).toBeGreaterThan(0)
    await before.runtime.dispose()

    const after = createCoreServices(platform, { backend: backendOf(stack), logger })
    const events = recordEvents(after.events)
    try {
      const restarted = (await after.runtime.current())!
      expect(restarted.session.state()).toMatchObject({
        status: 'signed-in',
        user: { email: 'ava@acme.test' },
      })
      // Before the network answers, the inbox is already what the last run cached.
      expect(restarted.workspaces.list().map((w) => w.id)).toEqual([stack.demo.acme])
      expect(restarted.cache.listConversations(stack.demo.acme, 'All').items.map((c) => c.id)).toEqual(cached)
      await events.waitForEvent('connection.changed', (c) => c.status === 'live', 'live')
      await events.waitForEvent('workspaces.changed', (w) => w.length === 1, 'the workspaces re-read')
    } finally {
      await after.runtime.dispose()
    }
  })
})
