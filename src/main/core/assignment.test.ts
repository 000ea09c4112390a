import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import type { ResponseOf } from '../../shared/contract.ts'
import type { Conversation, Member } from '../../shared/domain.ts'
import {
  coreAgainstStack,
  customerTexts,
  removeTestPlatforms,
  teammateOf,
  value,
} from '../../../test/support/core-harness.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'
import { conversationsCapability } from './conversations-capability.ts'
import { membersCapability } from './members-capability.ts'

/*
 * Two agents of Acme, each with a core of their own against one backend: Ava assigns,
 * Ben's inbox follows live through Realtime, and the server keeps who assigned whom.
 */

afterAll(removeTestPlatforms)

type List = ResponseOf<'conversations.list'>

describe('assignment between two agents', () => {
  let contact: TestContact
  const ava = coreAgainstStack({
    capabilities: (services) => [conversationsCapability(services), membersCapability(services)],
    prepare: async (stack) => {
      contact = await ensureContact(stack.service, stack.demo.acme, '+15557180001', 'Assign Tester')
    },
    signIn: 'ava@acme.test',
  })
  const ben = teammateOf(ava, {
    capabilities: (services) => [conversationsCapability(services), membersCapability(services)],
    signIn: 'ben@acme.test',
  })

  beforeAll(async () => {
    await ava.start()
    await ben.start()
  })
  afterAll(async () => {
    await ben.stop()
    await ava.stop()
  })

  const benList = (view: 'mine' | 'unassigned' | 'all') =>
    value<List>(ben.dispatch, 'conversations.list', { workspaceId: ava.stack.demo.acme, filter: 'All', view })
  const history = async () => {
    const { data, error } = await ava.stack.service
      .from('conversation_assignments')
      .select('assignee_id, assigned_by')
      .eq('contact_id', contact.id)
      .order('assigned_at')
    if (error) throw new Error(error.message)
    return data
  }

  it('lists the workspace’s members by name with role and colour, never another workspace’s', async () => {
    const members = await value<Member[]>(ava.dispatch, 'members.list', { workspaceId: ava.stack.demo.acme })
    expect(members.map((m) => [m.displayName, m.role, m.userId])).toEqual([
      ['Ava Thompson', 'owner', ava.stack.demo.ava],
      ['Ben Okafor', 'agent', ava.stack.demo.ben],
    ])
    expect(members.every((m) => /^#[0-9a-f]{6}$/.test(m.avatarColor))).toBe(true)
    expect(await ava.dispatch('members.list', { workspaceId: ava.stack.demo.globex })).toMatchObject({
      ok: false,
      error: { kind: 'forbidden' },
    })
  })

  it('syncs the seed’s assignments into the Mine and Unassigned views, with their counts', async () => {
    const { data } = await ava.stack.service
      .from('contacts')
      .select('id, assignee_id, unread_count')
      .eq('workspace_id', ava.stack.demo.acme)
    const rows = data as { id: string; assignee_id: string | null; unread_count: number }[]
    const mine = rows.filter((r) => r.assignee_id === ava.stack.demo.ben)
    const unassigned = rows.filter((r) => r.assignee_id === null)
    expect(mine.length).toBeGreaterThan(0)
    const sum = (list: typeof rows) => list.reduce((total, r) => total + r.unread_count, 0)
    const [benMine, benUnassigned, benAll] = await Promise.all([
      benList('mine'),
      benList('unassigned'),
      benList('all'),
    ])
    expect(benMine.items.map((c) => c.id).sort()).toEqual(mine.map((r) => r.id).sort())
    expect(benUnassigned.items.map((c) => c.id).sort()).toEqual(unassigned.map((r) => r.id).sort())
    expect(benAll.items).toHaveLength(rows.length)
    expect(benAll.views).toEqual({
      mine: { conversations: mine.length, unread: sum(mine) },
      unassigned: { conversations: unassigned.length, unread: sum(unassigned) },
      all: { conversations: rows.length, unread: sum(rows) },
    })
  })

  it('Ava assigns to Ben and back to nobody: Ben’s inbox follows live, the server records who did it', async () => {
    const before = (await benList('mine')).views.mine
    const since = ben.events.mark()
    const assigned = await value<Conversation>(ava.dispatch, 'conversations.assign', {
      contactId: contact.id,
      assigneeId: ava.stack.demo.ben,
    })
    expect(assigned.assigneeId).toBe(ava.stack.demo.ben)
    const seen = await waitForItem(
      ben.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.assigneeId === ava.stack.demo.ben,
      'the assignment on Ben’s screen',
      { since },
    )
    const mine = await benList('mine')
    expect(mine.items.map((c) => c.id)).toContain(contact.id)
    expect(mine.views.mine).toEqual({
      conversations: before.conversations + 1,
      unread: before.unread + seen.unreadCount,
    })

    await value<Conversation>(ava.dispatch, 'conversations.assign', {
      contactId: contact.id,
      assigneeId: null,
    })
    await waitForItem(
      ben.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.assigneeId === null,
      'the unassignment on Ben’s screen',
      { since },
    )
    expect((await benList('unassigned')).items.map((c) => c.id)).toContain(contact.id)
    expect((await benList('mine')).views.mine).toEqual(before)
    expect(await history()).toEqual([
      { assignee_id: ava.stack.demo.ben, assigned_by: ava.stack.demo.ava },
      { assignee_id: null, assigned_by: ava.stack.demo.ava },
    ])
  })

  it('refuses an assignee from another workspace or nobody’s, and changes nothing', async () => {
    for (const assigneeId of [ava.stack.demo.cleo, crypto.randomUUID()]) {
      expect(await ava.dispatch('conversations.assign', { contactId: contact.id, assigneeId })).toEqual({
        ok: false,
        error: {
          kind: 'invalid_input',
          message: 'Only a member of this workspace can be assigned its conversations.',
        },
      })
    }
    expect(await history()).toHaveLength(2)
  })

  it('an inbound text reopens a Done conversation on Ben’s screen and keeps it his', async () => {
    await value(ava.dispatch, 'conversations.assign', {
      contactId: contact.id,
      assigneeId: ava.stack.demo.ben,
    })
    await value(ava.dispatch, 'conversations.setStatus', { contactId: contact.id, status: 'Done' })
    const since = ben.events.mark()
    await waitForItem(
      ben.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.status === 'Done' && c.assigneeId === ava.stack.demo.ben,
      'Done on Ben’s screen',
    )
    const before = (await benList('mine')).views.mine
    await customerTexts(ava, contact.phone_number, 'Actually, one more question')
    const reopened = await waitForItem(
      ben.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.status === 'Open',
      'the reopened conversation on Ben’s screen',
      { since },
    )
    expect(reopened.assigneeId).toBe(ava.stack.demo.ben)
    expect((await benList('mine')).views.mine).toEqual({
      conversations: before.conversations,
      unread: before.unread + 1,
    })
  })

  it('a renamed member reaches the other agent’s screen by name', async () => {
    const runtime = (await ava.services.runtime.current())!
    const since = ben.events.mark()
    const { error } = await runtime.session.client
      .from('member_profiles')
      .update({ display_name: 'Ava T.' })
      .eq('workspace_id', ava.stack.demo.acme)
      .eq('user_id', ava.stack.demo.ava)
    expect(error).toBeNull()
    const changed = await ben.events.waitForEvent(
      'members.changed',
      (payload) => payload.members.some((m) => m.displayName === 'Ava T.'),
      'the new name on Ben’s screen',
      { since },
    )
    expect(changed.workspaceId).toBe(ava.stack.demo.acme)
    expect(
      (await value<Member[]>(ben.dispatch, 'members.list', { workspaceId: ava.stack.demo.acme })).map(
        (m) => m.displayName,
      ),
    ).toEqual(['Ava T.', 'Ben Okafor'])
  })
})
