import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { Conversation, InboxViewCounts, Member } from '../../shared/domain.ts'
import { seededRandom } from '../../../test/support/seeded-random.ts'
import { Cache } from './cache.ts'
import { cacheMigrations } from './schema.ts'
import { conversation, tempPath, WS, WS2, removeTempPaths } from '../../../test/support/cache-rows.ts'

afterEach(removeTempPaths)

const ME = '5f0c2a7e-8b31-4d96-a4e2-c17b09d3f581'
const COLLEAGUE = 'a2d94e61-37cb-4f08-9e15-60b8f3c2d7a4'
const statuses = ['Open', 'Pending', 'Done'] as const
const owners = [ME, COLLEAGUE, null]
const workspaces = [WS, WS2]

/** The Mine, Unassigned and All counts recounted from the contacts rows, through a second connection. */
function recount(path: string, workspaceId: string): InboxViewCounts {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const count = (where: string, ...args: string[]) => {
      const row = db
        .prepare(
          `select count(*) as conversations, total(unread_count) as unread from contacts
            where workspace_id = ? and ${where}`,
        )
        .get(workspaceId, ...args) as { conversations: number; unread: number }
      return { conversations: Number(row.conversations), unread: Number(row.unread) }
    }
    return {
      mine: count('assignee_id = ?', ME),
      unassigned: count('assignee_id is null'),
      all: count('1'),
    }
  } finally {
    db.close()
  }
}

describe('inbox views by owner', () => {
  it('keep their counts equal to a recount through assignments, read toggles, status changes and deletes', () => {
    const random = seededRandom(18)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
    const path = tempPath()
    const cache = Cache.open(path)
    const live = new Map<string, Conversation>()
    let clock = 0
    const later = () => `2026-11-01T10:00:00.${String(++clock).padStart(6, '0')}Z`
    const operations: Record<string, () => void> = {
      insert() {
        const row = conversation({
          workspaceId: pick(workspaces),
          status: pick(statuses),
          unreadCount: Math.floor(random() * 4),
          assigneeId: pick(owners),
          lastMessageAt: later(),
          updatedAt: later(),
        })
        cache.upsertConversation(row)
        live.set(row.id, row)
      },
      assign() {
        if (live.size === 0) return
        const row = { ...pick([...live.values()]), assigneeId: pick(owners), updatedAt: later() }
        expect(cache.upsertConversation(row)).toBe('updated')
        live.set(row.id, row)
      },
      toggleRead() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        const unreadCount = row.unreadCount > 0 ? 0 : 2
        cache.patchConversation(row.id, { unreadCount })
        live.set(row.id, { ...row, unreadCount })
      },
      setStatus() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        cache.patchConversation(row.id, { status: pick(statuses) })
      },
      delete() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        cache.deleteConversation(row.id)
        live.delete(row.id)
      },
    }
    // Inserts twice as likely as deletes, so the inbox grows and every view fills.
    const names = [...Object.keys(operations), 'insert', 'assign']
    let checks = 0
    for (let step = 0; step < 500; step++) {
      const name = pick(names)
      operations[name]!()
      if (step % 10 === 0) {
        for (const ws of workspaces) {
          expect({ step, name, ws, views: cache.viewCounts(ws, ME) }).toEqual({
            step,
            name,
            ws,
            views: recount(path, ws),
          })
        }
        checks++
      }
    }
    const views = cache.viewCounts(WS, ME)
    expect(views.mine.conversations).toBeGreaterThan(0)
    expect(views.unassigned.unread).toBeGreaterThan(0)
    expect(views.all.conversations).toBeGreaterThan(views.mine.conversations + views.unassigned.conversations)
    console.log(`view counts checked against a recount ${checks * 2} times over 500 operations`)
    cache.close()
  })

  it('pages Mine and Unassigned, with and without a status, in list order', () => {
    const cache = Cache.open(tempPath())
    const rows = Array.from({ length: 30 }, (_, i) =>
      conversation({
        assigneeId: owners[i % 3]!,
        status: statuses[i % 2]!,
        lastMessageAt: `2026-11-01T10:${String(i).padStart(2, '0')}:00.000000Z`,
      }),
    )
    for (const row of rows) cache.upsertConversation(row)
    const newestFirst = [...rows].reverse()
    const pages = (assigneeId: string | null, filter: 'All' | 'Open') => {
      const ids: string[] = []
      let after = null
      for (;;) {
        const page = cache.listConversations(WS, filter, 3, after, { assigneeId })
        ids.push(...page.items.map((c) => c.id))
        const last = page.items.at(-1)
        if (!page.hasMore || !last) return ids
        after = { lastMessageAt: last.lastMessageAt, id: last.id }
      }
    }
    const expected = (assigneeId: string | null, filter: 'All' | 'Open') =>
      newestFirst
        .filter((c) => c.assigneeId === assigneeId && (filter === 'All' || c.status === filter))
        .map((c) => c.id)
    for (const owner of [ME, null])
      for (const filter of ['All', 'Open'] as const) {
        expect(expected(owner, filter).length).toBeGreaterThan(3)
        expect(pages(owner, filter)).toEqual(expected(owner, filter))
      }
    expect(cache.listConversations(WS, 'All').items).toHaveLength(30)
    cache.close()
  })

  it('a cache from before assignment upgrades: rows unassigned, counters filled, contacts read again', () => {
    const path = tempPath()
    const old = new DatabaseSync(path)
    for (const sql of cacheMigrations.slice(0, 4)) old.exec(sql)
    old.exec('pragma user_version = 4')
    old
      .prepare(
        `insert into contacts (id, workspace_id, phone_number, phone_digits, conversation_status, unread_count, updated_at)
         values ('c1', ?, '+15550001', '15550001', 'Open', 2, '2026-11-01T10:00:00.000000Z')`,
      )
      .run(WS)
    old
      .prepare(
        `insert into sync_state (workspace_id, messages_cursor, contacts_cursor) values (?, '2026-11-01', '2026-11-01')`,
      )
      .run(WS)
    old.close()
    const cache = Cache.open(path)
    expect(cache.viewCounts(WS, ME)).toEqual({
      mine: { conversations: 0, unread: 0 },
      unassigned: { conversations: 1, unread: 2 },
      all: { conversations: 1, unread: 2 },
    })
    expect(cache.syncState(WS)).toMatchObject({ contactsCursor: null, messagesCursor: '2026-11-01' })
    expect(cache.getConversation('c1')?.assigneeId).toBeNull()
    cache.close()
  })
})

