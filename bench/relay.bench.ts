// The relay's latencies on the embedded stack: inbound webhook → row committed →
// realtime event at a subscribed agent, and the send path, each beside a floor
// measured in the same run (the same work without the relay in the way).
import { randomUUID } from 'node:crypto'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { startLocalBackend, type LocalBackend } from '../local-backend/index.ts'
import { startTwilioDouble, type TwilioDouble } from '../local-backend/twilio/double.ts'
import { newMessageSid, postInboundSms } from '../local-backend/twilio/inbound.ts'
import { ACME, DEMO_PASSWORD } from '../relay/demo-accounts.ts'
import { mountRelay, serviceClient } from '../relay/embedded.ts'
import type { Sweeper } from '../relay/sweeper.ts'
import { createTwilioClientFactory } from '../relay/twilio-client.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'
import { addVolume } from './volume.ts'

const INBOUND_COUNT = 1000
const SEND_COUNT = 300
const SUBSCRIBE_TIMEOUT_MS = 10_000
const EVENT_TIMEOUT_MS = 10_000

/** Resolves the arrival time of the INSERT carrying a given twilio_sid (or id). */
function createArrivals() {
  const waiting = new Map<string, (at: number) => void>()
  const early = new Map<string, number>()
  return {
    arrived(key: string) {
      const at = performance.now()
      const resolve = waiting.get(key)
      if (resolve) {
        waiting.delete(key)
        resolve(at)
      } else early.set(key, at)
    },
    wait(key: string): Promise<number> {
      const at = early.get(key)
      if (at !== undefined) {
        early.delete(key)
        return Promise.resolve(at)
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key)
          reject(new Error(`no realtime event for ${key} within ${EVENT_TIMEOUT_MS} ms`))
        }, EVENT_TIMEOUT_MS)
        waiting.set(key, (time) => {
          clearTimeout(timer)
          resolve(time)
        })
      })
    },
  }
}

async function subscribe(backend: LocalBackend, acme: string, arrivals: ReturnType<typeof createArrivals>) {
  const agent = createClient(backend.url, backend.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  })
  const { error } = await agent.auth.signInWithPassword({ email: 'ben@acme.test', password: DEMO_PASSWORD })
  if (error) throw new Error(`sign-in failed: ${error.message}`)
  const channel = agent
    .channel('bench-messages')
    .on(
      'postgres_changes',
      { event: 'INSERT', schema: 'public', table: 'messages', filter: `workspace_id=eq.${acme}` },
      (change) => {
        const row = change.new as { id: string; twilio_sid: string | null }
        arrivals.arrived(row.twilio_sid ?? row.id)
      },
    )
  const subscribed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), SUBSCRIBE_TIMEOUT_MS)
    channel.subscribe((status) => {
      if (status === 'SUBSCRIBED') {
        clearTimeout(timer)
        resolve(true)
      } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') {
        clearTimeout(timer)
        resolve(false)
      }
    })
  })
  return { agent, channel, subscribed }
}

const ms = (samples: number[], p: number) => Math.round(percentile(samples, p) * 100) / 100

