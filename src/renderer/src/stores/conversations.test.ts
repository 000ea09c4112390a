import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  shellAgent,
  startShellCore,
  type ShellCoreStack,
  type ShellPage,
} from '../../../../test/support/shell-host.ts'
import type { EventChannel, EventOf, RequestOf } from '../../../shared/contract.ts'
import type { Conversation } from '../../../shared/domain.ts'
import type { ContactRow } from '../../../shared/rows/contacts.ts'
import { setApi } from '../api/api.ts'
import { createWebSocketApi } from '../api/websocket-api.ts'
import { filterConversations, useConversations } from './conversations.ts'

const workspaceId = '33333333-3333-4333-8333-333333333333'
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
  assigneeId: null,
  ...extra,
})

/** Seeds the store as a loaded workspace list would, without a transport. */
function seed(items: Conversation[]) {
  useConversations.setState({
    byId: {},
    lists: {
      [workspaceId]: { order: [], status: 'ready', error: null, complete: true, counts: null, views: null },
    },
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
    expect(filterConversations(order(), byId, 'Pending')).toMatchObject({
      ids: [conversation(2, 0).id],
      counts: { Open: 1, Pending: 1, Done: 1, All: 3 },
    })
    expect(filterConversations(order(), byId, 'All').ids).toHaveLength(3)
  })

  it('narrows to Mine or Unassigned, counting each view’s conversations and unread messages', () => {
    const me = '44444444-4444-4444-8444-444444444444'
    const colleague = '55555555-5555-4555-8555-555555555555'
    useConversations
      .getState()
      .upsertMany([
        conversation(2, 20, { assigneeId: me, unreadCount: 2, updatedAt: at(0) }),
        conversation(3, 30, { assigneeId: me, status: 'Done', updatedAt: at(0) }),
        conversation(4, 40, { assigneeId: colleague, unreadCount: 5, updatedAt: at(0) }),
        conversation(5, 50, { unreadCount: 1, updatedAt: at(0) }),
      ])
    const { byId } = useConversations.getState()
    const views = {
      mine: { conversations: 2, unread: 2 },
      unassigned: { conversations: 2, unread: 1 },
      all: { conversations: 5, unread: 8 },
    }
    expect(filterConversations(order(), byId, 'All', 'mine', me)).toEqual({
      ids: [conversation(2, 0).id, conversation(3, 0).id],
      counts: { Open: 1, Pending: 0, Done: 1, All: 2 },
      views,
    })
    expect(filterConversations(order(), byId, 'Open', 'unassigned', me)).toEqual({
      ids: [conversation(1, 0).id, conversation(5, 0).id],
      counts: { Open: 2, Pending: 0, Done: 0, All: 2 },
      views,
    })
    expect(filterConversations(order(), byId, 'Open', 'all', me).ids).toHaveLength(4)
  })
})

/*
 * The paged first load, over the real transport: the renderer's WebSocket client
 * (websocket-api.ts) talks to the browser shell's server on 127.0.0.1, which hands
 * each request to the real core, signed in to a seeded local backend whose paging
 * workspace holds `many` (test/support/shell-host.ts).
 */
const many = Array.from({ length: 250 }, (_, i) => ({
  id: conversation(1000 + i, 0).id,
  workspace_id: workspaceId,
  phone_number: `+1555000${1000 + i}`,
  name: `Customer ${1000 + i}`,
  conversation_status: i % 5 === 0 ? 'Done' : 'Open',
  last_message_at: at(100 + i),
})) satisfies Partial<ContactRow>[]
const ids = (rows: { id: string }[]) => rows.map((row) => row.id)
/** A workspace of many pages: 100, then 500 at a time, the last one short. */
const pagedWorkspaceId = '44444444-4444-4444-8444-444444444444'
const manyPages = Array.from({ length: 2_700 }, (_, i) => ({
  id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
  workspace_id: pagedWorkspaceId,
  phone_number: `+1556${String(i).padStart(7, '0')}`,
  name: `Paged ${i}`,
  conversation_status: 'Open',
  last_message_at: at(100 + i),
})) satisfies Partial<ContactRow>[]

let stack: ShellCoreStack

interface Connection {
  api: ReturnType<typeof createWebSocketApi>
  page: ShellPage
  /** Every conversations.list request the host received, in order. */
  listRequests(): RequestOf<'conversations.list'>[]
}
const open: Connection[] = []

/** A browser shell server over the shared core, and the page's own client connected to it. */
async function connect(): Promise<Connection> {
  const page = await stack.openPage()
  vi.stubGlobal('WebSocket', page.BrowserWebSocket)
  const connection: Connection = {
    api: createWebSocketApi(page.socketUrl, Promise.resolve(page.secret)),
    page,
    listRequests: () =>
      page.requests
        .filter((request) => request.channel === 'conversations.list')
        .map((request) => request.payload as RequestOf<'conversations.list'>),
  }
  open.push(connection)
  setApi(connection.api)
  return connection
}

