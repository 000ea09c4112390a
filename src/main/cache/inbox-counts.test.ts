import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { Conversation, ConversationFilter } from '../../shared/domain.ts'
import { seededRandom } from '../../../test/support/seeded-random.ts'
import { Cache } from './cache.ts'
import { cacheMigrations } from './schema.ts'
import { conversation, tempPath, WS, WS2, removeTempPaths } from '../../../test/support/cache-rows.ts'

afterEach(removeTempPaths)

const statuses = ['Open', 'Pending', 'Done'] as const
const workspaces = [WS, WS2]

/** The counts recounted from the contacts rows, through a second connection to the same file. */
function recount(path: string): {
  counts: Record<string, Record<ConversationFilter, number>>
  unread: Record<string, number>
} {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const counts: Record<string, Record<ConversationFilter, number>> = {}
    for (const ws of workspaces) {
      const row = { Open: 0, Pending: 0, Done: 0, All: 0 }
      for (const status of statuses) {
        row[status] = Number(
          (
            db
              .prepare(
                'select count(*) as n from contacts where workspace_id = ? and conversation_status = ?',
              )
              .get(ws, status) as { n: number }
          ).n,
        )
        row.All += row[status]
      }
      counts[ws] = row
    }
    const unread = Object.fromEntries(
      (
        db
          .prepare(
            'select workspace_id, sum(unread_count) as n from contacts group by workspace_id having n > 0',
          )
          .all() as { workspace_id: string; n: number }[]
      ).map((row) => [row.workspace_id, Number(row.n)]),
    )
    return { counts, unread }
  } finally {
    db.close()
  }
}

function maintained(cache: Cache): ReturnType<typeof recount> {
  return {
    counts: Object.fromEntries(workspaces.map((ws) => [ws, cache.statusCounts(ws)])),
    unread: cache.unreadByWorkspace(),
  }
}

describe('inbox counts and unread totals', () => {
  it('stay equal to a recount through inserts, upserts, stale rows, read toggles, status changes, deletes and wipes', () => {
    const random = seededRandom(16)
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
          phoneNumber: `+1555${String(Math.floor(random() * 1e7)).padStart(7, '0')}`,
          updatedAt: later(),
        })
        expect(cache.upsertConversation(row)).toBe('inserted')
        live.set(row.id, row)
      },
      upsert() {
        if (live.size === 0) return
        const row = {
          ...pick([...live.values()]),
          status: pick(statuses),
          unreadCount: Math.floor(random() * 4),
          updatedAt: later(),
        }
        expect(cache.upsertConversation(row)).toBe('updated')
        live.set(row.id, row)
      },
      stale() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        const older = {
          ...row,
          unreadCount: 9,
          status: 'Done' as const,
          updatedAt: '2020-01-01T00:00:00.000000Z',
        }
        expect(cache.upsertConversation(older)).toBe('unchanged')
      },
      toggleRead() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        const unreadCount = row.unreadCount > 0 ? 0 : 1
        cache.patchConversation(row.id, { unreadCount })
        live.set(row.id, { ...row, unreadCount })
      },
      setStatus() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        const status = pick(statuses)
        cache.patchConversation(row.id, { status })
        live.set(row.id, { ...row, status })
      },
      delete() {
        if (live.size === 0) return
        const row = pick([...live.values()])
        expect(cache.deleteConversation(row.id)).toBe(true)
        live.delete(row.id)
      },
    }
    const names = Object.keys(operations)
    let checks = 0
    for (let step = 0; step < 600; step++) {
      const name = pick(names)
      operations[name]!()
      if (step % 10 === 0) {
        expect({ step, name, ...maintained(cache) }).toEqual({ step, name, ...recount(path) })
        checks++
      }
    }
    expect(live.size).toBeGreaterThan(20)
    const before = maintained(cache)
    expect(Object.values(before.unread).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)

    cache.forgetWorkspace(WS2)
    expect(maintained(cache)).toEqual(recount(path))
    expect(cache.statusCounts(WS2)).toEqual({ Open: 0, Pending: 0, Done: 0, All: 0 })
    expect(cache.statusCounts(WS)).toEqual(before.counts[WS])

    cache.clear()
    expect(maintained(cache)).toEqual({
      counts: Object.fromEntries(workspaces.map((ws) => [ws, { Open: 0, Pending: 0, Done: 0, All: 0 }])),
      unread: {},
    })
    for (const row of [...live.values()].slice(0, 5)) cache.upsertConversation(row)
    cache.wipe()
    expect(cache.unreadByWorkspace()).toEqual({})
    expect(cache.statusCounts(WS).All).toBe(0)
    cache.upsertConversation(conversation({ unreadCount: 3, status: 'Pending' }))
    expect(maintained(cache)).toEqual(recount(path))
    console.log(`counters checked against a recount ${checks + 3} times over 600 operations`)
    cache.close()
  })

  it('a cache from before the counters upgrades with them filled, search by number and workspace working', () => {
    const path = tempPath()
    const old = new DatabaseSync(path)
    for (const sql of cacheMigrations.slice(0, 2)) old.exec(sql)
    old.exec('pragma user_version = 2')
    const rows = [
      conversation({ name: 'Dana Whitfield', phoneNumber: '+15557771234', unreadCount: 2 }),
      conversation({ name: 'Dana Moreau', workspaceId: WS2, status: 'Done', unreadCount: 1 }),
      conversation({ name: 'Eli Okafor', status: 'Pending', phoneNumber: '+447700900123' }),
    ]
    const insert = old.prepare(
      `insert into contacts (id, workspace_id, phone_number, phone_digits, name, email, conversation_status,
         unread_count, last_message_at, last_message_preview, updated_at)
       values (?, ?, ?, ?, ?, null, ?, ?, null, null, ?)`,
    )
    for (const c of rows)
      insert.run(
        c.id,
        c.workspaceId,
        c.phoneNumber,
        c.phoneNumber.replace(/\D/g, ''),
        c.name,
        c.status,
        c.unreadCount,
        c.updatedAt,
      )
    old
      .prepare(
        `insert into messages (id, workspace_id, contact_id, direction, content, status, created_at, updated_at)
         values ('m1', ?, ?, 'inbound', 'where is my refund', 'delivered', ?, ?)`,
      )
      .run(WS2, rows[1]!.id, rows[1]!.updatedAt, rows[1]!.updatedAt)
    old.close()

    const cache = Cache.open(path)
    expect(cache.recoveredFrom).toBeNull()
    expect(maintained(cache)).toEqual(recount(path))
    expect(cache.statusCounts(WS)).toEqual({ Open: 1, Pending: 1, Done: 0, All: 2 })
    expect(cache.unreadByWorkspace()).toEqual({ [WS]: 2, [WS2]: 1 })
    expect(cache.search('777 12', null, 5).map((hit) => [hit.field, hit.conversation.id])).toEqual([
      ['phone', rows[0]!.id],
    ])
    expect(cache.search('900123', WS2, 5)).toEqual([])
    expect(cache.search('dana', WS, 5).map((hit) => hit.conversation.id)).toEqual([rows[0]!.id])
    expect(cache.search('refund', WS2, 5).map((hit) => hit.messageId)).toEqual(['m1'])
    expect(cache.search('refund', WS, 5)).toEqual([])
    // The triggers came with the upgrade: a new row counts, and its number is found.
    cache.upsertConversation(conversation({ phoneNumber: '+15550001111', unreadCount: 4 }))
    expect(cache.unreadByWorkspace()[WS]).toBe(6)
    expect(cache.search('0001111', WS, 5)).toHaveLength(1)
    cache.close()
  })
})
