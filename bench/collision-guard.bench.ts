// The collision guard's cost on the send path: POST /messages naming the newest message
// its author had seen (the guard checks the conversation for anything newer, in the
// insert's transaction), beside the same send without seen_message_id (no check), in
// the same run, alternating, to one conversation with a long history.
import { randomUUID } from 'node:crypto'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { startLocalBackend } from '../local-backend/index.ts'
import { startTwilioDouble, type TwilioDouble } from '../local-backend/twilio/double.ts'
import { ACME, accessToken } from '../relay/demo-accounts.ts'
import { mountRelay, serviceClient } from '../relay/embedded.ts'
import type { Sweeper } from '../relay/sweeper.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { writeLongThread } from './long-thread.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'

const SEND_PAIRS = 200

const ms = (samples: number[], p: number) => Math.round(percentile(samples, p) * 100) / 100

export async function run(scale: Scale): Promise<BenchRow[]> {
  const logger = createMemoryLogger('bench').logger
  const backend = await startLocalBackend({ port: 0, seed: true, logger })
  let double: TwilioDouble | undefined
  let sweeper: Sweeper | undefined
  try {
    const { acme } = await demoIds(backend.db)
    double = await startTwilioDouble({
      accounts: [{ sid: ACME.accountSid, authToken: ACME.authToken, numbers: [ACME.number] }],
      logger,
      callbackDelayMs: 0,
    })
    const unlimited = { burst: 1_000_000, perSecond: 1_000_000 }
    const mounted = mountRelay(backend, {
      twilioApiBaseUrl: double.url,
      logger,
      rateLimits: { perAgent: unlimited, perIp: unlimited },
    })
    sweeper = mounted.sweeper
    const { data: contact } = await serviceClient(backend)
      .from('contacts')
      .insert({ workspace_id: acme, phone_number: '+15557900101' })
      .select('id')
      .single()
      .throwOnError()
    const contactId = (contact as { id: string }).id
    const history = atScale(seedSizes.thread, scale).messages
    // A long thread, the customer's text last: the message every guarded reply names as seen.
    const seen = await writeLongThread(backend.db, {
      workspaceId: acme,
      contactId,
      count: history,
      columns: {
        content: `'history ' || i`,
        direction: `'inbound'`,
        createdAt: `now() - make_interval(secs => $3::int - i)`,
      },
    })
    await backend.db.query('analyze public.messages')
    const token = await accessToken(backend, 'ben@acme.test')

    const send = async (fields: { seen_message_id?: string }) => {
      const started = performance.now()
      const response = await fetch(`${mounted.relayUrl}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          workspace_id: acme,
          contact_id: contactId,
          body: 'We are on it.',
          client_message_id: randomUUID(),
          ...fields,
        }),
      })
      await response.arrayBuffer()
      // Ben's own replies never count against him: every guarded send here passes the check.
      if (response.status !== 201) throw new Error(`send answered ${response.status}`)
      return performance.now() - started
    }
    const guarded: number[] = []
    const unguarded: number[] = []
    for (let pair = 0; pair < SEND_PAIRS; pair += 1) {
      unguarded.push(await send({}))
      guarded.push(await send({ seen_message_id: seen }))
    }
    return [
      {
        name: `guarded send (seen_message_id, ${history} messages in the thread) p50 (n=${SEND_PAIRS})`,
        value: ms(guarded, 50),
        unit: 'ms',
        floor: { name: 'the same send without seen_message_id p50', value: ms(unguarded, 50) },
      },
      {
        name: 'guarded send p95',
        value: ms(guarded, 95),
        unit: 'ms',
        floor: { name: 'the same send without seen_message_id p95', value: ms(unguarded, 95) },
      },
    ]
  } finally {
    await sweeper?.stop()
    await double?.stop()
    await backend.stop()
  }
}
