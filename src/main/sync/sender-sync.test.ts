import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { ensureContact } from '../../../relay/demo-accounts.ts'
import { serviceClient } from '../../../relay/embedded.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { until } from '../../../test/support/until.ts'
import { optOutOf, type ConsentState, type WorkspaceNumber } from '../../shared/consent-and-numbers.ts'
import { Cache } from '../cache/cache.ts'
import type { SessionService } from '../session/session.ts'
import { createSyncService, type SyncService } from './sync.ts'

/*
 * Consent and the workspace's numbers reach the cache as the relay writes them: a STOP
 * recorded in the ledger (the database derives the state) arrives live with its keyword,
 * a START after it flips the pair back, a state written while the socket was down comes
 * with the next backfill, and a number added to the workspace with the next catch-up.
 */

const { logger } = createMemoryLogger('sender-sync-test')
const FIRST_NUMBER = '+15550100001'
const SECOND_NUMBER = '+15550100031'
let backend: LocalBackend
let service: SupabaseClient
let session: SessionService
let cache: Cache
let sync: SyncService
let dir: string
let demo: DemoIds
let contactId: string
const consentChanges: ConsentState[] = []
const numberChanges: WorkspaceNumber[][] = []

const record = async (
  kind: 'opt_out' | 'opt_in',
  keyword: string,
  contact = contactId,
  sender = FIRST_NUMBER,
) => {
  const { data } = await service
    .from('consent_events')
    .insert({ workspace_id: demo.acme, contact_id: contact, sender, kind, keyword, source: 'inbound' })
    .select('id')
    .single()
    .throwOnError()
  return (data as { id: string }).id
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  service = serviceClient(backend)
  demo = await demoIds(backend.db)
  contactId = (await ensureContact(service, demo.acme, '+15557030001', 'Consent Tester')).id
  dir = mkdtempSync(join(tmpdir(), 'sender-sync-test-'))
  session = await signedInSession(backend, dir, logger)
  cache = Cache.open(join(dir, 'cache.sqlite'))
  sync = createSyncService({
    client: session.client,
    cache,
    logger,
    onChanges: (batch) => consentChanges.push(...batch.consent),
    onNumbers: (_workspaceId, numbers) => numberChanges.push(numbers),
    onState: () => {},
  })
  sync.setWorkspaces([demo.acme])
  await sync.whenLive()
})

afterAll(async () => {
  await sync.stop()
  session.dispose()
  cache.close()
  await backend.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('consent and numbers sync', () => {
  it('reads the workspace numbers on the first catch-up, oldest first', () => {
    expect(cache.senders.numbers(demo.acme).map((n) => n.phoneNumber)).toEqual([FIRST_NUMBER])
    expect(numberChanges).toHaveLength(1)
  })

  it('a STOP arrives live with its keyword, and a START flips the pair back', async () => {
    const stopId = await record('opt_out', 'Stop')
    await until(() => consentChanges.some((s) => s.eventId === stopId), 'the opt-out, live')
    const [state] = cache.senders.consentOf(contactId)
    expect(state).toMatchObject({
      contactId,
      sender: FIRST_NUMBER,
      optedOut: true,
      keyword: 'Stop',
      source: 'inbound',
      eventId: stopId,
    })
    expect(optOutOf([state!], contactId, FIRST_NUMBER, cache.senders.numbers(demo.acme))).toEqual(state)

    const startId = await record('opt_in', 'START')
    await until(() => consentChanges.some((s) => s.eventId === startId), 'the opt-in, live')
    expect(cache.senders.consentOf(contactId)).toEqual([
      expect.objectContaining({ optedOut: false, keyword: 'START', eventId: startId }),
    ])
    expect(consentChanges.filter((s) => s.eventId === startId && s.keyword === 'START')).toHaveLength(1)
  })

  it('a state changed while the socket was down comes with the backfill, once', async () => {
    const other = (await ensureContact(service, demo.acme, '+15557030002', 'Away Tester')).id
    await session.client.realtime.disconnect()
    const stopId = await record('opt_out', 'UNSUBSCRIBE', other)
    expect(cache.senders.consentOf(other)).toEqual([])
    session.client.realtime.connect()
    await until(() => cache.senders.consentOf(other).length === 1, 'the backfilled opt-out')
    await sync.whenLive()
    sync.resync('idempotence')
    await sync.whenLive()
    expect(cache.senders.consentOf(other)).toEqual([
      expect.objectContaining({ optedOut: true, keyword: 'UNSUBSCRIBE', source: 'inbound', eventId: stopId }),
    ])
    expect(consentChanges.filter((s) => s.eventId === stopId)).toHaveLength(1)
  })

  it('a number added to the workspace joins the list with the next catch-up', async () => {
    await service
      .from('twilio_numbers')
      .insert({
        workspace_id: demo.acme,
        phone_number: SECOND_NUMBER,
        twilio_sid: 'PN0123456789abcdef0123456789abcd31',
        messaging_service_sid: 'MG0123456789abcdef0123456789abcd31',
      })
      .throwOnError()
    sync.resync('numbers')
    await until(() => numberChanges.length === 2, 'the numbers announced again')
    expect(numberChanges[1]!.map((n) => n.phoneNumber)).toEqual([FIRST_NUMBER, SECOND_NUMBER])
    expect(cache.senders.numbers(demo.acme)[1]).toMatchObject({
      phoneNumber: SECOND_NUMBER,
      messagingServiceSid: 'MG0123456789abcdef0123456789abcd31',
    })
  })

  it('an opt-out of a Messaging Service covers every number in it, and no other', async () => {
    const service_sid = 'MG0123456789abcdef0123456789abcd31'
    const stopId = await record('opt_out', 'STOP', contactId, service_sid)
    await until(() => consentChanges.some((s) => s.eventId === stopId), 'the service opt-out, live')
    const numbers = cache.senders.numbers(demo.acme)
    const states = cache.senders.consentOf(contactId)
    expect(optOutOf(states, contactId, SECOND_NUMBER, numbers)?.sender).toBe(service_sid)
    expect(optOutOf(states, contactId, FIRST_NUMBER, numbers)).toBeNull()
  })
})
