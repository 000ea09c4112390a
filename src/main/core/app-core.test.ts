import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import { requestChannels } from '../../shared/contract.ts'
import type { Message } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  backendOf,
  recordEvents,
  removeTestPlatforms,
  testPlatform,
  value,
  type EventRecorder,
} from '../../../test/support/core-harness.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { createAppCore, type AppCore } from './app-core.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'

const { logger } = createMemoryLogger('app-core-test')

afterAll(removeTestPlatforms)

describe('app core: every capability behind one dispatcher', () => {
  it('answers every channel of the contract', async () => {
    const core = createAppCore(testPlatform(), { env: { SUPABASE_URL: 'not a url' }, logger })
    try {
      for (const channel of requestChannels) {
        const reply = await core.dispatch(channel, {})
        expect(reply.ok || reply.error.message, channel).not.toBe('Unknown request channel.')
      }
      expect(await core.dispatch('nope', {})).toEqual({
        ok: false,
        error: { kind: 'invalid_input', message: 'Unknown request channel.' },
      })
    } finally {
      await core.dispose()
    }
  })

  it('stops answering and sending events once disposed', async () => {
    const core = createAppCore(testPlatform(), { env: { SUPABASE_URL: 'not a url' }, logger })
    const events = recordEvents(core)
    await core.dispose()
    expect(await core.dispatch('session.get', {})).toEqual({
      ok: false,
      error: { kind: 'offline', message: 'The app is shutting down.' },
    })
    core.notificationClicked({ workspaceId: '5f0c2e7a-93d1-4b8e-a6f4-2c71d9e0b3a5', contactId: null })
    expect(events.all).toEqual([])
  })
})

describe('app core against the local backend, relay and Twilio double', () => {
  let stack: RelayStack
  let core: AppCore
  let events: EventRecorder
  let contact: TestContact

  beforeAll(async () => {
    stack = await startRelayStack()
    contact = await ensureContact(stack.service, stack.demo.acme, '+15557090001', 'Core Tester')
    core = createAppCore(testPlatform(), { backend: backendOf(stack), logger })
    events = recordEvents(core)
  })

  afterAll(async () => {
    await core.dispose()
    await stack.stop()
  })

  it('signs in, lists the inbox and sends a reply, as the renderer does', async () => {
    expect(await core.dispatch('workspaces.list', {})).toMatchObject({
      ok: false,
      error: { kind: 'unauthorized' },
    })
    const signIn = events.mark()
    await value(core.dispatch, 'session.signIn', { email: 'ava@acme.test', password: 'inbox-demo-1' })
    await events.waitForEvent('connection.changed', (c) => c.status === 'live', 'live', { since: signIn })
    const list = await value<{ items: { id: string }[] }>(core.dispatch, 'conversations.list', {
      workspaceId: stack.demo.acme,
      filter: 'All',
    })
    expect(list.items.map((c) => c.id)).toContain(contact.id)
    const since = events.mark()
    const sent = await value<Message>(core.dispatch, 'messages.send', {
      workspaceId: stack.demo.acme,
      contactId: contact.id,
      body: 'On its way.',
    })
    await waitForItem(
      events,
      'messages.upserted',
      (m) => m.id === sent.id && m.status !== 'queued',
      'the relay',
      {
        since,
      },
    )
  })

  it('opens the conversation of a clicked notification', () => {
    const since = events.mark()
    core.notificationClicked({ workspaceId: stack.demo.acme, contactId: contact.id })
    expect(events.all.slice(since)).toEqual([
      { event: 'navigation.open', payload: { workspaceId: stack.demo.acme, contactId: contact.id } },
    ])
  })
})
