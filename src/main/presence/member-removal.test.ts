import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createClient,
  type RealtimeChannel,
  type SupabaseClient,
  type SupabaseClientOptions,
} from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, type RawData } from 'ws'
import { joinResult } from '../../../local-backend/realtime/test-support.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { accessToken } from '../../../relay/demo-accounts.ts'
import { startRelayStack, type RelayStack } from '../../../test/support/relay-stack.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { until } from '../../../test/support/until.ts'
import type { WorkspacePresence } from '../../shared/domain.ts'
import { workspaceChannelTopic } from '../../shared/workspace-channel.ts'
import type { SessionService } from '../session/session.ts'
import { createPresenceService, type PresenceService } from './presence.ts'

/*
 * A member removed while a hostile client of theirs keeps its socket open on the
 * workspace's private channel and never sends a new token: Realtime (hosted, and ours)
 * checks channel policies only at join and at a new token, so that socket stays
 * joined. Removing the member rotates the channel key; Ava's and Ben's main processes
 * move to the new topic by themselves, and nothing the team does afterwards reaches
 * Cleo's socket. Real backend, the relay's member removal, real supabase-js and
 * WebSockets; Cleo's frames are counted as they come off the wire.
 */

const { logger } = createMemoryLogger('member-removal-test')
let stack: RelayStack
let dir: string
let conversations: string[]

interface Desk {
  session: SessionService
  presence: PresenceService
  heard: WorkspacePresence[]
}
const desks: Desk[] = []
const clients: SupabaseClient[] = []

/** Every frame the hostile client's socket received, in order, as it came off the wire. */
const wire: { data: RawData; isBinary: boolean }[] = []
class CountingWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols)
    this.on('message', (data, isBinary) => wire.push({ data, isBinary }))
  }
}

async function deskOf(email: string): Promise<Desk> {
  const session = await signedInSession(stack.backend, mkdtempSync(join(dir, 'desk-')), logger, email)
  const heard: WorkspacePresence[] = []
  const presence = createPresenceService({
    client: session.client,
    userId: () => session.userId(),
    logger,
    onChange: (change) => heard.push(change),
  })
  const desk = { session, presence, heard }
  desks.push(desk)
  presence.setWorkspaces([stack.demo.acme])
  return desk
}

type RealtimeTransport = NonNullable<NonNullable<SupabaseClientOptions<'public'>['realtime']>['transport']>

/** A supabase-js client that keeps `email`'s first access token for good, as a hostile client would. */
async function fixedTokenClient(
  email: string,
  transport?: typeof CountingWebSocket,
): Promise<SupabaseClient> {
  const token = await accessToken(stack.backend, email)
  const client = createClient(stack.backend.url, stack.backend.publishableKey, {
    accessToken: async () => token,
    // ws's WebSocket is what realtime-js itself falls back to in Node; only its event typings differ from the DOM's.
    realtime: transport ? { transport: transport as unknown as RealtimeTransport } : {},
  })
  await client.realtime.setAuth(token)
  clients.push(client)
  return client
}

async function acmeTopic(client: SupabaseClient): Promise<string | null> {
  const { data } = await client
    .from('workspace_channel_keys')
    .select('workspace_id, key')
    .eq('workspace_id', stack.demo.acme)
    .maybeSingle()
  return data ? workspaceChannelTopic(data as { workspace_id: string; key: string }) : null
}

/** Joins `topic` privately, recording each broadcast heard, and listening to presence when told. */
async function broadcaster(
  client: SupabaseClient,
  topic: string,
  heard: unknown[],
  presence = false,
): Promise<RealtimeChannel> {
  const channel = client.channel(topic, { config: { private: true } })
  channel.on('broadcast', { event: 'note' }, (message) => heard.push(message.payload))
  if (presence) channel.on('presence', { event: 'sync' }, () => {})
  expect(await joinResult(channel)).toBeNull()
  return channel
}

