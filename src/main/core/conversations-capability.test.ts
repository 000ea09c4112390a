import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import type { Conversation } from '../../shared/domain.ts'
import {
  coreAgainstStack,
  customerTexts,
  removeTestPlatforms,
  signedInRuntime,
  value,
} from '../../../test/support/core-harness.ts'
import { conversationsCapability } from './conversations-capability.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'

afterAll(removeTestPlatforms)

type Page = { items: Conversation[]; counts: { All: number }; hasMore: boolean }

describe('conversations capability against the local backend', () => {
  let contact: TestContact
  const core = coreAgainstStack({
    capabilities: (services) => [conversationsCapability(services)],
    prepare: async (stack) => {
      contact = await ensureContact(stack.service, stack.demo.acme, '+15557030001', 'Core Tester')
    },
  })
  beforeAll(core.start)
  afterAll(core.stop)

  const serverUnread = async () => {
    const { data } = await core.stack.service
      .from('contacts')
      .select('unread_count')
      .eq('id', contact.id)
      .single()
    return (data as { unread_count: number }).unread_count
  }

  /** Marks the contact's conversation; resolves with the row the renderer is sent, and where its events began. */
  async function act(channel: 'conversations.markRead' | 'conversations.markUnread') {
    const since = core.events.mark()
    expect(await value(core.dispatch, channel, { contactId: contact.id })).toBeNull()
    const row = await waitForItem(
      core.events,
      'conversations.upserted',
      (c) => c.id === contact.id,
      channel,
      {
        since,
      },
    )
    return { row, since }
  }

  it('refuses the inbox until an agent signs in', async () => {
    expect(
      await core.dispatch('conversations.list', { workspaceId: core.stack.demo.acme, filter: 'All' }),
    ).toEqual({
      ok: false,
      error: { kind: 'unauthorized', message: 'Please sign in first.' },
    })
  })

  it('serves the inbox from the cache in pages with the same order and counts', async () => {
    await signedInRuntime(core.services, 'ava@acme.test')
    const list = await value<Page>(core.dispatch, 'conversations.list', {
      workspaceId: core.stack.demo.acme,
      filter: 'All',
    })
    expect(list.items.some((c) => c.id === contact.id)).toBe(true)
    expect(list.counts.All).toBe(list.items.length)
    // The renderer paints a first page and fetches the rest after it.
    const first = await value<Page>(core.dispatch, 'conversations.list', {
      workspaceId: core.stack.demo.acme,
      filter: 'All',
      limit: 2,
    })
    expect(first).toMatchObject({ hasMore: true, counts: list.counts })
    const last = first.items.at(-1)!
    const rest = await value<Page>(core.dispatch, 'conversations.list', {
      workspaceId: core.stack.demo.acme,
      filter: 'All',
      limit: 10_000,
      after: { lastMessageAt: last.lastMessageAt, id: last.id },
    })
    expect(rest.hasMore).toBe(false)
    expect([...first.items, ...rest.items].map((c) => c.id)).toEqual(list.items.map((c) => c.id))
    expect(
      await core.dispatch('conversations.list', {
        workspaceId: core.stack.demo.acme,
        filter: 'All',
        limit: 0,
      }),
    ).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(
      await core.dispatch('conversations.list', {
        workspaceId: core.stack.demo.acme,
        filter: 'All',
        after: { lastMessageAt: null, id: 'x' },
      }),
    ).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(
      await core.dispatch('conversations.list', { workspaceId: core.stack.demo.globex, filter: 'All' }),
    ).toEqual({
      ok: false,
      error: { kind: 'forbidden', message: 'You are not a member of this workspace.' },
    })
  })

  it('finds a synced message by its words, only in workspaces the agent belongs to', async () => {
    await customerTexts(core, contact.phone_number, 'Is the zebra-striped case back in stock?')
    const hits = await value<{ field: string; conversation: { id: string } }[]>(
      core.dispatch,
      'conversations.search',
      {
        query: 'zebra',
        workspaceId: null,
        limit: 10,
      },
    )
    expect(hits).toEqual([
      expect.objectContaining({
        field: 'message',
        conversation: expect.objectContaining({ id: contact.id }),
      }),
    ])
    expect(
      await core.dispatch('conversations.search', {
        query: 'zebra',
        workspaceId: core.stack.demo.globex,
        limit: 10,
      }),
    ).toMatchObject({ ok: false, error: { kind: 'forbidden' } })
  })

  it('marks read and unread on the server, with the list and badge following at once', async () => {
    const unread = await serverUnread()
    expect(unread).toBeGreaterThan(0)
    // The badge is published right after the row that changed it, so it is current once the row is.
    await waitForItem(
      core.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.unreadCount === unread,
      'the cached unread count',
    )
    const badgeBefore = core.platform.badges.all.at(-1)!.total
    const read = await act('conversations.markRead')
    expect(read.row.unreadCount).toBe(0)
    const badge = await core.events.waitForEvent('badge.changed', () => true, 'the badge', {
      since: read.since,
    })
    expect(badge.total).toBe(badgeBefore - unread)
    expect(await serverUnread()).toBe(0)

    expect((await act('conversations.markUnread')).row.unreadCount).toBe(1)
    expect(await serverUnread()).toBe(1)
  })

  it('sets the status on the server and in the cache', async () => {
    const since = core.events.mark()
    const done = await value<Conversation>(core.dispatch, 'conversations.setStatus', {
      contactId: contact.id,
      status: 'Done',
    })
    expect(done.status).toBe('Done')
    expect(
      (
        await waitForItem(core.events, 'conversations.upserted', (c) => c.id === contact.id, 'the row', {
          since,
        })
      ).status,
    ).toBe('Done')
    const { data } = await core.stack.service
      .from('contacts')
      .select('conversation_status')
      .eq('id', contact.id)
      .single()
    expect(data).toEqual({ conversation_status: 'Done' })
    const runtime = (await core.services.runtime.current())!
    expect(runtime.cache.getConversation(contact.id)?.status).toBe('Done')
    expect(
      await core.dispatch('conversations.setStatus', { contactId: crypto.randomUUID(), status: 'Open' }),
    ).toEqual({ ok: false, error: { kind: 'not_found', message: 'This conversation is not in your inbox.' } })
  })
})

describe('searching a number as a UK workspace’s agents dial it', () => {
  let contact: TestContact
  const core = coreAgainstStack({
    capabilities: (services) => [conversationsCapability(services)],
    prepare: async (stack) => {
      // Acme's oldest number decides its home region: a London one makes it a UK workspace.
      await stack.service
        .from('twilio_numbers')
        .insert({
          workspace_id: stack.demo.acme,
          phone_number: '+442079460123',
          twilio_sid: 'PN0123456789abcdef0123456789abcd44',
          created_at: '2020-01-01T00:00:00Z',
        })
        .throwOnError()
      contact = await ensureContact(stack.service, stack.demo.acme, '+447700900123', 'Olivia Hart')
    },
    signIn: 'ben@acme.test',
  })
  beforeAll(core.start)
  afterAll(core.stop)

  const search = (query: string) =>
    value<{ field: string; conversation: { id: string } }[]>(core.dispatch, 'conversations.search', {
      query,
      workspaceId: core.stack.demo.acme,
      limit: 10,
    })

  it('finds the customer by the national number with its trunk 0, whole or begun, and by +44', async () => {
    for (const query of ['07700 900123', '07700 90012', '+44 7700 900123', '7700900123']) {
      expect(await search(query), query).toEqual([
        expect.objectContaining({
          field: 'phone',
          conversation: expect.objectContaining({ id: contact.id }),
        }),
      ])
    }
  })
})