/** Resolves with the payload of the first `event` that `matches`, as the page receives it. */
function nextEvent<E extends EventChannel>(
  api: Connection['api'],
  event: E,
  matches: (payload: EventOf<E>) => boolean,
): Promise<EventOf<E>> {
  return new Promise((resolve) => {
    const off = api.on(event, (payload) => {
      if (!matches(payload)) return
      off()
      resolve(payload)
    })
  })
}

/** Watches not fired yet; cleared after each test, so one left by a failed test cannot fire in the next. */
const watching = new Set<() => void>()

/**
 * Runs `then` once, the moment the store next applies a page (or an update): after
 * it is on screen and before the store asks for the next page. The version is read
 * from the store, not from the notification, which may be an older one still being
 * delivered when a watch is added from inside another.
 */
function afterNextPage(then: () => void): void {
  const from = useConversations.getState().version
  const stop = useConversations.subscribe(() => {
    if (useConversations.getState().version === from) return
    stop()
    watching.delete(stop)
    then()
  })
  watching.add(stop)
}

async function disconnectAll(): Promise<void> {
  for (const stop of watching) stop()
  watching.clear()
  for (const connection of open.splice(0)) {
    connection.api.close()
    await connection.page.close()
  }
  vi.unstubAllGlobals()
}

beforeAll(async () => {
  stack = await startShellCore(async (service, demo) => {
    await service.from('workspaces').insert({ id: workspaceId, name: 'Paging' }).throwOnError()
    await service
      .from('workspace_members')
      .insert({ workspace_id: workspaceId, user_id: demo.ben, role: 'agent' })
      .throwOnError()
    await service.from('contacts').insert(many).throwOnError()
    await service.from('workspaces').insert({ id: pagedWorkspaceId, name: 'Many pages' }).throwOnError()
    await service
      .from('workspace_members')
      .insert({ workspace_id: pagedWorkspaceId, user_id: demo.ben, role: 'agent' })
      .throwOnError()
    // In requests of 1,000: the REST server bounds a request's body.
    for (let from = 0; from < manyPages.length; from += 1_000)
      await service
        .from('contacts')
        .insert(manyPages.slice(from, from + 1_000))
        .throwOnError()
  })
  const { api } = await connect()
  // The first sync sends every conversation of the workspace in batch events once it is cached.
  const synced = new Set<string>()
  const allSynced = nextEvent(api, 'conversations.upserted', (batch) => {
    for (const conversation of batch)
      if (conversation.workspaceId === workspaceId || conversation.workspaceId === pagedWorkspaceId)
        synced.add(conversation.id)
    return synced.size === many.length + manyPages.length
  })
  const signIn = await api.request('session.signIn', {
    email: shellAgent.email,
    password: shellAgent.password,
  })
  expect(signIn).toMatchObject({ ok: true, value: { status: 'signed-in' } })
  await allSynced
  await disconnectAll()
})

afterEach(disconnectAll)

afterAll(async () => {
  await stack?.stop()
})