describe('members', () => {
  const member = (over: Partial<Member>): Member => ({
    workspaceId: WS,
    userId: ME,
    displayName: 'Ava Chen',
    avatarColor: '#1d4ed8',
    role: 'agent',
    updatedAt: '2026-11-01T10:00:00.000000Z',
    ...over,
  })

  it('are replaced per workspace, listed by name, and forgotten with their workspace', () => {
    const cache = Cache.open(tempPath())
    const ava = member({})
    const ben = member({ userId: COLLEAGUE, displayName: 'Ben Ortiz', role: 'admin' })
    expect(cache.replaceMembers(WS, [ben, ava])).toBe(true)
    expect(cache.replaceMembers(WS2, [member({ workspaceId: WS2 })])).toBe(true)
    expect(cache.listMembers(WS)).toEqual([ava, ben])
    expect(cache.replaceMembers(WS, [ava, ben])).toBe(false)

    const renamed = { ...ben, displayName: 'Benjamin Ortiz', updatedAt: '2026-11-02T10:00:00.000000Z' }
    expect(cache.replaceMembers(WS, [renamed])).toBe(true)
    expect(cache.listMembers(WS)).toEqual([renamed])
    expect(cache.replaceMembers(WS, [{ ...renamed, role: 'agent' }])).toBe(true)

    cache.forgetWorkspace(WS)
    expect(cache.listMembers(WS)).toEqual([])
    expect(cache.listMembers(WS2)).toHaveLength(1)
    cache.clear()
    expect(cache.listMembers(WS2)).toEqual([])
    cache.close()
  })
})
