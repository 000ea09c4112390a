import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { until } from '../../../test/support/until.ts'
import type { WorkspacePresence } from '../../shared/domain.ts'
import type { SessionService } from '../session/session.ts'
import { createPresenceService, type PresenceService } from './presence.ts'

/*
 * Presence between two agents' main processes (Ava and Ben of Acme) over the real
 * local backend's Realtime, on the workspace's private channel, each with their own
 * signed-in supabase-js session.
 */

const { logger } = createMemoryLogger('presence-test')
let backend: LocalBackend
let demo: DemoIds
let dir: string
let conversations: string[]
const typingTtlMs = 300

interface Desk {
  session: SessionService
  presence: PresenceService
  /** Every presence this agent was told, newest last. */
  heard: WorkspacePresence[]
}
const desks: Record<'ava' | 'ben', Desk | null> = { ava: null, ben: null }

async function deskOf(email: string): Promise<Desk> {
  const session = await signedInSession(backend, mkdtempSync(join(dir, 'desk-')), logger, email)
  const heard: WorkspacePresence[] = []
  const presence = createPresenceService({
    client: session.client,
    userId: () => session.userId(),
    logger,
    onChange: (change) => heard.push(change),
    typingTtlMs,
  })
  presence.setWorkspaces([demo.acme])
  return { session, presence, heard }
}

/** What Ben last heard of the Acme conversations: contact id → "name" or "name typing". */
function benSees(): Record<string, string[]> {
  const last = desks.ben!.heard.findLast((change) => change.workspaceId === demo.acme)
  return Object.fromEntries(
    (last?.conversations ?? []).map(({ contactId, members }) => [
      contactId,
      members.map((member) => `${member.displayName}${member.typing ? ' typing' : ''}`),
    ]),
  )
}

const benSeesExactly = (expected: Record<string, string[]>, what: string) =>
  until(() => JSON.stringify(benSees()) === JSON.stringify(expected), what)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'presence-test-'))
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  demo = await demoIds(backend.db)
  conversations = (
    await backend.db.query<{ id: string }>(
      'select id from public.contacts where workspace_id = $1 order by phone_number limit 2',
      [demo.acme],
    )
  ).rows.map((row) => row.id)
  desks.ava = await deskOf('ava@acme.test')
  desks.ben = await deskOf('ben@acme.test')
})
afterAll(async () => {
  for (const desk of Object.values(desks)) {
    await desk?.presence.stop()
    desk?.session.dispose()
  }
  await backend?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('presence on the workspace channel', () => {
  it('shows a teammate viewing, then typing, and typing ends by itself', async () => {
    const [first] = conversations
    desks.ava!.presence.report({ workspaceId: demo.acme, contactId: first! }, false)
    await benSeesExactly({ [first!]: ['Ava Thompson'] }, 'Ava viewing at Ben')
    const typingFrom = desks.ben!.heard.length
    desks.ava!.presence.report({ workspaceId: demo.acme, contactId: first! }, true)
    await benSeesExactly({ [first!]: ['Ava Thompson typing'] }, 'Ava typing at Ben')
    // No keystroke report follows: after the time to live, she is viewing again.
    await benSeesExactly({ [first!]: ['Ava Thompson'] }, 'Ava’s typing expired')
    expect(
      desks.ben!.heard.slice(typingFrom).map((change) => change.conversations[0]?.members[0]?.typing),
    ).toEqual([true, false])
    // Nobody is shown their own presence.
    expect(desks.ava!.heard.flatMap((change) => change.conversations)).toEqual([])
  })

  it('follows the conversation a teammate opens, and shows two teammates each where they are', async () => {
    const [first, second] = conversations
    desks.ava!.presence.report({ workspaceId: demo.acme, contactId: second! }, false)
    await benSeesExactly({ [second!]: ['Ava Thompson'] }, 'Ava moved to the second conversation')
    desks.ben!.presence.report({ workspaceId: demo.acme, contactId: first! }, false)
    await until(
      () => desks.ava!.heard.at(-1)?.conversations[0]?.contactId === first,
      'Ben viewing the first conversation at Ava',
    )
    desks.ava!.presence.report(null, false)
    await benSeesExactly({}, 'Ava closed the conversation')
  })

  it('rejoins after the connection drops, tracking again what is open', async () => {
    const [first] = conversations
    desks.ava!.presence.report({ workspaceId: demo.acme, contactId: first! }, false)
    await benSeesExactly({ [first!]: ['Ava Thompson'] }, 'Ava viewing before the drop')
    await desks.ava!.session.client.realtime.disconnect()
    await benSeesExactly({}, 'Ava gone while her connection is down')
    desks.ava!.session.client.realtime.connect()
    await benSeesExactly({ [first!]: ['Ava Thompson'] }, 'Ava back after the reconnect')
  })

  it('leaves the channel when the agent leaves the workspace (sign-out)', async () => {
    const [first] = conversations
    desks.ava!.presence.report({ workspaceId: demo.acme, contactId: first! }, false)
    await benSeesExactly({ [first!]: ['Ava Thompson'] }, 'Ava viewing before sign-out')
    desks.ava!.presence.setWorkspaces([])
    await benSeesExactly({}, 'Ava gone after she left')
  })
})
