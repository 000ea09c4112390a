import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../../logging/logger.ts'
import type { Badge, SessionState, Workspace } from '../../shared/domain.ts'
import {
  coreAgainstStack,
  dispatcherFor,
  removeTestPlatforms,
  testPlatform,
  value,
} from '../../../test/support/core-harness.ts'
import { createCoreServices } from './core-services.ts'
import { sessionCapability } from './session-capability.ts'

const { logger } = createMemoryLogger('session-capability-test')

afterAll(removeTestPlatforms)

describe('session capability against the local backend', () => {
  const core = coreAgainstStack({ capabilities: (services) => [sessionCapability(services)] })
  beforeAll(core.start)
  afterAll(core.stop)

  it('starts signed out, offline, and refuses a wrong password', async () => {
    expect(await value(core.dispatch, 'session.get', {})).toEqual({ status: 'signed-out', reason: null })
    expect(await value(core.dispatch, 'connection.get', {})).toMatchObject({ status: 'offline' })
    expect(await core.dispatch('session.signIn', { email: 'ava@acme.test', password: 'nope' })).toEqual({
      ok: false,
      error: { kind: 'unauthorized', message: 'Wrong email or password.' },
    })
    expect(await core.services.access.signedIn()).toEqual({
      ok: false,
      error: { kind: 'unauthorized', message: 'Please sign in first.' },
    })
  })

  it('signs in with the session stored encrypted, loads the workspaces and goes live', async () => {
    const since = core.events.mark()
    const state = await value<SessionState>(core.dispatch, 'session.signIn', {
      email: 'ava@acme.test',
      password: 'inbox-demo-1',
    })
    expect(state).toMatchObject({
      status: 'signed-in',
      persistence: 'encrypted',
      user: { email: 'ava@acme.test' },
    })
    const workspaces = await core.events.waitForEvent('workspaces.changed', () => true, 'the workspaces', {
      since,
    })
    expect(workspaces.map((w: Workspace) => w.name)).toEqual(['Acme Support'])
    await core.events.waitForEvent('connection.changed', (c) => c.status === 'live', 'live sync', { since })
    expect(await value(core.dispatch, 'connection.get', {})).toMatchObject({ status: 'live' })
    expect(await value(core.dispatch, 'session.get', {})).toMatchObject({ status: 'signed-in' })
  })

  it('signs out, emptying the cache, the workspaces and the badge', async () => {
    const runtime = (await core.services.runtime.current())!
    expect(runtime.cache.listWorkspaces()).not.toEqual([])
    expect(runtime.cache.listConversations(core.stack.demo.acme, 'All').items).not.toEqual([])
    const since = core.events.mark()
    expect(await value(core.dispatch, 'session.signOut', {})).toEqual({ status: 'signed-out', reason: null })
    expect(runtime.cache.listWorkspaces()).toEqual([])
    expect(runtime.cache.listConversations(core.stack.demo.acme, 'All').items).toEqual([])
    expect(
      await core.events.waitForEvent('workspaces.changed', (w) => w.length === 0, 'no workspaces', { since }),
    ).toEqual([])
    const badge: Badge = await core.events.waitForEvent('badge.changed', () => true, 'the badge', { since })
    expect(badge).toEqual({ total: 0, perWorkspace: {} })
    expect(await core.services.access.signedIn()).toMatchObject({
      ok: false,
      error: { kind: 'unauthorized' },
    })
    expect(await value(core.dispatch, 'connection.get', {})).toMatchObject({ status: 'offline' })
  })
})

describe('session capability without a usable backend', () => {
  it('names a malformed environment configuration instead of silently using another backend', async () => {
    const services = createCoreServices(testPlatform(), { env: { SUPABASE_URL: 'not a url' }, logger })
    const dispatch = dispatcherFor(services, sessionCapability(services))
    try {
      expect(await value(dispatch, 'session.get', {})).toEqual({
        status: 'signed-out',
        reason: 'SUPABASE_URL is not valid: Invalid URL',
      })
      expect(await dispatch('session.signIn', { email: 'ava@acme.test', password: 'x' })).toEqual({
        ok: false,
        error: { kind: 'not_configured', message: 'SUPABASE_URL is not valid: Invalid URL' },
      })
      expect(await value(dispatch, 'session.signOut', {})).toEqual({
        status: 'signed-out',
        reason: 'SUPABASE_URL is not valid: Invalid URL',
      })
    } finally {
      await services.runtime.dispose()
    }
  })
})
