import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { createTwilioClientFactory } from '../../relay/twilio-client.ts'
import { startTwilioDouble } from './double.ts'
import { readMessageJournal } from './message-journal.ts'

const account = {
  sid: 'AC11111111111111111111111111111111',
  authToken: 'test_token_acme_not_a_secret_0001',
  numbers: ['+15550100001'],
}
const { logger } = createMemoryLogger('twilio-double')

describe('Twilio double with a journal, restarted', () => {
  let dir: string
  let receiver: Server
  let callbackUrl: string
  /** While false the status callback receiver answers 503, as a relay that is down. */
  let accepting = false
  const acknowledged: { sid: string; status: string }[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twilio-journal-'))
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        if (!accepting) return void response.writeHead(503).end()
        const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
        acknowledged.push({
          sid: String(params.get('MessageSid')),
          status: String(params.get('MessageStatus')),
        })
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/status`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('still lists what it sent, and reports the statuses no receiver acknowledged', async () => {
    const journalFile = join(dir, 'messages.jsonl')
    const first = await startTwilioDouble({ accounts: [account], logger, callbackDelayMs: 5, journalFile })
    const client = () =>
      createTwilioClientFactory({ apiBaseUrl: first.url })({
        accountSid: account.sid,
        authToken: account.authToken,
      })
    const sent = await client().messages.create({
      to: '+15557800001',
      from: account.numbers[0]!,
      body: 'Remembered',
      statusCallback: callbackUrl,
    })
    await first.settled()
    await first.stop()
    expect(first.callbacks.map((callback) => callback.httpStatus)).toEqual([503, 503, 503])
    // A process killed mid-append leaves a torn last line behind.
    appendFileSync(journalFile, '{"message":{"sid":"SMtorn')

    accepting = true
    const second = await startTwilioDouble({ accounts: [account], logger, callbackDelayMs: 5, journalFile })
    try {
      const listed = await createTwilioClientFactory({ apiBaseUrl: second.url })({
        accountSid: account.sid,
        authToken: account.authToken,
      }).messages.list({ to: '+15557800001' })
      expect(listed.map((message) => [message.sid, message.body, message.status])).toEqual([
        [sent.sid, 'Remembered', 'delivered'],
      ])
      await second.settled()
      expect(acknowledged).toEqual(
        ['queued', 'sent', 'delivered'].map((status) => ({ sid: sent.sid, status })),
      )
    } finally {
      await second.stop()
    }
    expect(readMessageJournal(journalFile)).toMatchObject([
      { message: { sid: sent.sid }, reported: 'delivered' },
    ])
    // What a receiver acknowledged is not reported again.
    const third = await startTwilioDouble({ accounts: [account], logger, callbackDelayMs: 5, journalFile })
    await third.settled()
    await third.stop()
    expect(third.callbacks).toEqual([])
    expect(third.messages.get(sent.sid)).toMatchObject({ status: 'delivered' })
  })
})
