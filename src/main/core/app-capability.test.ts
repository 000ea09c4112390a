import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  dispatcherFor,
  removeTestPlatforms,
  testPlatform,
  value,
} from '../../../test/support/core-harness.ts'
import { appCapability } from './app-capability.ts'
import { createCoreServices } from './core-services.ts'

const { logger } = createMemoryLogger('app-capability-test')

afterAll(removeTestPlatforms)

describe('app capability', () => {
  it('names the version and a configured backend, offering no demo accounts for it', async () => {
    const backend = {
      mode: 'custom' as const,
      supabaseUrl: 'http://127.0.0.1:9',
      publishableKey: 'an-anon-key-that-is-long-enough',
      relayUrl: 'http://127.0.0.1:9/functions/v1/sms-relay',
    }
    const services = createCoreServices(testPlatform(), { backend, logger })
    const dispatch = dispatcherFor(services, appCapability(services))
    try {
      expect(await value(dispatch, 'app.info', {})).toEqual({
        version: '9.9.9',
        embedded: false,
        demoAccounts: [],
      })
    } finally {
      await services.runtime.dispose()
    }
  })

  it('opens only http(s) links in the OS browser', async () => {
    const platform = testPlatform()
    const services = createCoreServices(platform, { env: { SUPABASE_URL: 'not a url' }, logger })
    const dispatch = dispatcherFor(services, appCapability(services))
    try {
      expect(await value(dispatch, 'shell.openExternal', { url: 'https://example.com/docs' })).toBeNull()
      for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
        expect(await dispatch('shell.openExternal', { url })).toMatchObject({
          ok: false,
          error: { kind: 'invalid_input' },
        })
      }
      expect(platform.opened).toEqual(['https://example.com/docs'])
    } finally {
      await services.runtime.dispose()
    }
  })
})
