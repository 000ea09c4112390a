import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact } from '../../../relay/demo-accounts.ts'
import type { BackendSettings, Settings } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  backendOf,
  dispatcherFor,
  recordEvents,
  removeTestPlatforms,
  signedInRuntime,
  testPlatform,
  value,
} from '../../../test/support/core-harness.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { createCoreServices } from './core-services.ts'
import { saveSettings } from './settings.ts'
import { settingsCapability } from './settings-capability.ts'

const { logger } = createMemoryLogger('settings-capability-test')

afterAll(removeTestPlatforms)

const unreachable: BackendSettings = {
  mode: 'custom',
  supabaseUrl: 'http://127.0.0.1:9',
  publishableKey: 'an-anon-key-that-is-long-enough',
  relayUrl: 'http://127.0.0.1:9/functions/v1/sms-relay',
}

describe('settings capability', () => {
  it('keeps the cache retention the agent chooses, within bounds, in the settings file', async () => {
    const platform = testPlatform()
    const services = createCoreServices(platform, { env: { SUPABASE_URL: 'not a url' }, logger })
    const dispatch = dispatcherFor(services, settingsCapability(services))
    try {
      expect(await value(dispatch, 'settings.get', {})).toMatchObject({ cacheRetentionDays: 90 })
      const chosen = { backend: { mode: 'embedded' }, notifications: {}, cacheRetentionDays: 365 }
      expect(await value(dispatch, 'settings.update', chosen)).toEqual(chosen)
      const file = JSON.parse(readFileSync(join(platform.userDataDir, 'settings.json'), 'utf8')) as unknown
      expect(file).toMatchObject({ cacheRetentionDays: 365 })
      expect(await dispatch('settings.update', { ...chosen, cacheRetentionDays: 3 })).toMatchObject({
        ok: false,
        error: { kind: 'invalid_input' },
      })
      expect(
        await dispatch('settings.update', {
          backend: { mode: 'custom', supabaseUrl: 'ftp://x' },
          notifications: {},
        }),
      ).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
      expect(await value(dispatch, 'settings.get', {})).toMatchObject({ cacheRetentionDays: 365 })
    } finally {
      await services.runtime.dispose()
    }
  })
})

describe('settings capability against the local backend', () => {
  let stack: RelayStack

  beforeAll(async () => {
    stack = await startRelayStack()
  })

  afterAll(async () => {
    await stack.stop()
  })

  /** A core whose settings file names the stack, as an agent who configured it would have. */
  function configuredCore(settings: Partial<Settings> = {}) {
    const platform = testPlatform()
    mkdirSync(platform.userDataDir, { recursive: true })
    saveSettings(join(platform.userDataDir, 'settings.json'), {
      backend: backendOf(stack),
      notifications: {},
      cacheRetentionDays: 90,
      ...settings,
    })
    const services = createCoreServices(platform, { env: {}, logger })
    return { services, dispatch: dispatcherFor(services, settingsCapability(services)) }
  }

  it('trims the running cache at once when the agent shortens the retention', async () => {
    const contact = await ensureContact(stack.service, stack.demo.acme, '+15557080001')
    const { error } = await stack.service.from('messages').insert({
      workspace_id: stack.demo.acme,
      contact_id: contact.id,
      direction: 'outbound',
      content: 'two months ago',
      status: 'delivered',
      created_by: stack.demo.ava,
      created_at: new Date(Date.now() - 60 * 86_400_000).toISOString(),
    })
    expect(error).toBeNull()
    const { services, dispatch } = configuredCore()
    try {
      const runtime = await signedInRuntime(services, 'ava@acme.test')
      const cached = () => runtime.cache.thread(contact.id, null, 50).messages.map((m) => m.content)
      expect(cached()).toEqual(['two months ago'])
      const settings = await value<Settings>(dispatch, 'settings.get', {})
      await value(dispatch, 'settings.update', { ...settings, cacheRetentionDays: 30 })
      expect(cached()).toEqual([])
      expect(await services.runtime.current()).toBe(runtime)
    } finally {
      await services.runtime.dispose()
    }
  })

  it('restarts the services against a new backend, each backend keeping its own session', async () => {
    const { services, dispatch } = configuredCore()
    const events = recordEvents(services.events)
    try {
      const first = await signedInRuntime(services, 'ava@acme.test')
      const settings = await value<Settings>(dispatch, 'settings.get', {})

      let since = events.mark()
      expect(await value(dispatch, 'settings.update', { ...settings, backend: unreachable })).toEqual({
        ...settings,
        backend: unreachable,
      })
      expect(services.runtime.backend()).toEqual(unreachable)
      expect(await services.runtime.current()).not.toBe(first)
      // The update answers once the renderer has been told: signed out, and offline, on the new backend.
      const told = (event: string) =>
        events.all
          .slice(since)
          .filter((e) => e.event === event)
          .at(-1)?.payload
      expect(told('session.changed')).toEqual({ status: 'signed-out', reason: null })
      expect(told('connection.changed')).toMatchObject({ status: 'offline' })

      since = events.mark()
      await value(dispatch, 'settings.update', settings)
      expect(services.runtime.backend()).toEqual(backendOf(stack))
      expect(
        await events.waitForEvent('session.changed', (s) => s.status === 'signed-in', 'the stored session', {
          since,
        }),
      ).toMatchObject({ user: { email: 'ava@acme.test' } })
      await events.waitForEvent('workspaces.changed', (w) => w.length > 0, 'its workspaces', { since })
    } finally {
      await services.runtime.dispose()
    }
  })

  it('saves a backend but keeps the one the embedding code fixed', async () => {
    const services = createCoreServices(testPlatform(), { backend: backendOf(stack), logger })
    const dispatch = dispatcherFor(services, settingsCapability(services))
    try {
      const running = await services.runtime.current()
      const settings = await value<Settings>(dispatch, 'settings.get', {})
      expect(await value(dispatch, 'settings.update', { ...settings, backend: unreachable })).toMatchObject({
        backend: unreachable,
      })
      expect(await services.runtime.current()).toBe(running)
      expect(services.runtime.backend()).toEqual(backendOf(stack))
    } finally {
      await services.runtime.dispose()
    }
  })
})
