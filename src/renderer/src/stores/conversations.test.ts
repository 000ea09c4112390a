import { beforeEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../../shared/domain.ts'
import { filterConversations, useConversations } from './conversations.ts'

const workspaceId = '11111111-1111-4111-8111-111111111111'
const at = (minutesAgo: number) => new Date(Date.UTC(2026, 10, 24, 12, 0) - minutesAgo * 60_000).toISOString()
const conversation = (n: number, minutesAgo: number, extra: Partial<Conversation> = {}): Conversation => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  workspaceId,
  phoneNumber: `+1555000${String(n).padStart(4, '0')}`,
  name: `Customer ${n}`,
  email: null,
  status: 'Open',
  unreadCount: 0,
  lastMessageAt: at(minutesAgo),
  lastMessagePreview: 'hi',
  updatedAt: at(minutesAgo),
  ...extra,
})

/** Seeds the store as a loaded workspace list would, without a transport. */
function seed(items: Conversation[]) {
  useConversations.setState({ byId: {}, lists: { [workspaceId]: { order: [], status: 'ready', error: null } } })
  useConversations.getState().upsertMany(items)
}
const order = () => useConversations.getState().lists[workspaceId]!.order

describe('conversations store', () => {
  beforeEach(() => seed([conversation(1, 10), conversation(2, 20), conversation(3, 30)]))

  it('keeps the list sorted by last activity, newest first', () => {
    expect(order()).toEqual([conversation(1, 0).id, conversation(2, 0).id, conversation(3, 0).id])
  })

  it('moves a conversation with a new message to the top and keeps the others in place', () => {
    useConversations.getState().upsert(conversation(3, 1, { unreadCount: 1 }))
    expect(order()).toEqual([conversation(3, 0).id, conversation(1, 0).id, conversation(2, 0).id])
    expect(useConversations.getState().byId[conversation(3, 0).id]!.unreadCount).toBe(1)
  })

  it('ignores an update older than what it has', () => {
    useConversations.getState().upsert(conversation(2, 5, { updatedAt: at(1), unreadCount: 4 }))
    useConversations.getState().upsert(conversation(2, 40, { updatedAt: at(50), unreadCount: 9 }))
    expect(useConversations.getState().byId[conversation(2, 0).id]!.unreadCount).toBe(4)
    expect(order()[0]).toBe(conversation(2, 0).id)
  })

  it('gives the same order for one burst as for one-by-one updates', () => {
    const burst = Array.from({ length: 500 }, (_, i) => conversation(100 + i, (i * 7919) % 1000))
    useConversations.getState().upsertMany(burst)
    const batched = order()
    seed([conversation(1, 10), conversation(2, 20), conversation(3, 30)])
    for (const item of burst) useConversations.getState().upsert(item)
    expect(order()).toEqual(batched)
    expect(batched).toHaveLength(503)
  })

  it('counts every filter and lists only the chosen status', () => {
    useConversations.getState().upsertMany([conversation(2, 20, { status: 'Pending', updatedAt: at(0) }), conversation(3, 30, { status: 'Done', updatedAt: at(0) })])
    const { byId } = useConversations.getState()
    expect(filterConversations(order(), byId, 'Pending')).toEqual({
      ids: [conversation(2, 0).id],
      counts: { Open: 1, Pending: 1, Done: 1, All: 3 },
    })
    expect(filterConversations(order(), byId, 'All').ids).toHaveLength(3)
  })
})
