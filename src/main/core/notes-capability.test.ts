import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import type { Message, SearchHit } from '../../shared/domain.ts'
import type { Note, SavedReply } from '../../shared/notes-and-replies.ts'
import { expandVariables, replyVariableValues } from '../../shared/reply-variables.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'
import {
  dispatcherFor,
  recordEvents,
  removeTestPlatforms,
  signedInRuntime,
  testPlatform,
  value,
  type EventRecorder,
  type TestPlatform,
} from '../../../test/support/core-harness.ts'
import { startCuttingProxy, type CuttingProxy } from '../../../test/support/cutting-proxy.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import { createCoreServices, type CoreServices } from './core-services.ts'
import type { Dispatch } from './dispatch.ts'
import { messagesCapability } from './messages-capability.ts'
import { notesCapability } from './notes-capability.ts'
import { conversationsCapability } from './conversations-capability.ts'

/*
 * Notes and saved replies through the main-process services, two agents of one workspace
 * on one real stack (PGlite backend, relay, Twilio double), each with a real SQLite cache.
 * The relay is reached through a counting proxy, so "a note makes no relay call" is a count.
 */

afterAll(removeTestPlatforms)
const { logger } = createMemoryLogger('notes-test')

interface Agent {
  services: CoreServices
  platform: TestPlatform
  runtime: BackendRuntime
  dispatch: Dispatch
  events: EventRecorder
}

let stack: RelayStack
let relayCounter: CuttingProxy
let ben: Agent
let ava: Agent
let rosa: TestContact

async function agent(email: string): Promise<Agent> {
  const platform = testPlatform()
  const backendUrl = new URL(stack.backend.url)
  const services = createCoreServices(platform, {
    logger,
    backend: {
      mode: 'custom',
      supabaseUrl: stack.backend.url,
      publishableKey: stack.backend.publishableKey,
      relayUrl: stack.relayUrl.replace(backendUrl.origin, relayCounter.url),
    },
  })
  const events = recordEvents(services.events)
  const dispatch = dispatcherFor(
    services,
    notesCapability(services),
    messagesCapability(services),
    conversationsCapability(services),
  )
  const runtime = await signedInRuntime(services, email)
  return { services, platform, runtime, dispatch, events }
}

beforeAll(async () => {
  stack = await startRelayStack()
  const target = new URL(stack.backend.url)
  // Never cuts (one in a billion): it is here to count the requests that reach the relay.
  relayCounter = await startCuttingProxy({
    target: { host: target.hostname, port: Number(target.port) },
    cutRequestEvery: 1e9,
    cutAnswerEvery: 1e9,
  })
  rosa = await ensureContact(stack.service, stack.demo.acme, '+15558200001', 'Rosa María Diaz')
  ben = await agent('ben@acme.test')
  ava = await agent('ava@acme.test')
})

afterAll(async () => {
  for (const one of [ben, ava]) await one?.services.runtime.dispose()
  await relayCounter?.stop()
  await stack?.stop()
})

