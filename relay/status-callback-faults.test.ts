import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendMessageResponseSchema } from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { seededRandom } from '../test/support/seeded-random.ts'
import { until } from '../test/support/until.ts'
import { accessToken, ensureContact } from './demo-accounts.ts'

/*
 * Twilio's status callbacks over a bad network: a fifth of them lost, the rest arriving
 * in any order. Every message must still reach its final status (the sweep fetches what
 * the callbacks never said), and no status may ever move backwards on the way.
 */

const MESSAGES = 60
const DROP_SHARE = 0.2

let stack: RelayStack
let benToken: string

beforeAll(async () => {
  const unlimited = { burst: 1_000_000, perSecond: 1_000_000 }
  stack = await startRelayStack({
    callbackDelayMs: 5,
    rateLimits: { perAgent: unlimited, perIp: unlimited },
    timing: { sweepIntervalMs: 100, statusCheckAfterMs: 300 },
  })
  benToken = await accessToken(stack.backend, 'ben@acme.test')
  // Every status change the database accepts, as it happens: the record a backwards move would leave.
  await stack.backend.db.exec(`
    create schema fault_audit;
    create table fault_audit.status_moves (message_id uuid, from_status text, to_status text);
    create function fault_audit.record_move() returns trigger language plpgsql security definer
      set search_path = '' as $$
    begin
      insert into fault_audit.status_moves values (new.id, old.status, new.status);
      return null;
    end;
    $$;
    create trigger messages_audit_status after update of status on public.messages
      for each row when (old.status is distinct from new.status) execute function fault_audit.record_move();
  `)
})

afterAll(async () => {
  await stack?.stop()
})

const rank: Record<string, number> = { queued: 0, pending: 0, sent: 1, delivered: 2, failed: 3 }

describe('status callbacks lost and reordered', () => {
  it(`every one of ${MESSAGES} messages ends delivered, once at Twilio, and no status moves backwards`, async () => {
    const random = seededRandom(20261125)
    stack.double.setFaults({ unreliableCallbacks: { dropShare: DROP_SHARE, random } })
    const contacts = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => ensureContact(stack.service, stack.demo.acme, `+1555750000${n}`)),
    )
    const bodies = Array.from({ length: MESSAGES }, (_, index) => `Status faults ${index}`)
    const ids: string[] = []
    // Ten at a time, as a busy team would send.
    for (let start = 0; start < MESSAGES; start += 10) {
      const answers = await Promise.all(
        bodies.slice(start, start + 10).map(async (body, offset) => {
          const response = await fetch(`${stack.relayUrl}/messages`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${benToken}` },
            body: JSON.stringify({
              workspace_id: stack.demo.acme,
              contact_id: contacts[(start + offset) % contacts.length]!.id,
              body,
              client_message_id: randomUUID(),
            }),
          })
          expect(response.status).toBe(201)
          return sendMessageResponseSchema.parse(await response.json()).message
        }),
      )
      ids.push(...answers.map((message) => message.id))
    }
    await stack.double.settled()

    const rows = async () => {
      const { data } = await stack.service
        .from('messages')
        .select('id, status, twilio_sid')
        .in('id', ids)
        .throwOnError()
      return data as { id: string; status: string; twilio_sid: string }[]
    }
    // Bounded; on a timeout the counts below say what stayed behind.
    await until(
      async () => (await rows()).every((row) => row.status === 'delivered'),
      'every message delivered',
      60_000,
    ).catch(() => undefined)

    const sids = new Set((await rows()).map((row) => row.twilio_sid))
    const posted = stack.double.callbacks.filter((callback) => sids.has(callback.sid))
    const dropped = stack.double.droppedCallbacks.filter((callback) => sids.has(callback.sid))
    const postedBySid = Map.groupBy(posted, (callback) => callback.sid)
    const reordered = [...postedBySid.values()].filter((callbacks) =>
      callbacks.some(
        (callback, index) => index > 0 && rank[callback.status]! < rank[callbacks[index - 1]!.status]!,
      ),
    ).length
    const finalOnlyFetched = dropped.filter((callback) => callback.status === 'delivered').length
    const fetches = stack.double.requests.filter(
      (request) => request.method === 'GET' && [...sids].some((sid) => request.path.endsWith(`/${sid}.json`)),
    ).length
    const atTwilio = [...stack.double.messages.values()].filter((message) =>
      bodies.includes(String(message.body)),
    )
    const duplicated = atTwilio.length - new Set(atTwilio.map((message) => message.body)).size
    const lost = bodies.length - new Set(atTwilio.map((message) => message.body)).size
    const final = await rows()
    const stuck = final.filter((row) => row.status !== 'delivered').length
    const moves = await stack.backend.db.query<{ from_status: string; to_status: string }>(
      `select from_status, to_status from fault_audit.status_moves where message_id = any($1::uuid[])`,
      [ids],
    )
    const backwards = moves.rows.filter(
      (move) => move.from_status === 'delivered' || rank[move.to_status]! < rank[move.from_status]!,
    ).length

    console.log(
      `status callback faults: ${MESSAGES} messages, ${posted.length} callbacks posted, ${dropped.length} dropped ` +
        `(${finalOnlyFetched} final), ${reordered} messages reordered, ${fetches} status fetches; ` +
        `lost ${lost}, duplicated ${duplicated}, stuck ${stuck}, backwards ${backwards}`,
    )
    // The faults really happened, so the outcome below was earned.
    expect(dropped.length).toBeGreaterThan(0)
    expect(finalOnlyFetched).toBeGreaterThan(0)
    expect(reordered).toBeGreaterThan(0)
    expect(fetches).toBeGreaterThanOrEqual(finalOnlyFetched)
    expect({ lost, duplicated, stuck, backwards }).toEqual({ lost: 0, duplicated: 0, stuck: 0, backwards: 0 })
    expect(moves.rows.length).toBeGreaterThanOrEqual(MESSAGES)
  }, 120_000)
})