/** Who `desk` last heard on which Acme conversation: contact id → display names (with " typing"). */
function seenBy(desk: Desk): Record<string, string[]> {
  const last = desk.heard.findLast((change) => change.workspaceId === stack.demo.acme)
  return Object.fromEntries(
    (last?.conversations ?? []).map(({ contactId, members }) => [
      contactId,
      members.map((member) => `${member.displayName}${member.typing ? ' typing' : ''}`),
    ]),
  )
}

/** Whether this desk's client is joined to `topic` and to no other workspace channel. */
const onlyOn = (desk: Desk, topic: string) => {
  const joined = desk.session.client
    .getChannels()
    .filter((channel) => channel.subTopic.startsWith('workspace:'))
  return joined.length === 1 && joined[0]!.subTopic === topic && joined[0]!.state === 'joined'
}

/** A frame of Phoenix's vsn 2.0.0 JSON encoding: [join_ref, ref, topic, event, payload]; binary frames are user broadcasts. */
type Frame =
  | { kind: 'broadcast' }
  | { kind: 'presence'; event: string; payload: Record<string, unknown> }
  | { kind: 'other' }
function frameOf({ data, isBinary }: (typeof wire)[number]): Frame {
  if (isBinary) return { kind: 'broadcast' }
  const [, , , event, payload] = JSON.parse(String(data)) as [
    unknown,
    unknown,
    string,
    string,
    Record<string, unknown>,
  ]
  if (event === 'broadcast') return { kind: 'broadcast' }
  if (event === 'presence_diff' || event === 'presence_state') return { kind: 'presence', event, payload }
  return { kind: 'other' }
}

/**
 * Presence and broadcast frames among `received`. A presence diff that only says who
 * left is a departure: the team leaving the old topic, which tells of nothing done after.
 */