describe('internal notes', () => {
  let note: Note

  it('a note with a mention is written under RLS with zero relay and zero Twilio requests', async () => {
    // The seed's own sent messages are due a status check: done first, so the sweep below has only the note to find.
    await stack.sweeper.sweep()
    const relayBefore = relayCounter.counts.requests
    const twilioBefore = stack.double.requests.length
    note = await value<Note>(ben.dispatch, 'notes.add', {
      contactId: rosa.id,
      body: '@Ava can you approve the refund for the blue samovar?',
      mentions: [stack.demo.ava],
    })
    expect(note).toMatchObject({
      createdBy: stack.demo.ben,
      mentions: [stack.demo.ava],
      workspaceId: stack.demo.acme,
    })
    expect(await stack.sweeper.sweep()).toEqual({ inDoubt: 0, statusChecks: 0 })
    expect(relayCounter.counts.requests - relayBefore).toBe(0)
    expect(stack.double.requests.length - twilioBefore).toBe(0)
    // Cached for Ben at once, offline-readable.
    expect(ben.runtime.cache.notes(rosa.id).map((n) => n.id)).toEqual([note.id])
  })

  it('reaches the mentioned teammate live, cached, and as a desktop notification to her alone', async () => {
    const arrived = await waitForItem(
      ava.events,
      'notes.upserted',
      (n) => n.id === note.id,
      'the note at Ava',
    )
    expect(arrived).toEqual(note)
    expect(await value<Note[]>(ava.dispatch, 'notes.list', { contactId: rosa.id })).toEqual([note])
    const shown = await ava.platform.notifications.waitFor((n) => n.id === `note:${note.id}`, 'the mention')
    expect(shown).toMatchObject({
      title: 'Ben Okafor mentioned you · Rosa María Diaz · Acme Support',
      body: '@Ava can you approve the refund for the blue samovar?',
      contactId: rosa.id,
    })
    expect(ben.platform.notifications.all.filter((n) => n.id.startsWith('note:'))).toEqual([])
  })

  it('a note without a mention of her does not notify her', async () => {
    const plain = await value<Note>(ben.dispatch, 'notes.add', {
      contactId: rosa.id,
      body: 'Warranty card is in the box',
      mentions: [],
    })
    await waitForItem(ava.events, 'notes.upserted', (n) => n.id === plain.id, 'the plain note at Ava')
    expect(ava.platform.notifications.all.map((n) => n.id)).not.toContain(`note:${plain.id}`)
  })

  it('is found by the offline search, within its workspace only', async () => {
    const hits = await value<SearchHit[]>(ava.dispatch, 'conversations.search', {
      query: 'samovar',
      workspaceId: stack.demo.acme,
      limit: 20,
    })
    expect(hits).toEqual([
      expect.objectContaining({
        field: 'note',
        noteId: note.id,
        messageId: null,
        conversation: expect.objectContaining({ id: rosa.id }),
      }),
    ])
    expect(hits[0]!.highlights.map(([from, to]) => hits[0]!.snippet.slice(from, to))).toEqual(['samovar'])
    const elsewhere = await value<SearchHit[]>(ava.dispatch, 'conversations.search', {
      query: 'samovar',
      workspaceId: stack.demo.globex,
      limit: 20,
    }).catch((error: Error) => error.message)
    // Ava is not in Globex: refused before any search; and the notes table holds no Globex row anyway.
    expect(elsewhere).toMatch(/forbidden/)
  })

  it('a mention of someone outside the workspace is refused with a reason', async () => {
    const reply = await ben.dispatch('notes.add', {
      contactId: rosa.id,
      body: '@Cleo hello',
      mentions: [stack.demo.cleo],
    })
    expect(reply).toEqual({
      ok: false,
      error: { kind: 'invalid_input', message: expect.stringContaining('no longer in this workspace') },
    })
  })
})

describe('saved replies', () => {
  it('lists the team’s replies and the agent’s own, never a teammate’s personal one', async () => {
    const forBen = await value<SavedReply[]>(ben.dispatch, 'savedReplies.list', {
      workspaceId: stack.demo.acme,
    })
    expect(forBen.map((r) => r.title)).toEqual(['Closing the conversation', 'My intro', 'Order update'])
    const forAva = await value<SavedReply[]>(ava.dispatch, 'savedReplies.list', {
      workspaceId: stack.demo.acme,
    })
    expect(forAva.map((r) => r.title)).toEqual(['Closing the conversation', 'Order update'])
  })

  it('a reply still holding a variable is refused before the relay; its expansion reaches Twilio', async () => {
    const [intro] = (
      await value<SavedReply[]>(ben.dispatch, 'savedReplies.list', { workspaceId: stack.demo.acme })
    ).filter((r) => r.title === 'My intro')
    const relayBefore = relayCounter.counts.requests
    const raw = await ben.dispatch('messages.send', {
      workspaceId: stack.demo.acme,
      contactId: rosa.id,
      body: intro!.body,
    })
    expect(raw).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(relayCounter.counts.requests).toBe(relayBefore)

    const expanded = expandVariables(
      intro!.body,
      replyVariableValues({
        contactName: 'Rosa María Diaz',
        phoneNumber: rosa.phone_number,
        agentName: 'Ben',
        workspaceName: 'Acme',
      }),
    )
    if (!expanded.ok) throw new Error('the seeded reply should expand')
    const sent = await value<Message>(ben.dispatch, 'messages.send', {
      workspaceId: stack.demo.acme,
      contactId: rosa.id,
      body: expanded.text,
    })
    await ben.runtime.outbox.drained()
    expect(ben.runtime.cache.getMessage(sent.id)?.status).toMatch(/pending|sent|delivered/)
    const toTwilio = stack.double.requests.filter((r) => r.params.To === rosa.phone_number)
    expect(toTwilio.map((r) => r.params.Body)).toEqual([
      'Hi Rosa, Ben from Acme Support here. Let me look into this for you.',
    ])
    // The counter saw the relay call: it counts what it should.
    expect(relayCounter.counts.requests).toBeGreaterThan(relayBefore)
  })
})
