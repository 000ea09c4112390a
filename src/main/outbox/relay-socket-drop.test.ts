import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import type { Message } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import {
  recordEvents,
  removeTestPlatforms,
  testPlatform,
  value,
  type EventRecorder,
} from '../../../test/support/core-harness.ts'
import { startCuttingProxy, type CuttingProxy } from '../../../test/support/cutting-proxy.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { replyCounts, threadStatuses, untilShownTerminal } from '../../../test/support/reply-outcomes.ts'
import { createAppCore, type AppCore } from '../core/app-core.ts'

/*
 * The app core sends through a real TCP proxy to the relay, and the proxy drops
 * connections mid-exchange: every 5th request is cut halfway through, and every
 * 3rd answer the relay gave is dropped on its way back, so the app never hears
 * whether that send was taken. Every reply must still reach Twilio exactly once.
 */

const { logger } = createMemoryLogger('relay-socket-drop-test')
const replies = 50
let stack: RelayStack
let proxy: CuttingProxy
let core: AppCore
let events: EventRecorder
let contacts: TestContact[]

beforeAll(async () => {
  // The hosted relay's one send a second per agent would make this a test of the rate limit.
  const limit = { burst: 200, perSecond: 50 }
  stack = await startRelayStack({ callbackDelayMs: 20, rateLimits: { perAgent: limit, perIp: limit } })
  const backend = new URL(stack.backend.url)
  proxy = await startCuttingProxy({
    target: { host: backend.hostname, port: Number(backend.port) },
    cutRequestEvery: 5,
    cutAnswerEvery: 3,
  })
  contacts = await Promise.all(
    ['+15557710001', '+15557710002', '+15557710003', '+15557710004', '+15557710005'].map((phone) =>
      ensureContact(stack.service, stack.demo.acme, phone),
    ),
  )
  const relayUrl = stack.relayUrl.replace(stack.backend.url, proxy.url)
  core = createAppCore(testPlatform(), {
    backend: {
      mode: 'custom',
      supabaseUrl: stack.backend.url,
      publishableKey: stack.backend.publishableKey,
      relayUrl,
    },
    logger,
  })
  events = recordEvents(core)
  const signIn = events.mark()
  await value(core.dispatch, 'session.signIn', { email: 'ben@acme.test', password: DEMO_PASSWORD })
  await events.waitForEvent(
    'connection.changed',
    (state) => state.status === 'live' && state.lastSyncAt !== null,
    'the first sync',
    { since: signIn },
  )
})

afterAll(async () => {
  await core?.dispose()
  await proxy?.stop()
  await stack?.stop()
  removeTestPlatforms()
})

describe('the connection to the relay dropped during sends', () => {
  it('delivers every reply exactly once, and the app shows each one delivered', async () => {
    const start = events.mark()
    const run = Date.now().toString(36)
    const accepted = await Promise.all(
      Array.from({ length: replies }, (_, index) =>
        value<Message>(core.dispatch, 'messages.send', {
          workspaceId: stack.demo.acme,
          contactId: contacts[index % contacts.length]!.id,
          body: `Socket drop ${run} reply ${index}`,
        }),
      ),
    )
    const ids = new Set(accepted.map((message) => message.id))

    // Each cut or lost exchange backs its reply off (1 s, doubling, up to 60 s), and the
    // replies behind it in the same conversation wait: an unlucky head of line that
    // is cut five times running takes over a minute to get through.
    await untilShownTerminal(events, ids, { since: start, ms: 150_000 })

    const counts = replyCounts({
      bodies: accepted.map((message) => message.content),
      atTwilio: [...stack.double.messages.values()].map((message) => String(message.body)),
      statuses: await threadStatuses(
        ids,
        contacts.map((contact) => contact.id),
        (contactId) => value(core.dispatch, 'thread.load', { contactId, before: null, limit: 500 }),
      ),
      ids,
    })
    console.log(
      `relay socket drops: ${replies} replies over ${proxy.counts.requests} requests, ` +
        `${proxy.counts.requestsCut} requests cut halfway and ${proxy.counts.answersCut} answers dropped; ` +
        `lost ${counts.lost}, duplicated ${counts.duplicated}, stuck ${counts.stuck}; ` +
        `final states in the app ${JSON.stringify(counts.byStatus)}`,
    )
    expect(proxy.counts.requestsCut + proxy.counts.answersCut).toBeGreaterThan(0)
    expect(counts).toEqual({ lost: 0, duplicated: 0, stuck: 0, byStatus: { delivered: replies } })
    expect(await value(core.dispatch, 'session.get', {})).toMatchObject({ status: 'signed-in' })
    const signedOut = events.all
      .slice(start)
      .filter(
        (e) => e.event === 'session.changed' && (e.payload as { status: string }).status !== 'signed-in',
      )
    expect(signedOut).toEqual([])
  }, 180_000)
})
