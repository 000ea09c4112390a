import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import type { Message } from '../../shared/domain.ts'
import { coreAgainstStack, removeTestPlatforms, value } from '../../../test/support/core-harness.ts'
import type { RelayStack } from '../../../test/support/relay-stack.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import { messagesCapability } from './messages-capability.ts'
import { itemsOf, waitForItem } from '../../../test/support/batch-events.ts'

afterAll(removeTestPlatforms)

type Thread = { messages: Message[]; hasMore: boolean }

/** Delivered replies written straight to the server, `daysAgo` each; their ids, oldest first. */
async function daysOldReplies(stack: RelayStack, contact: TestContact, daysAgo: number[]): Promise<string[]> {
  const { data, error } = await stack.service
    .from('messages')
    .insert(
      daysAgo.map((days, i) => ({
        workspace_id: stack.demo.acme,
        contact_id: contact.id,
        direction: 'outbound',
        content: `history ${i}`,
        status: 'delivered',
        created_by: stack.demo.ava,
        created_at: new Date(Date.now() - days * 86_400_000).toISOString(),
      })),
    )
    .select('id, created_at')
    .order('created_at', { ascending: true })
  if (error) throw new Error(error.message)
  return (data as { id: string }[]).map((row) => row.id)
}

describe('messages capability against the local backend, relay and Twilio double', () => {
  let contact: TestContact
  let invalidNumber: TestContact
  let historyContact: TestContact
  /** Replies sent days ago to `historyContact`, oldest first. */
  let history: string[]
  let runtime: BackendRuntime
  const core = coreAgainstStack({
    capabilities: (services) => [messagesCapability(services)],
    prepare: async (stack) => {
      contact = await ensureContact(stack.service, stack.demo.acme, '+15557050001', 'Thread Tester')
      // Twilio refuses its magic invalid number: the relay stores the message failed.
      invalidNumber = await ensureContact(stack.service, stack.demo.acme, '+15005550001')
      historyContact = await ensureContact(stack.service, stack.demo.acme, '+15557050002', 'History Tester')
      history = await daysOldReplies(stack, historyContact, [3, 2.5, 2])
    },
    signIn: 'ava@acme.test',
  })
  beforeAll(core.start)
  afterAll(core.stop)

  beforeAll(async () => {
    runtime = (await core.services.runtime.current())!
  })

  const send = (contactId: string, body: string) =>
    value<Message>(core.dispatch, 'messages.send', { workspaceId: core.stack.demo.acme, contactId, body })
  const twilioBodiesTo = (phone: string) =>
    core.stack.double.requests.filter((r) => r.path.endsWith('/Messages.json') && r.params.To === phone)

  it('refuses a send outside the workspaces and conversations of the agent', async () => {
    expect(
      await core.dispatch('messages.send', {
        workspaceId: core.stack.demo.globex,
        contactId: contact.id,
        body: 'x',
      }),
    ).toEqual({ ok: false, error: { kind: 'forbidden', message: 'You are not a member of this workspace.' } })
    expect(
      await core.dispatch('messages.send', {
        workspaceId: core.stack.demo.acme,
        contactId: crypto.randomUUID(),
        body: 'x',
      }),
    ).toEqual({
      ok: false,
      error: { kind: 'not_found', message: 'This conversation is not in that workspace.' },
    })
  })

  it('sends through the outbox, and the bubble follows the relay and Twilio', async () => {
    const since = core.events.mark()
    const sent = await send(contact.id, 'It ships Monday.')
    expect(sent.status).toBe('queued')
    expect(
      await waitForItem(core.events, 'messages.upserted', (m) => m.id === sent.id, 'the queued bubble', {
        since,
      }),
    ).toMatchObject({ status: 'queued' })
    // Sync may echo the relay's pending row before the relay has answered; the outbox is done when it drains.
    await runtime.outbox.drained()
    const accepted = await waitForItem(
      core.events,
      'messages.upserted',
      (m) => m.id === sent.id && m.status !== 'queued',
      'the relay to accept it',
      { since },
    )
    expect(accepted.status).toMatch(/pending|sent|delivered/)
    expect(runtime.cache.getMessage(sent.id)?.status).toMatch(/pending|sent|delivered/)
    expect(twilioBodiesTo(contact.phone_number).map((r) => r.params.Body)).toEqual(['It ships Monday.'])
    const thread = await value<Thread>(core.dispatch, 'thread.load', {
      contactId: contact.id,
      before: null,
      limit: 50,
    })
    expect(thread.messages.filter((m) => m.id === sent.id)).toHaveLength(1)
  })

  it('loads history the cache no longer keeps from the server, a page at a time, caching it on the way', async () => {
    const cachedIds = runtime.cache.thread(historyContact.id, null, 50).messages.map((m) => m.id)
    expect(cachedIds).toEqual(history)
    // A one-day retention drops the days-old replies from the cache; the server still has them.
    runtime.cache.applyRetention({ keepDays: 1 })
    expect(runtime.cache.thread(historyContact.id, null, 50).messages).toEqual([])
    const newest = await value<Thread>(core.dispatch, 'thread.load', {
      contactId: historyContact.id,
      before: null,
      limit: 2,
    })
    expect(newest.messages.map((m) => m.id)).toEqual(history.slice(1))
    expect(newest.hasMore).toBe(true)
    const older = await value<Thread>(core.dispatch, 'thread.load', {
      contactId: historyContact.id,
      before: newest.messages[0]!.createdAt,
      limit: 2,
    })
    expect(older).toMatchObject({ messages: [expect.objectContaining({ id: history[0] })], hasMore: false })
    expect(runtime.cache.thread(historyContact.id, null, 50).messages.map((m) => m.id)).toEqual(history)
  })

  it('retries a failed send on request, and only a failed one', async () => {
    let since = core.events.mark()
    const refused = await send(invalidNumber.id, 'to nowhere')
    await runtime.outbox.drained()
    const failed = await waitForItem(
      core.events,
      'messages.upserted',
      (m) => m.id === refused.id && m.status === 'failed',
      'Twilio to refuse it',
      { since },
    )
    expect(failed.errorCode).toBe('21211')
    const attempts = twilioBodiesTo(invalidNumber.phone_number).length

    since = core.events.mark()
    expect(await value<Message>(core.dispatch, 'messages.retry', { messageId: refused.id })).toMatchObject({
      id: refused.id,
      status: 'queued',
    })
    await runtime.outbox.drained()
    const bubble = itemsOf(core.events.all.slice(since), 'messages.upserted').filter(
      (m) => m.id === refused.id,
    )
    // Queued at once; sync may echo the relay's pending row in between; failed once Twilio refuses again.
    expect(bubble[0]?.status).toBe('queued')
    expect(bubble.map((m) => m.status)).toContain('failed')
    expect(runtime.cache.getMessage(refused.id)?.status).toBe('failed')
    expect(twilioBodiesTo(invalidNumber.phone_number)).toHaveLength(attempts + 1)

    const delivered = (
      await value<Thread>(core.dispatch, 'thread.load', { contactId: contact.id, before: null, limit: 50 })
    ).messages[0]!
    expect(await core.dispatch('messages.retry', { messageId: delivered.id })).toEqual({
      ok: false,
      error: { kind: 'conflict', message: 'Only a failed message can be retried.' },
    })
    expect(await core.dispatch('messages.retry', { messageId: crypto.randomUUID() })).toEqual({
      ok: false,
      error: { kind: 'not_found', message: 'No such sent message.' },
    })
  })

  it('puts a queued reply in its conversation row’s preview at once', async () => {
    const since = core.events.mark()
    const body = 'Queued   reply,\nstill offline'
    // The outbox is stopped, as when the relay cannot be reached: the reply stays queued.
    await runtime.outbox.stop()
    const queued = await send(contact.id, body)
    expect(queued.status).toBe('queued')
    const row = await waitForItem(
      core.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.lastMessagePreview === 'Queued reply, still offline',
      'the row to show the queued reply',
      { since },
    )
    expect(row.lastMessageAt).toBe(queued.createdAt)
    expect(runtime.cache.getConversation(contact.id)?.lastMessagePreview).toBe('Queued reply, still offline')
  })
})