export async function run(scale: Scale): Promise<BenchRow[]> {
  const logger = createMemoryLogger('bench').logger
  const backend = await startLocalBackend({ port: 0, seed: true, logger })
  const { acme } = await demoIds(backend.db)
  await addVolume(backend.db, acme, atScale(seedSizes.backend, scale))
  let double: TwilioDouble | undefined
  let sweeper: Sweeper | undefined
  let realtime: { agent: SupabaseClient; channel: RealtimeChannel; subscribed: boolean } | undefined
  try {
    double = await startTwilioDouble({
      accounts: [{ sid: ACME.accountSid, authToken: ACME.authToken, numbers: [ACME.number] }],
      logger,
      callbackDelayMs: 0,
    })
    // Limits out of the way: the bench measures latency, not the guard.
    const unlimited = { burst: 1_000_000, perSecond: 1_000_000 }
    const mounted = mountRelay(backend, {
      twilioApiBaseUrl: double.url,
      logger,
      rateLimits: { perAgent: unlimited, perIp: unlimited },
    })
    const { relayUrl } = mounted
    sweeper = mounted.sweeper
    const service = serviceClient(backend)
    const arrivals = createArrivals()
    realtime = await subscribe(backend, acme, arrivals)
    if (!realtime.subscribed)
      process.stderr.write('relay bench: realtime subscription failed; realtime rows are missing\n')

    const rows: BenchRow[] = []
    const { data: contact } = await service
      .from('contacts')
      .insert({ workspace_id: acme, phone_number: '+15557900001' })
      .select('id')
      .single()
      .throwOnError()
    const contactId = (contact as { id: string }).id

    // Floor: the same row written straight through REST as the service role, no
    // relay, no signature, no lookups. Floor and relay samples alternate, so both
    // see the same machine load.
    const floorCommit: number[] = []
    const floorEvent: number[] = []
    const inboundCommit: number[] = []
    const inboundEvent: number[] = []
    const subscribed = realtime.subscribed
    for (let index = 0; index < INBOUND_COUNT; index += 1) {
      const floorSid = newMessageSid()
      const floorStarted = performance.now()
      await service
        .from('messages')
        .insert({
          workspace_id: acme,
          contact_id: contactId,
          content: `floor ${index}`,
          direction: 'inbound',
          status: 'delivered',
          twilio_sid: floorSid,
        })
        .throwOnError()
      floorCommit.push(performance.now() - floorStarted)
      if (subscribed) floorEvent.push((await arrivals.wait(floorSid)) - floorStarted)

      const messageSid = newMessageSid()
      const started = performance.now()
      const result = await postInboundSms({
        relayUrl,
        accountSid: ACME.accountSid,
        authToken: ACME.authToken,
        to: ACME.number,
        from: '+15557900002',
        body: `inbound ${index}`,
        messageSid,
      })
      if (result.status !== 200) throw new Error(`inbound webhook answered ${result.status}`)
      inboundCommit.push(performance.now() - started)
      if (subscribed) inboundEvent.push((await arrivals.wait(messageSid)) - started)
    }

    rows.push(
      {
        name: `inbound webhook → row committed p50 (n=${INBOUND_COUNT})`,
        value: ms(inboundCommit, 50),
        unit: 'ms',
      },
      { name: 'inbound webhook → row committed p99', value: ms(inboundCommit, 99), unit: 'ms' },
      { name: 'floor: REST insert (service role) → committed p50', value: ms(floorCommit, 50), unit: 'ms' },
      { name: 'floor: REST insert (service role) → committed p99', value: ms(floorCommit, 99), unit: 'ms' },
    )
    if (subscribed) {
      rows.push(
        {
          name: `inbound webhook → realtime event p50 (n=${INBOUND_COUNT})`,
          value: ms(inboundEvent, 50),
          unit: 'ms',
        },
        { name: 'inbound webhook → realtime event p99', value: ms(inboundEvent, 99), unit: 'ms' },
        { name: 'floor: REST insert → realtime event p50', value: ms(floorEvent, 50), unit: 'ms' },
        { name: 'floor: REST insert → realtime event p99', value: ms(floorEvent, 99), unit: 'ms' },
      )
    }

    const { data: session } = await realtime.agent.auth.getSession()
    const token = session.session?.access_token
    if (!token) throw new Error('no agent session')
    const recipient = await service
      .from('contacts')
      .insert({ workspace_id: acme, phone_number: '+15557900003' })
      .select('id')
      .single()
      .throwOnError()
    const recipientId = (recipient.data as { id: string }).id

    // Floor of the send path: the official client straight to the double, no relay, no database.
    const twilioClient = createTwilioClientFactory({ apiBaseUrl: double.url })({
      accountSid: ACME.accountSid,
      authToken: ACME.authToken,
    })
    const floorSend: number[] = []
    const send: number[] = []
    for (let index = 0; index < SEND_COUNT; index += 1) {
      const floorStarted = performance.now()
      await twilioClient.messages.create({
        to: '+15557900003',
        from: ACME.number,
        body: `floor send ${index}`,
      })
      floorSend.push(performance.now() - floorStarted)

      const started = performance.now()
      const response = await fetch(`${relayUrl}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          workspace_id: acme,
          contact_id: recipientId,
          body: `send ${index}`,
          client_message_id: randomUUID(),
        }),
      })
      await response.arrayBuffer()
      if (response.status !== 201) throw new Error(`send answered ${response.status}`)
      send.push(performance.now() - started)
    }
    rows.push(
      {
        name: `send (POST /messages → Twilio accepted, stored) p50 (n=${SEND_COUNT})`,
        value: ms(send, 50),
        unit: 'ms',
      },
      { name: 'send p95', value: ms(send, 95), unit: 'ms' },
      { name: 'floor: Twilio client → double p50', value: ms(floorSend, 50), unit: 'ms' },
      { name: 'floor: Twilio client → double p95', value: ms(floorSend, 95), unit: 'ms' },
    )
    return rows
  } finally {
    if (realtime) {
      await realtime.agent.removeAllChannels()
    }
    await sweeper?.stop()
    await double?.stop()
    await backend.stop()
  }
}
