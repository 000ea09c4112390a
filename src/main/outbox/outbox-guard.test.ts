import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postInboundSms } from '../../../local-backend/twilio/inbound.ts'
import { ACME, ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import type { Message } from '../../shared/domain.ts'
import type { ArrivedMessage } from '../../shared/relay-contract.ts'
import { Cache } from '../cache/cache.ts'
import { nowTimestamp } from '../cache/time.ts'
import type { SessionService } from '../session/session.ts'
import { createOutbox, type Outbox } from './outbox.ts'

/*
 * The outbox and the relay's collision guard, end to end: Ava and Ben of Acme, each
 * with their own cache and outbox, reply through the real relay on the real backend.
 */

const { logger } = createMemoryLogger('outbox-guard-test')
let stack: RelayStack
let dir: string
const sessions: Record<'ava' | 'ben', SessionService | null> = { ava: null, ben: null }
const servers: Server[] = []
let phoneSeq = 0

interface Desk {
  cache: Cache
  outbox: Outbox
  userId: string
  held: { message: Message; arrived: ArrivedMessage[] }[]
  close(): Promise<void>
}

function deskOf(agent: 'ava' | 'ben', relayUrl = stack.relayUrl): Desk {
  const session = sessions[agent]!
  const cache = Cache.open(join(dir, `${agent}-${++phoneSeq}.sqlite`))
  const held: Desk['held'] = []
  const outbox = createOutbox({
    cache,
    relayUrl,
    accessToken: () => session.accessToken(),
    refreshSession: () => session.refresh(),
    onMessage: () => {},
    onCollision: (message, arrived) => held.push({ message, arrived }),
    logger,
    baseDelayMs: 5,
    maxDelayMs: 50,
  })
  return {
    cache,
    outbox,
    userId: session.userId()!,
    held,
    async close() {
      await outbox.stop()
      cache.close()
    },
  }
}

/** A conversation of its own, opened by a customer's text: the contact and that text's id. */
async function conversationWithInbound(): Promise<{ contact: TestContact; inboundId: string }> {
  phoneSeq += 1
  const contact = await ensureContact(
    stack.service,
    stack.demo.acme,
    `+1555810${String(phoneSeq).padStart(4, '0')}`,
  )
  const { status, messageSid } = await postInboundSms({
    relayUrl: stack.relayUrl,
    accountSid: ACME.accountSid,
    authToken: ACME.authToken,
    to: ACME.number,
    from: contact.phone_number,
    body: 'Is my order on its way?',
  })
  expect(status).toBe(200)
  const { data } = await stack.service
    .from('messages')
    .select('id')
    .eq('twilio_sid', messageSid)
    .single()
    .throwOnError()
  return { contact, inboundId: (data as { id: string }).id }
}

async function guardedSend(desk: Desk, contact: TestContact, body: string, seenMessageId: string | null) {
  const message = desk.outbox.send({
    workspaceId: stack.demo.acme,
    contactId: contact.id,
    body,
    userId: desk.userId,
    guard: { kind: 'seen', seenMessageId },
  })
  await desk.outbox.drained()
  return message
}

const twilioBodies = (body: string) =>
  stack.double.requests.filter(
    (request) =>
      request.path.endsWith('/Messages.json') && request.params.Body === body && request.status < 300,
  )

async function storedIds(contact: TestContact): Promise<string[]> {
  const { data } = await stack.service
    .from('messages')
    .select('id')
    .eq('contact_id', contact.id)
    .eq('direction', 'outbound')
    .throwOnError()
  return (data as { id: string }[]).map((row) => row.id)
}

beforeAll(async () => {
  stack = await startRelayStack({ retry: { attempts: 1, baseDelayMs: 1 } })
  dir = mkdtempSync(join(tmpdir(), 'outbox-guard-test-'))
  sessions.ava = await signedInSession(stack.backend, join(dir, 'ava-'), logger, 'ava@acme.test')
  sessions.ben = await signedInSession(stack.backend, join(dir, 'ben-'), logger, 'ben@acme.test')
})
afterAll(async () => {
  sessions.ava?.dispose()
  sessions.ben?.dispose()
  for (const server of servers) server.close()
  await stack?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('outbox with the collision guard', () => {
  it('holds back the second blind reply with what arrived; sent anyway, it goes out once', async () => {
    const { contact, inboundId } = await conversationWithInbound()
    const ava = deskOf('ava')
    const ben = deskOf('ben')
    const first = await guardedSend(ben, contact, 'Ben: it ships today.', inboundId)
    expect(ben.cache.getMessage(first.id)?.status).not.toBe('failed')
    expect(ben.held).toEqual([])

    const blind = await guardedSend(ava, contact, 'Ava: it ships tomorrow.', inboundId)
    const held = ava.cache.getMessage(blind.id)!
    expect(held).toMatchObject({ status: 'failed', errorCode: 'collision' })
    expect(held.errorMessage).toMatch(/teammates sent 1 reply/)
    expect(ava.held).toHaveLength(1)
    expect(ava.held[0]!.message.id).toBe(blind.id)
    expect(ava.held[0]!.arrived.map((message) => [message.id, message.content])).toEqual([
      [first.id, 'Ben: it ships today.'],
    ])
    expect(twilioBodies('Ava: it ships tomorrow.')).toHaveLength(0)
    expect(await storedIds(contact)).toEqual([first.id])
    expect(ava.cache.outboxSize()).toBe(0)

    // A plain Retry would send it unguarded: refused, the choice is the author's.
    expect(ava.outbox.retry(blind.id)).toMatchObject({ ok: false, error: { kind: 'conflict' } })

    const anyway = ava.outbox.sendAnyway(blind.id)
    expect(anyway).toMatchObject({ ok: true, value: { id: blind.id, status: 'queued' } })
    await ava.outbox.drained()
    expect(ava.cache.getMessage(blind.id)?.status).not.toMatch(/failed|queued/)
    expect(twilioBodies('Ava: it ships tomorrow.')).toHaveLength(1)
    expect(new Set(await storedIds(contact))).toEqual(new Set([first.id, blind.id]))
    expect(ava.held).toHaveLength(1)
    await ava.close()
    await ben.close()
  })

  it('a held reply taken back to edit leaves the cache; only a held one can be', async () => {
    const { contact, inboundId } = await conversationWithInbound()
    const ava = deskOf('ava')
    const ben = deskOf('ben')
    const first = await guardedSend(ben, contact, 'Ben: refund issued.', inboundId)
    expect(ben.outbox.withdraw(first.id)).toMatchObject({ ok: false, error: { kind: 'not_found' } })
    const blind = await guardedSend(ava, contact, 'Ava: refund pending.', inboundId)
    expect(ava.outbox.withdraw(blind.id)).toMatchObject({
      ok: true,
      value: { id: blind.id, content: 'Ava: refund pending.' },
    })
    expect(ava.cache.getMessage(blind.id)).toBeNull()
    expect(ava.outbox.sendAnyway(blind.id)).toMatchObject({ ok: false, error: { kind: 'not_found' } })
    expect(twilioBodies('Ava: refund pending.')).toHaveLength(0)
    await ava.close()
    await ben.close()
  })

  it('a replay after a lost answer is never refused, though a teammate replied in between: one send', async () => {
    const { contact, inboundId } = await conversationWithInbound()
    const ben = deskOf('ben')
    let teammateReplied: Message | null = null
    let requests = 0
    // The first answer is lost after the relay stored and sent Ava's reply; Ben replies before the replay.
    const proxy = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        requests += 1
        const lose = requests === 1
        void fetch(`${stack.relayUrl}${request.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
          body: Buffer.concat(chunks),
        }).then(async (upstream) => {
          const text = await upstream.text()
          if (!lose) {
            response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
            return
          }
          teammateReplied = await guardedSend(ben, contact, 'Ben: replying meanwhile.', null)
          response.writeHead(502).end()
        })
      })
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    servers.push(proxy)
    const ava = deskOf('ava', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)
    const reply = await guardedSend(ava, contact, 'Ava: replayed once.', inboundId)

    expect(requests).toBeGreaterThanOrEqual(2)
    expect(teammateReplied).not.toBeNull()
    // Ben named no message: Ava's reply was already stored, so his own was held back, and only his.
    expect(ben.held.map((held) => held.message.id)).toEqual([teammateReplied!.id])
    expect(ava.held).toEqual([])
    expect(ava.cache.getMessage(reply.id)?.status).not.toMatch(/failed|queued/)
    expect(twilioBodies('Ava: replayed once.')).toHaveLength(1)
    console.info(
      `guarded replay: ${requests} requests, ${twilioBodies('Ava: replayed once.').length} sent, ` +
        `${ava.held.length} refused`,
    )
    await ava.close()
    await ben.close()
  })

  it('a queued reply keeps its guard across a restart of the app', async () => {
    const { contact, inboundId } = await conversationWithInbound()
    const path = join(dir, 'restart-guard.sqlite')
    const cache = Cache.open(path)
    cache.enqueue(
      {
        id: crypto.randomUUID(),
        workspaceId: stack.demo.acme,
        contactId: contact.id,
        direction: 'outbound',
        content: 'Queued before a crash.',
        status: 'queued',
        errorCode: null,
        errorMessage: null,
        createdAt: nowTimestamp(),
        updatedAt: nowTimestamp(),
        createdBy: sessions.ava!.userId(),
        workspaceNumber: null,
      },
      { retry: false, guard: { kind: 'seen', seenMessageId: inboundId } },
    )
    cache.close()
    const reopened = Cache.open(path)
    expect(reopened.outboxHeads().map((entry) => entry.guard)).toEqual([
      { kind: 'seen', seenMessageId: inboundId },
    ])
    reopened.close()
  })
})
