import { beforeEach, describe, expect, it } from 'vitest'
import { requests as contractRequests, type AppApi, type RequestOf } from '../../../shared/contract.ts'
import type { Conversation } from '../../../shared/domain.ts'
import { err } from '../../../shared/errors.ts'
import { setApi } from '../api/api.ts'
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
  useConversations.setState({
    byId: {},
    lists: { [workspaceId]: { order: [], status: 'ready', error: null, complete: true, counts: null } },
  })
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
    useConversations
      .getState()
      .upsertMany([
        conversation(2, 20, { status: 'Pending', updatedAt: at(0) }),
        conversation(3, 30, { status: 'Done', updatedAt: at(0) }),
      ])
    const { byId } = useConversations.getState()
    expect(filterConversations(order(), byId, 'Pending')).toEqual({
      ids: [conversation(2, 0).id],
      counts: { Open: 1, Pending: 1, Done: 1, All: 3 },
    })
    expect(filterConversations(order(), byId, 'All').ids).toHaveLength(3)
  })
})

/**
 * The transport stand-in for the host's paged `conversations.list` (the host's own paging is
 * tested on real SQLite in src/main/cache): answers from a sorted array, one page per
 * request, each held until the test lets it through, so events can land between pages.
 */
function pagedApi(all: Conversation[]) {
  const sorted = [...all].sort((a, b) =>
    a.lastMessageAt! < b.lastMessageAt! ? 1 : a.lastMessageAt! > b.lastMessageAt! ? -1 : a.id < b.id ? -1 : 1,
  )
  const held: (() => void)[] = []
  const requests: RequestOf<'conversations.list'>[] = []
  let failing = false
  const api: AppApi = {
    request(channel, payload) {
      if (channel !== 'conversations.list') return Promise.resolve(err('internal', `unexpected ${channel}`))
      const request = payload as RequestOf<'conversations.list'>
      requests.push(request)
      const start = request.after ? sorted.findIndex((c) => c.id === request.after!.id) + 1 : 0
      const end = request.limit ? start + request.limit : sorted.length
      const counts = { Open: 0, Pending: 0, Done: 0, All: sorted.length }
      for (const c of sorted) counts[c.status] += 1
      const value = { items: sorted.slice(start, end), counts, hasMore: end < sorted.length }
      return new Promise((resolve) =>
        held.push(() =>
          resolve(
            (failing
              ? err('offline', 'gone')
              : { ok: true, value: contractRequests['conversations.list'].response.parse(value) }) as never,
          ),
        ),
      )
    },
    on: () => () => {},
  }
  const release = async () => {
    for (let tries = 0; held.length === 0 && tries < 50; tries += 1)
      await new Promise((resolve) => setTimeout(resolve, 0))
    held.shift()!()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  return {
    api,
    requests,
    release,
    fail() {
      failing = true
    },
  }
}

describe('conversations store, paged first load', () => {
  const many = Array.from({ length: 250 }, (_, i) =>
    conversation(1000 + i, 100 + i, { status: i % 5 === 0 ? 'Done' : 'Open' }),
  )
  const list = () => useConversations.getState().lists[workspaceId]!

  beforeEach(() => useConversations.getState().reset())

  it('paints the first page, fetches the rest after it, and counts from the host until every page is in', async () => {
    const host = pagedApi(many)
    setApi(host.api)
    const loading = useConversations.getState().load(workspaceId)
    expect(list().status).toBe('loading')
    await host.release()
    // Rows to show, yet still loading: a filter without rows so far shows skeletons, not "nothing here".
    expect(list()).toMatchObject({
      status: 'loading',
      complete: false,
      counts: { Open: 200, Done: 50, All: 250 },
    })
    expect(order()).toEqual(many.slice(0, 100).map((c) => c.id))
    expect(host.requests[0]).toEqual({ workspaceId, filter: 'All', limit: 100 })

    // Between pages: a conversation of a later page gets a message, and a new one appears.
    const moved = conversation(1200, 1, { updatedAt: at(0), status: 'Done' })
    const fresh = conversation(9, 2)
    useConversations.getState().upsertMany([moved, fresh])
    expect(order().slice(0, 3)).toEqual([moved.id, fresh.id, many[0]!.id])

    await host.release()
    expect(host.requests[1]).toMatchObject({
      limit: 2000,
      after: { id: many[99]!.id, lastMessageAt: many[99]!.lastMessageAt },
    })
    await loading
    expect(list()).toMatchObject({ status: 'ready', complete: true, counts: null })
    // The page's older copy of the moved conversation loses to the event's newer one.
    expect(order()).toEqual([moved.id, fresh.id, ...many.filter((c) => c.id !== moved.id).map((c) => c.id)])
    expect(new Set(order()).size).toBe(251)
    expect(filterConversations(order(), useConversations.getState().byId, 'All').counts).toEqual({
      Open: 201,
      Pending: 0,
      Done: 50,
      All: 251,
    })
  })

  it('keeps what is on screen when a later page fails, and shows an error only for an empty list', async () => {
    const host = pagedApi(many)
    setApi(host.api)
    const loading = useConversations.getState().load(workspaceId)
    await host.release()
    host.fail()
    await host.release()
    await loading
    expect(list()).toMatchObject({ status: 'ready', complete: false })
    expect(order()).toHaveLength(100)

    useConversations.getState().reset()
    const again = useConversations.getState().load(workspaceId)
    await host.release()
    await again
    expect(list()).toMatchObject({ status: 'error', error: { kind: 'offline' } })
  })

  it('drops conversations the host no longer has when the list is loaded again', async () => {
    const host = pagedApi(many)
    setApi(host.api)
    const first = useConversations.getState().load(workspaceId)
    await host.release()
    await host.release()
    await first
    const gone = many[3]!

    const smaller = pagedApi(many.filter((c) => c !== gone))
    setApi(smaller.api)
    const second = useConversations.getState().load(workspaceId)
    await smaller.release()
    // Still the whole list while the reload runs: nothing blinks away.
    expect(order()).toHaveLength(250)
    expect(list().complete).toBe(true)
    await smaller.release()
    await second
    expect(order()).toEqual(many.filter((c) => c !== gone).map((c) => c.id))
  })

  it('joins a load already under way, and a load orphaned by sign-out applies nothing', async () => {
    const host = pagedApi(many)
    setApi(host.api)
    const first = useConversations.getState().load(workspaceId)
    // The page asks at start and the list again as it mounts: one load serves both.
    expect(useConversations.getState().load(workspaceId)).toBe(first)
    await host.release()
    await host.release()
    await first
    expect(host.requests.map((r) => r.limit)).toEqual([100, 2000])
    expect(order()).toHaveLength(250)

    const orphaned = useConversations.getState().load(workspaceId)
    await host.release()
    useConversations.getState().reset()
    await host.release()
    await orphaned
    expect(useConversations.getState().lists).toEqual({})
    expect(useConversations.getState().byId).toEqual({})
  })
})