function tally(received: typeof wire): { presence: number; broadcasts: number; departures: number } {
  const frames = received.map(frameOf)
  const departures = frames.filter(
    (frame) =>
      frame.kind === 'presence' &&
      frame.event === 'presence_diff' &&
      Object.keys((frame.payload.joins ?? {}) as object).length === 0,
  ).length
  return {
    presence: frames.filter((frame) => frame.kind === 'presence').length - departures,
    broadcasts: frames.filter((frame) => frame.kind === 'broadcast').length,
    departures,
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'member-removal-test-'))
  stack = await startRelayStack()
  // Cleo of Globex is Acme's third member here; her profile comes with the membership.
  await stack.service
    .from('workspace_members')
    .insert({ workspace_id: stack.demo.acme, user_id: stack.demo.cleo, role: 'agent' })
    .throwOnError()
  conversations = (
    await stack.backend.db.query<{ id: string }>(
      'select id from public.contacts where workspace_id = $1 order by phone_number limit 2',
      [stack.demo.acme],
    )
  ).rows.map((row) => row.id)
})
afterAll(async () => {
  for (const desk of desks) {
    await desk.presence.stop()
    desk.session.dispose()
  }
  await Promise.all(clients.map((client) => client.removeAllChannels()))
  await stack?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('a removed member with a hostile client that keeps its socket', () => {
  it('hears nothing the team does after the removal, while the team carries on on the new topic', async () => {
    const [first, second] = conversations as [string, string]
    const ava = await deskOf('ava@acme.test')
    const ben = await deskOf('ben@acme.test')
    ava.presence.report({ workspaceId: stack.demo.acme, contactId: first }, false)
    await until(
      () => JSON.stringify(seenBy(ben)) === JSON.stringify({ [first]: ['Ava Thompson'] }),
      'Ava at Ben',
    )

    // Cleo, still a member, reads the key and joins; her client never sends another token.
    const cleo = await fixedTokenClient('cleo@globex.test', CountingWebSocket)
    const oldTopic = await acmeTopic(cleo)
    if (!oldTopic) throw new Error('Cleo, a member, reads Acme’s channel key')
    const cleoHeard: unknown[] = []
    const hostile = await broadcaster(cleo, oldTopic, cleoHeard, true)
    expect(await hostile.track({ here: 'cleo' })).toBe('ok')
    await until(
      () => JSON.stringify(hostile.presenceState()).includes('Ava Thompson'),
      'Ava in Cleo’s presence',
    )
    const avaRaw = await fixedTokenClient('ava@acme.test')
    const avaSends = await broadcaster(avaRaw, oldTopic, [])
    expect(await avaSends.send({ type: 'broadcast', event: 'note', payload: { n: 'before' } })).toBe('ok')
    await until(() => cleoHeard.length === 1, 'the broadcast before the removal at Cleo')
    expect(cleoHeard).toEqual([{ n: 'before' }])

    const removedAt = wire.length
    const removal = await fetch(`${stack.relayUrl}/members/remove`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${await accessToken(stack.backend, 'ava@acme.test')}`,
      },
      body: JSON.stringify({ workspace_id: stack.demo.acme, user_id: stack.demo.cleo }),
    })
    expect(removal.status).toBe(200)

    // Ava's and Ben's presence moves to the new topic by itself, and recovers there.
    const newTopic = await acmeTopic(stack.service)
    expect(newTopic).not.toBe(oldTopic)
    await until(() => onlyOn(ava, newTopic!) && onlyOn(ben, newTopic!), 'both desks on the new topic')
    await until(
      () => JSON.stringify(seenBy(ben)) === JSON.stringify({ [first]: ['Ava Thompson'] }),
      'Ava at Ben again',
    )

    // The team carries on: presence both ways, and broadcasts on the new topic.
    ava.presence.report({ workspaceId: stack.demo.acme, contactId: second }, true)
    await until(
      () => JSON.stringify(seenBy(ben)) === JSON.stringify({ [second]: ['Ava Thompson typing'] }),
      'Ava typing at Ben on the new topic',
    )
    ben.presence.report({ workspaceId: stack.demo.acme, contactId: first }, false)
    await until(
      () => JSON.stringify(seenBy(ava)) === JSON.stringify({ [first]: ['Ben Okafor'] }),
      'Ben at Ava',
    )
    const benNotes: unknown[] = []
    await broadcaster(await fixedTokenClient('ben@acme.test'), newTopic!, benNotes)
    const avaOnNew = await broadcaster(avaRaw, newTopic!, [])
    expect(await avaOnNew.send({ type: 'broadcast', event: 'note', payload: { n: 'after' } })).toBe('ok')
    await until(() => benNotes.length === 1, 'the broadcast after the removal at Ben')

    // A last broadcast on the old topic, from the service role: once Cleo has it, anything sent before it has arrived.
    const sentinel = stack.service.channel(oldTopic, { config: { private: true } })
    expect(await sentinel.httpSend('note', { n: 'sentinel' })).toEqual({ success: true })
    await until(() => cleoHeard.length === 2, 'the sentinel at Cleo')

    const before = tally(wire.slice(0, removedAt))
    const after = tally(wire.slice(removedAt))
    console.log(
      `frames at the removed member's socket after the removal: ${after.presence} presence, ${after.broadcasts - 1} broadcasts (besides the sentinel), ${after.departures} departures of the team from the old topic; before it: ${before.presence} presence, ${before.broadcasts} broadcasts`,
    )
    // The same count sees the team's frames while Cleo was a member, so its zero afterwards is no blind spot.
    expect(before.presence).toBeGreaterThan(0)
    expect(before.broadcasts).toBe(1)
    expect({ presence: after.presence, broadcasts: after.broadcasts - 1 }).toEqual({
      presence: 0,
      broadcasts: 0,
    })
    expect(cleoHeard).toEqual([{ n: 'before' }, { n: 'sentinel' }])

    // The new topic is refused to Cleo's token, and its key is not hers to read.
    expect(await acmeTopic(cleo)).toBeNull()
    expect(await joinResult(cleo.channel(newTopic!, { config: { private: true } }))).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${newTopic}`,
    )
  })
})
