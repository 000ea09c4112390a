import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import type { Message } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { Cache } from '../cache/cache.ts'
import type { SessionService } from '../session/session.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { until } from '../../../test/support/until.ts'
import { nowTimestamp } from '../cache/time.ts'
import { happenings, type Happenings } from '../../../test/support/happenings.ts'
import { createOutbox, type Outbox } from './outbox.ts'

const { logger } = createMemoryLogger('outbox-test')
let stack: RelayStack
let session: SessionService
let dir: string
let contactA: TestContact
let contactB: TestContact
let globexContact: TestContact
const servers: Server[] = []
/** Acme's second number, which a reply may be sent from. */
const SECOND_NUMBER = '+15550100051'

/** A relay in front of the relay: answers `failures` requests itself, then forwards (or forwards and hides the answer). */
async function flakyProxy(
  plan: ('fail' | 'forward-then-fail' | 'forward')[],
): Promise<{ url: string; seen: number }> {
  const state = { url: '', seen: 0 }
  const server = createServer((request, response) => {
    const step = plan[state.seen] ?? 'forward'
    state.seen++
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (step === 'fail') {
        response
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"error":{"kind":"internal","message":"boom"}}')
        return
      }
      fetch(`${stack.relayUrl}${request.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
        body: Buffer.concat(chunks),
      })
        .then(async (upstream) => {
          const text = await upstream.text()
          if (step === 'forward-then-fail') response.writeHead(502).end()
          else response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
        })
        .catch(() => response.writeHead(502).end())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

/** A relay the network never reaches: each attempt is recorded, then its connection dropped. */
async function unreachableRelay(): Promise<{ url: string; attempts: Happenings<string> }> {
  const attempts = happenings<string>()
  const server = createServer((request) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      request.socket.destroy()
      attempts.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { body: string }).body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, attempts }
}

function outboxFor(cache: Cache, url: string, onMessage: (m: Message) => void = () => {}): Outbox {
  return createOutbox({
    cache,
    relayUrl: url,
    accessToken: () => session.accessToken(),
    refreshSession: () => session.refresh(),
    onMessage,
    logger,
    baseDelayMs: 5,
    maxDelayMs: 50,
  })
}

const twilioSends = () =>
  stack.double.requests.filter(
    (r) => r.method === 'POST' && r.path.endsWith('/Messages.json') && r.status < 300,
  )

/** One send through a flaky proxy, run until the outbox has nothing left to deliver; `sends` are the Twilio sends it caused. */
async function sendThroughProxy(
  plan: Parameters<typeof flakyProxy>[0],
  cacheFile: string,
  contact: TestContact,
  body: string,
) {
  const cache = Cache.open(join(dir, cacheFile))
  const proxy = await flakyProxy(plan)
  const outbox = outboxFor(cache, proxy.url)
  const before = twilioSends().length
  const message = outbox.send({
    workspaceId: stack.demo.acme,
    contactId: contact.id,
    body,
    userId: session.userId()!,
  })
  await outbox.drained()
  await outbox.stop()
  return { cache, proxy, message, sends: twilioSends().slice(before) }
}

async function serverRows(ids: string[]) {
  const { data, error } = await stack.service
    .from('messages')
    .select('id, content, status, contact_id')
    .in('id', ids)
  if (error) throw new Error(error.message)
  return data as { id: string; content: string; status: string; contact_id: string }[]
}

beforeAll(async () => {
  stack = await startRelayStack({
    retry: { attempts: 1, baseDelayMs: 1 },
    unclaimedNumbers: { acme: [SECOND_NUMBER] },
  })
  await stack.service
    .from('twilio_numbers')
    .insert({
      workspace_id: stack.demo.acme,
      phone_number: SECOND_NUMBER,
      twilio_sid: 'PN0123456789abcdef0123456789abcd51',
    })
    .throwOnError()
  contactA = await ensureContact(stack.service, stack.demo.acme, '+15557010001')
  contactB = await ensureContact(stack.service, stack.demo.acme, '+15557010002')
  globexContact = await ensureContact(stack.service, stack.demo.globex, '+15557010003')
  dir = mkdtempSync(join(tmpdir(), 'outbox-test-'))
  session = await signedInSession(stack.backend, dir, logger)
})

afterAll(async () => {
  session.dispose()
  for (const server of servers) server.close()
  await stack.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('outbox', () => {
  it('queues offline, survives a restart, then delivers exactly once each, in order per conversation', async () => {
    const path = join(dir, 'restart.sqlite')
    const before = twilioSends().length
    const cache = Cache.open(path)
    const relay = await unreachableRelay()
    const offline = outboxFor(cache, relay.url)
    const userId = session.userId()!
    const plan = [contactA, contactB, contactA, contactB, contactA].map((contact, i) => ({
      contact,
      body: `restart test ${i}`,
    }))
    const sent = plan.map(({ contact, body }) =>
      offline.send({ workspaceId: stack.demo.acme, contactId: contact.id, body, userId }),
    )
    expect(sent.every((m) => m.status === 'queued')).toBe(true)
    // A second attempt at each head means its first failure was handled and rescheduled, not lost.
    const tries = (body: string) => relay.attempts.all.filter((attempt) => attempt === body).length
    await relay.attempts.waitFor(
      () => tries('restart test 0') >= 2 && tries('restart test 1') >= 2,
      'two failed attempts at the head of each conversation',
    )
    await offline.stop()
    // Only each conversation's oldest message went out; the rest waited behind it.
    expect(new Set(relay.attempts.all)).toEqual(new Set(['restart test 0', 'restart test 1']))
    expect(cache.outboxSize()).toBe(5)
    for (const m of sent) expect(cache.getMessage(m.id)?.status).toBe('queued')
    expect(cache.outboxHeads().map((entry) => entry.attempts >= 1)).toEqual([true, true])
    cache.close()

    const reopened = Cache.open(path)
    expect(reopened.outboxSize()).toBe(5)
    expect(reopened.getMessage(sent[0]!.id)?.status).toBe('queued')
    const delivered: Message[] = []
    const online = outboxFor(reopened, stack.relayUrl, (m) => delivered.push(m))
    online.kick()
    await online.drained()
    await online.stop()

    const sends = twilioSends().slice(before)
    expect(sends).toHaveLength(5)
    const bodiesTo = (phone: string) => sends.filter((r) => r.params.To === phone).map((r) => r.params.Body)
    expect(bodiesTo(contactA.phone_number)).toEqual(['restart test 0', 'restart test 2', 'restart test 4'])
    expect(bodiesTo(contactB.phone_number)).toEqual(['restart test 1', 'restart test 3'])
    const rows = await serverRows(sent.map((m) => m.id))
    expect(rows).toHaveLength(5)
    expect(new Set(delivered.map((m) => m.id))).toEqual(new Set(sent.map((m) => m.id)))
    for (const m of sent) expect(reopened.getMessage(m.id)?.status).not.toBe('queued')
    reopened.close()
  })

  it('a reply queued offline from the second number leaves from it after a restart', async () => {
    const path = join(dir, 'restart-sender.sqlite')
    const cache = Cache.open(path)
    const relay = await unreachableRelay()
    const offline = outboxFor(cache, relay.url)
    const queued = offline.send({
      workspaceId: stack.demo.acme,
      contactId: contactB.id,
      body: 'From the other line, after a restart',
      userId: session.userId()!,
      fromNumber: SECOND_NUMBER,
    })
    expect(queued.workspaceNumber).toBe(SECOND_NUMBER)
    await relay.attempts.waitFor(
      () => relay.attempts.all.includes('From the other line, after a restart'),
      'an attempt while offline',
    )
    await offline.stop()
    cache.close()

    const reopened = Cache.open(path)
    expect(reopened.outboxHeads().map((entry) => entry.fromNumber)).toEqual([SECOND_NUMBER])
    const before = twilioSends().length
    const online = outboxFor(reopened, stack.relayUrl)
    online.kick()
    await online.drained()
    await online.stop()
    const sends = twilioSends().slice(before)
    expect(sends.map((r) => [r.params.Body, r.params.From])).toEqual([
      ['From the other line, after a restart', SECOND_NUMBER],
    ])
    expect(reopened.getMessage(queued.id)?.workspaceNumber).toBe(SECOND_NUMBER)
    const { data } = await stack.service
      .from('messages')
      .select('workspace_number')
      .eq('id', queued.id)
      .single()
      .throwOnError()
    expect(data).toEqual({ workspace_number: SECOND_NUMBER })
    reopened.close()
  })

  it('retries through relay 500s and delivers once', async () => {
    const { cache, proxy, message, sends } = await sendThroughProxy(
      ['fail', 'fail', 'fail'],
      'flaky.sqlite',
      contactA,
      'after the storm',
    )
    expect(proxy.seen).toBe(4)
    expect(sends.map((r) => r.params.Body)).toEqual(['after the storm'])
    expect(await serverRows([message.id])).toHaveLength(1)
    expect(cache.getMessage(message.id)?.status).toMatch(/pending|sent|delivered/)
    cache.close()
  })

  it('never sends twice when the relay accepted but the answer was lost', async () => {
    const { cache, proxy, message, sends } = await sendThroughProxy(
      ['forward-then-fail'],
      'lost.sqlite',
      contactB,
      'said once',
    )
    expect(proxy.seen).toBe(2)
    expect(sends).toHaveLength(1)
    expect(cache.getMessage(message.id)?.status).toMatch(/pending|sent|delivered/)
    cache.close()
  })

  it('marks a refused send failed with the reason, and Retry sends it again', async () => {
    const cache = Cache.open(join(dir, 'refused.sqlite'))
    const outbox = outboxFor(cache, stack.relayUrl)
    // A contact of another workspace: the relay refuses with 404, a permanent failure.
    const refused = outbox.send({
      workspaceId: stack.demo.acme,
      contactId: globexContact.id,
      body: 'wrong place',
      userId: session.userId()!,
    })
    await outbox.drained()
    expect(cache.getMessage(refused.id)).toMatchObject({
      status: 'failed',
      errorCode: 'not_found',
      errorMessage: 'This contact does not belong to the workspace.',
    })
    expect(cache.outboxSize()).toBe(0)

    // Twilio refuses a magic invalid number: the relay stores the message failed, without a SID.
    const invalid = await ensureContact(stack.service, stack.demo.acme, '+15005550001')
    const twilioRefused = outbox.send({
      workspaceId: stack.demo.acme,
      contactId: invalid.id,
      body: 'to nowhere',
      userId: session.userId()!,
    })
    await outbox.drained()
    expect(cache.getMessage(twilioRefused.id)).toMatchObject({ status: 'failed', errorCode: '21211' })

    const toInvalid = () => stack.double.requests.filter((r) => r.params.To === invalid.phone_number).length
    const attemptsBefore = toInvalid()
    const retried = outbox.retry(twilioRefused.id)
    expect(retried.ok && retried.value.status).toBe('queued')
    await outbox.drained()
    // The relay re-tried the same row with Twilio (which refuses again): one more attempt, still one row.
    expect(toInvalid()).toBe(attemptsBefore + 1)
    expect(cache.getMessage(twilioRefused.id)?.status).toBe('failed')
    expect(await serverRows([twilioRefused.id])).toHaveLength(1)

    const queuedAgain = outbox.send({
      workspaceId: stack.demo.acme,
      contactId: contactA.id,
      body: 'fine',
      userId: session.userId()!,
    })
    await outbox.drained()
    expect(outbox.retry(queuedAgain.id)).toEqual({
      ok: false,
      error: { kind: 'conflict', message: 'Only a failed message can be retried.' },
    })
    await outbox.stop()
    cache.close()
  })

  it('Retry after a carrier failure (30003) sends the text again as a new reply, keeping the failed one', async () => {
    const cache = Cache.open(join(dir, 'carrier-failure.sqlite'))
    const outbox = outboxFor(cache, stack.relayUrl)
    const phoneOff = await ensureContact(stack.service, stack.demo.acme, '+15557010009')
    const toPhoneOff = () => twilioSends().filter((r) => r.params.To === phoneOff.phone_number).length
    const first = outbox.send({
      workspaceId: stack.demo.acme,
      contactId: phoneOff.id,
      body: 'are you there?',
      userId: session.userId()!,
    })
    await outbox.drained()
    // The carrier's failure arrives as Twilio's status callback; sync brings that row into the cache.
    const { data: sent, error } = await stack.service
      .from('messages')
      .select('twilio_sid')
      .eq('id', first.id)
      .single()
    if (error || !sent?.twilio_sid) throw new Error(`no Twilio SID for the first send: ${error?.message}`)
    const callback = await stack.double.sendStatusCallback(sent.twilio_sid, 'undelivered', '30003')
    expect(callback.httpStatus).toBe(204)
    const { data: failed } = await stack.service
      .from('messages')
      .select('status, error_code, updated_at')
      .eq('id', first.id)
      .single()
    expect(failed).toMatchObject({ status: 'failed', error_code: '30003' })
    cache.upsertMessage({
      ...cache.getMessage(first.id)!,
      status: 'failed',
      errorCode: failed!.error_code,
      updatedAt: nowTimestamp(Date.parse(failed!.updated_at)),
    })
    expect(cache.getMessage(first.id)).toMatchObject({ status: 'failed', errorCode: '30003' })

    const sendsBefore = toPhoneOff()
    const retried = outbox.retry(first.id)
    expect(retried.ok).toBe(true)
    if (!retried.ok) return
    expect(retried.value).toMatchObject({ content: 'are you there?', status: 'queued' })
    expect(retried.value.id).not.toBe(first.id)
    await outbox.drained()
    expect(toPhoneOff()).toBe(sendsBefore + 1)
    const rows = await serverRows([first.id, retried.value.id])
    expect(rows.map((row) => [row.id, row.status]).sort()).toEqual(
      [
        [first.id, 'failed'],
        [retried.value.id, expect.stringMatching(/pending|sent|delivered/)],
      ].sort(),
    )
    await outbox.stop()
    cache.close()
  })

  it('keeps resending while the relay answers that a send is still in doubt, and stops once Twilio has it', async () => {
    const cache = Cache.open(join(dir, 'in-doubt.sqlite'))
    const proxy = await flakyProxy([])
    const at = nowTimestamp(Date.now())
    const message: Message = {
      id: randomUUID(),
      workspaceId: stack.demo.acme,
      contactId: contactA.id,
      direction: 'outbound',
      content: 'left in doubt',
      status: 'queued',
      errorCode: null,
      errorMessage: null,
      createdAt: at,
      updatedAt: at,
      createdBy: session.userId(),
      workspaceNumber: null,
    }
    // A relay took this send and died: the row is stored, and its lease still runs.
    await stack.service
      .rpc('relay_insert_outbound', {
        message_id: message.id,
        workspace_id: message.workspaceId,
        contact_id: message.contactId,
        content: message.content,
        created_by: message.createdBy,
        lease_ms: 600_000,
      })
      .throwOnError()
    cache.enqueue(message, { retry: false })
    const outbox = outboxFor(cache, proxy.url)
    outbox.kick()
    await until(() => proxy.seen >= 3, 'repeated sends')
    expect(cache.outboxSize()).toBe(1)
    expect(cache.getMessage(message.id)?.status).toBe('queued')
    // The lease runs out: the next repeat resolves the send.
    await stack.backend.db.query(
      `update private.message_leases set lease_until = now() - interval '1 second' where message_id = $1`,
      [message.id],
    )
    await outbox.drained()
    await outbox.stop()
    expect(twilioSends().filter((r) => r.params.Body === 'left in doubt')).toHaveLength(1)
    expect(cache.getMessage(message.id)?.status).toMatch(/pending|sent|delivered/)
    cache.close()
  })
})