describe('conversations store, paged first load over the browser shell', () => {
  const list = () => useConversations.getState().lists[workspaceId]!

  beforeEach(() => useConversations.getState().reset())

  it('paints the first page, fetches the rest after it, and counts from the host until every page is in', async () => {
    const { listRequests } = await connect()
    // An event lands between the pages: a conversation of a later page gets a message, and a new one appears.
    const moved = {
      ...conversation(1200, 1, { status: 'Done', updatedAt: new Date().toISOString() }),
      phoneNumber: many[200]!.phone_number,
      name: many[200]!.name,
    }
    const fresh = conversation(9, 2)
    let firstPage: { list: ReturnType<typeof list>; order: string[] } | null = null
    let betweenPages: string[] = []
    afterNextPage(() => {
      firstPage = { list: list(), order: [...order()] }
      useConversations.getState().upsertMany([moved, fresh])
      betweenPages = order().slice(0, 3)
    })

    const loading = useConversations.getState().load(workspaceId)
    expect(list().status).toBe('loading')
    await loading

    // Rows to show, yet still loading: a filter without rows so far shows skeletons, not "nothing here".
    expect(firstPage!.list).toMatchObject({
      status: 'loading',
      complete: false,
      counts: { Open: 200, Done: 50, All: 250 },
    })
    expect(firstPage!.order).toEqual(ids(many.slice(0, 100)))
    expect(betweenPages).toEqual([moved.id, fresh.id, many[0]!.id])
    expect(listRequests()).toEqual([
      { workspaceId, filter: 'All', limit: 100 },
      {
        workspaceId,
        filter: 'All',
        limit: 500,
        after: {
          id: many[99]!.id,
          lastMessageAt: useConversations.getState().byId[many[99]!.id]!.lastMessageAt,
        },
      },
    ])
    expect(list()).toMatchObject({ status: 'ready', complete: true, counts: null })
    // The page's older copy of the moved conversation loses to the event's newer one.
    expect(order()).toEqual([moved.id, fresh.id, ...ids(many).filter((id) => id !== moved.id)])
    expect(useConversations.getState().byId[moved.id]).toEqual(moved)
    expect(filterConversations(order(), useConversations.getState().byId, 'All').counts).toEqual({
      Open: 201,
      Pending: 0,
      Done: 50,
      All: 251,
    })
  })

  it('keeps what is on screen when the host goes away between pages, and shows an error only for an empty list', async () => {
    const { page } = await connect()
    let hostGone: Promise<void> = Promise.resolve()
    afterNextPage(() => {
      hostGone = page.close()
    })
    await useConversations.getState().load(workspaceId)
    await hostGone
    expect(list()).toMatchObject({ status: 'ready', complete: false })
    expect(order()).toEqual(ids(many.slice(0, 100)))

    useConversations.getState().reset()
    await useConversations.getState().load(workspaceId)
    expect(list()).toMatchObject({ status: 'error', error: { kind: 'offline' } })
  })

  it('joins a load already under way, and a load orphaned by sign-out applies nothing', async () => {
    const { listRequests } = await connect()
    const first = useConversations.getState().load(workspaceId)
    // The page asks at start and the list again as it mounts: one load serves both.
    expect(useConversations.getState().load(workspaceId)).toBe(first)
    await first
    expect(listRequests().map((request) => request.limit)).toEqual([100, 500])
    expect(order()).toEqual(ids(many))

    // Sign-out resets the store after the first page, and the next sign-in loads at once:
    // the orphaned load's second page must land nowhere, not even in the new list.
    let next: Promise<void> = Promise.resolve()
    let nextFirstPage: { order: string[]; complete: boolean } | null = null
    let nextStarted: Promise<void> = Promise.resolve()
    afterNextPage(() => {
      useConversations.getState().reset()
      // A microtask later: the orphaned load has sent its request for the second page by then.
      nextStarted = Promise.resolve().then(() => {
        next = useConversations.getState().load(workspaceId)
        afterNextPage(() => {
          nextFirstPage = { order: [...order()], complete: list().complete }
        })
      })
    })
    await useConversations.getState().load(workspaceId)
    await nextStarted
    await next
    expect(listRequests().map((request) => request.limit)).toEqual([100, 500, 100, 500, 100, 500])
    expect(nextFirstPage).toEqual({ order: ids(many.slice(0, 100)), complete: false })
    expect(order()).toEqual(ids(many))
  })

  it('holds later pages until they would double the list, then shows them at once', async () => {
    const { listRequests } = await connect()
    const shown: number[] = []
    const stop = useConversations.subscribe((state) => {
      const length = state.lists[pagedWorkspaceId]?.order.length
      if (length !== undefined && length !== shown.at(-1)) shown.push(length)
    })
    await useConversations.getState().load(pagedWorkspaceId)
    stop()
    expect(listRequests().map((request) => request.limit)).toEqual([100, 500, 500, 500, 500, 500, 500])
    // 500 doubles 100; the next 500 would not double 600, so it waits for the one after;
    // the last three (1,100) would not double 1,600 and are shown as the last is in.
    expect(shown).toEqual([0, 100, 600, 1_600, 2_700])
    expect(useConversations.getState().lists[pagedWorkspaceId]).toMatchObject({
      status: 'ready',
      complete: true,
    })
    expect(useConversations.getState().lists[pagedWorkspaceId]!.order).toEqual(ids(manyPages))
  })

  it('drops conversations the host no longer has when the list is loaded again', async () => {
    const { api } = await connect()
    await useConversations.getState().load(workspaceId)
    expect(order()).toHaveLength(250)

    const gone = many[3]!
    const renamed = many[4]!
    // Realtime delivers changes in commit order: once the rename committed after the
    // delete reaches the page, the host has dropped the deleted conversation.
    const renameSeen = nextEvent(api, 'conversations.upserted', (batch) =>
      batch.some((c) => c.name === 'Renamed after the delete'),
    )
    await stack.service.from('contacts').delete().eq('id', gone.id).throwOnError()
    await stack.service
      .from('contacts')
      .update({ name: 'Renamed after the delete' })
      .eq('id', renamed.id)
      .throwOnError()
    await renameSeen

    const updates: { complete: boolean; length: number }[] = []
    const stop = useConversations.subscribe((state) => {
      const reloaded = state.lists[workspaceId]!
      updates.push({ complete: reloaded.complete, length: reloaded.order.length })
    })
    await useConversations.getState().load(workspaceId)
    stop()
    // The whole list stays while the reload runs, and the pages read (fewer than it already
    // shows) are merged once, when every one is in: nothing blinks away.
    expect(updates).toEqual([{ complete: true, length: 249 }])
    expect(order()).toEqual(ids(many.filter((row) => row !== gone)))
  })
})
