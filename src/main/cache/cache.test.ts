import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { Cache, ftsQuery, parseMarked } from './cache.ts'
import { cacheMigrations } from './schema.ts'
import {
  conversation,
  message,
  tempPath,
  WS,
  WS2,
  removeTempPaths,
} from '../../../test/support/cache-rows.ts'
import { normalizeTimestamp, nowTimestamp, timestampMinus } from './time.ts'

afterEach(removeTempPaths)

describe('timestamps', () => {
  it('normalises Postgres and JavaScript forms to sortable UTC micros', () => {
    expect(normalizeTimestamp('2026-11-24 21:04:27.123456+00')).toBe('2026-11-24T21:04:27.123456Z')
    expect(normalizeTimestamp('2026-11-24T21:04:27.1+00:00')).toBe('2026-11-24T21:04:27.100000Z')
    expect(normalizeTimestamp('2026-11-24T23:04:27.123456+02:00')).toBe('2026-11-24T21:04:27.123456Z')
    expect(normalizeTimestamp('2026-11-24T21:04:27Z')).toBe('2026-11-24T21:04:27.000000Z')
    expect(() => normalizeTimestamp('yesterday')).toThrow(RangeError)
    expect(timestampMinus('2026-11-24T21:04:27.123456Z', 10_000)).toBe('2026-11-24T21:04:17.123456Z')
  })
})

describe('cache', () => {
  it('reopens with the same data and schema version', () => {
    const path = tempPath()
    const first = Cache.open(path)
    const c = conversation({ name: 'Dana' })
    first.upsertConversation(c)
    first.close()
    const second = Cache.open(path)
    expect(second.getConversation(c.id)).toEqual(c)
    expect(second.recoveredFrom).toBeNull()
    second.close()
  })

  it('upgrades a cache of the first schema in place, its conversations kept under the renamed status column', () => {
    const path = tempPath()
    const first = new DatabaseSync(path)
    first.exec(cacheMigrations[0]!)
    first.exec('pragma user_version = 1')
    const c = conversation({
      name: 'Dana Pending',
      status: 'Pending',
      lastMessageAt: '2026-11-01T10:00:00.000000Z',
    })
    first
      .prepare(
        `insert into contacts (id, workspace_id, phone_number, phone_digits, name, email, status, unread_count,
           last_message_at, last_message_preview, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.id,
        c.workspaceId,
        c.phoneNumber,
        '15551230000',
        c.name,
        c.email,
        c.status,
        c.unreadCount,
        c.lastMessageAt,
        c.lastMessagePreview,
        c.updatedAt,
      )
    first.close()

    const cache = Cache.open(path)
    expect(cache.recoveredFrom).toBeNull()
    expect(cache.getConversation(c.id)).toEqual(c)
    expect(cache.listConversations(WS, 'Pending')).toMatchObject({
      items: [c],
      counts: { Open: 0, Pending: 1, Done: 0, All: 1 },
    })
    expect(cache.search('dana', WS, 5).map((hit) => hit.conversation.id)).toEqual([c.id])
    cache.close()
  })

  it('applies rows idempotently and never lets an older row replace a newer one', () => {
    const cache = Cache.open(tempPath())
    const c = conversation()
    expect(cache.upsertConversation(c)).toBe('inserted')
    expect(cache.upsertConversation(c)).toBe('updated')
    const m = message(c)
    expect(cache.upsertMessage(m)).toBe('inserted')
    expect(cache.upsertMessage(m)).toBe('unchanged')
    const newer = { ...m, status: 'failed' as const, updatedAt: '2026-11-01T10:00:01.000000Z' }
    expect(cache.upsertMessage(newer)).toBe('updated')
    expect(cache.upsertMessage(m)).toBe('unchanged')
    expect(cache.getMessage(m.id)?.status).toBe('failed')
    expect(cache.thread(c.id, null, 10).messages).toHaveLength(1)
    cache.close()
  })

  it('lists the inbox newest first with counts per status', () => {
    const cache = Cache.open(tempPath())
    const a = conversation({ lastMessageAt: '2026-11-01T10:00:00.000000Z', status: 'Open' })
    const b = conversation({ lastMessageAt: '2026-11-02T10:00:00.000000Z', status: 'Open' })
    const d = conversation({ lastMessageAt: '2026-11-03T10:00:00.000000Z', status: 'Done' })
    const other = conversation({ workspaceId: WS2 })
    for (const c of [a, b, d, other]) cache.upsertConversation(c)
    const open = cache.listConversations(WS, 'Open')
    expect(open.items.map((c) => c.id)).toEqual([b.id, a.id])
    expect(open.counts).toEqual({ Open: 2, Pending: 0, Done: 1, All: 3 })
    expect(cache.listConversations(WS, 'All').items.map((c) => c.id)).toEqual([d.id, b.id, a.id])
    cache.close()
  })

  it('pages the inbox by keyset in list order, ties and untimed rows included, counts always whole', () => {
    const cache = Cache.open(tempPath())
    const at = (minute: number) => `2026-11-01T10:${String(minute).padStart(2, '0')}:00.000000Z`
    // Three rows share a time (the id breaks the tie), two have no message yet (they come last).
    const rows = [
      conversation({ lastMessageAt: at(50) }),
      conversation({ lastMessageAt: at(40), status: 'Done' }),
      conversation({ lastMessageAt: at(30) }),
      conversation({ lastMessageAt: at(30), status: 'Pending' }),
      conversation({ lastMessageAt: at(30) }),
      conversation({ lastMessageAt: at(10), status: 'Done' }),
      conversation({ lastMessageAt: null }),
      conversation({ lastMessageAt: null, status: 'Done' }),
    ]
    for (const c of rows) cache.upsertConversation(c)
    cache.upsertConversation(conversation({ workspaceId: WS2, lastMessageAt: at(20) }))
    const whole = cache.listConversations(WS, 'All')
    expect(whole.hasMore).toBe(false)
    const expected = whole.items.map((c) => c.id)
    expect(expected).toHaveLength(rows.length)

    for (const size of [1, 2, 3]) {
      const seen: string[] = []
      let page = cache.listConversations(WS, 'All', size)
      for (;;) {
        expect(page.items.length).toBeLessThanOrEqual(size)
        expect(page.counts).toEqual({ Open: 4, Pending: 1, Done: 3, All: 8 })
        seen.push(...page.items.map((c) => c.id))
        if (!page.hasMore) break
        const last = page.items.at(-1)!
        page = cache.listConversations(WS, 'All', size, { lastMessageAt: last.lastMessageAt, id: last.id })
      }
      expect(seen).toEqual(expected)
    }

    const done: string[] = []
    let page = cache.listConversations(WS, 'Done', 1)
    done.push(...page.items.map((c) => c.id))
    while (page.hasMore) {
      const last = page.items.at(-1)!
      page = cache.listConversations(WS, 'Done', 1, { lastMessageAt: last.lastMessageAt, id: last.id })
      done.push(...page.items.map((c) => c.id))
    }
    expect(done).toEqual(cache.listConversations(WS, 'Done').items.map((c) => c.id))
    expect(done).toHaveLength(3)

    // A page that ends exactly at the last row says so.
    expect(cache.listConversations(WS, 'All', rows.length)).toMatchObject({ hasMore: false })
    expect(cache.listConversations(WS, 'All', rows.length - 1)).toMatchObject({ hasMore: true })
    cache.close()
  })

  it('pages a thread oldest first', () => {
    const cache = Cache.open(tempPath())
    const c = conversation()
    cache.upsertConversation(c)
    for (let i = 0; i < 5; i++)
      cache.upsertMessage(message(c, { content: `m${i}`, createdAt: `2026-11-01T10:00:0${i}.000000Z` }))
    const last = cache.thread(c.id, null, 2)
    expect(last.messages.map((m) => m.content)).toEqual(['m3', 'm4'])
    expect(last.hasMore).toBe(true)
    const older = cache.thread(c.id, last.messages[0]!.createdAt, 10)
    expect(older.messages.map((m) => m.content)).toEqual(['m0', 'm1', 'm2'])
    expect(older.hasMore).toBe(false)
    cache.close()
  })

  it('searches names, numbers and message words with highlight ranges', () => {
    const cache = Cache.open(tempPath())
    const dana = conversation({
      name: 'Dana Whitfield',
      phoneNumber: '+15557771234',
      lastMessageAt: '2026-11-02T00:00:00.000000Z',
    })
    const eli = conversation({ name: 'Eli Moreau', phoneNumber: '+15558889999', workspaceId: WS2 })
    cache.upsertConversation(dana)
    cache.upsertConversation(eli)
    const refund = message(eli, { content: 'Could you process my refund for order 4411 please?' })
    cache.upsertMessage(refund)
    cache.upsertMessage(message(dana, { content: 'Thanks, all good now' }))

    const byName = cache.search('whit', null, 10)
    expect(byName).toHaveLength(1)
    expect(byName[0]).toMatchObject({ field: 'name', snippet: 'Dana Whitfield', highlights: [[5, 9]] })

    const byNumber = cache.search('777 12', null, 10)
    expect(byNumber[0]).toMatchObject({ field: 'phone', conversation: { id: dana.id } })
    expect(byNumber[0]!.highlights).toEqual([[5, 10]])

    const byWords = cache.search('refund ord', null, 10)
    expect(byWords).toHaveLength(1)
    expect(byWords[0]).toMatchObject({ field: 'message', messageId: refund.id, conversation: { id: eli.id } })
    const hit = byWords[0]!
    expect(hit.highlights.map(([s, e]) => hit.snippet.slice(s, e))).toEqual(['refund', 'order'])

    expect(cache.search('refund', WS, 10)).toEqual([])
    expect(cache.search('   ', null, 10)).toEqual([])
    expect(cache.search('"* OR ( NEAR', null, 10)).toEqual([])
    cache.close()
  })

  it('keeps search right after updates and deletes', () => {
    const cache = Cache.open(tempPath())
    const c = conversation({ name: 'Frank Ocean' })
    cache.upsertConversation(c)
    cache.upsertConversation({ ...c, name: 'Francesca Lee', updatedAt: '2026-11-02T00:00:00.000000Z' })
    expect(cache.search('ocean', null, 5)).toEqual([])
    expect(cache.search('francesca', null, 5)).toHaveLength(1)
    cache.close()
  })

  it('moves a corrupt file aside and rebuilds an empty cache', () => {
    const path = tempPath()
    writeFileSync(path, 'this is not an SQLite database, just garbage bytes '.repeat(200))
    const cache = Cache.open(path)
    expect(cache.recoveredFrom).toMatch(/cache\.sqlite\.corrupt-\d+$/)
    expect(cache.listConversations(WS, 'All').items).toEqual([])
    cache.upsertConversation(conversation())
    expect(cache.listConversations(WS, 'All').items).toHaveLength(1)
    cache.close()
    const files = readdirSync(join(path, '..'))
    expect(files.some((f) => f.startsWith('cache.sqlite.corrupt-'))).toBe(true)
    const again = Cache.open(path)
    expect(again.recoveredFrom).toBeNull()
    again.close()
  })

  it('finds damage that opening does not, so the app can rebuild after the first paint', () => {
    const path = tempPath()
    const cache = Cache.open(path)
    const c = conversation()
    cache.upsertConversation(c)
    cache.transaction(() => {
      for (let i = 0; i < 2000; i++)
        cache.upsertMessage(message(c, { content: `message number ${i} `.repeat(5) }))
    })
    expect(cache.checkIntegrity()).toBe(true)
    cache.close()
    // Checkpointed into the main file; now overwrite pages in its middle, sparing the header and schema.
    const bytes = readFileSync(path)
    const page = 4096
    const pages = bytes.length / page
    bytes.fill(0x5a, Math.floor(pages * 0.5) * page, Math.floor(pages * 0.8) * page)
    writeFileSync(path, bytes)
    const damaged = Cache.open(path)
    expect(damaged.recoveredFrom).toBeNull()
    expect(damaged.checkIntegrity()).toBe(false)
    damaged.close()
    const aside = Cache.quarantine(path, 1)
    expect(aside).toBe(`${path}.corrupt-1`)
    const rebuilt = Cache.open(path)
    expect(rebuilt.checkIntegrity()).toBe(true)
    expect(rebuilt.listConversations(WS, 'All').items).toEqual([])
    rebuilt.close()
  })

  it('retention drops old read messages and keeps every unread, queued and recent one', () => {
    const now = Date.parse('2026-11-24T12:00:00Z')
    const cache = Cache.open(tempPath(), { now: () => now })
    const old = (days: number) => nowTimestamp(now - days * 86_400_000)
    const read = conversation()
    const unread = conversation({ unreadCount: 2 })
    cache.upsertConversation(read)
    cache.upsertConversation(unread)
    const readOld = message(read, { createdAt: old(200) })
    const readRecent = message(read, { createdAt: old(10) })
    const unreadOldest = message(unread, { createdAt: old(300) })
    const unreadA = message(unread, { createdAt: old(200) })
    const replyBetween = message(unread, {
      createdAt: old(199),
      direction: 'outbound',
      createdBy: randomUUID(),
    })
    const unreadB = message(unread, { createdAt: old(150) })
    const failedOld = message(read, { createdAt: old(120), direction: 'outbound', status: 'failed' })
    for (const m of [readOld, readRecent, unreadOldest, unreadA, replyBetween, unreadB, failedOld])
      cache.upsertMessage(m)

    expect(cache.applyRetention({ keepDays: 90 })).toBe(3)
    const kept = new Set(
      [...cache.thread(read.id, null, 50).messages, ...cache.thread(unread.id, null, 50).messages].map(
        (m) => m.id,
      ),
    )
    expect(kept).toEqual(new Set([readRecent.id, unreadA.id, unreadB.id, failedOld.id]))
    cache.close()
  })

  it('outbox: heads are the oldest entry per conversation and survive a reopen', () => {
    const path = tempPath()
    const cache = Cache.open(path)
    const a = conversation()
    const b = conversation()
    const sends = [a, b, a].map((c, i) =>
      message(c, { direction: 'outbound', status: 'queued', content: `send ${i}`, createdBy: randomUUID() }),
    )
    for (const m of sends) cache.enqueue(m, { retry: false })
    cache.close()
    const reopened = Cache.open(path)
    expect(reopened.outboxSize()).toBe(3)
    expect(reopened.outboxHeads().map((e) => e.body)).toEqual(['send 0', 'send 1'])
    reopened.completeOutbox(sends[0]!.id, { ...sends[0]!, status: 'pending' })
    expect(reopened.outboxHeads().map((e) => e.body)).toEqual(['send 1', 'send 2'])
    expect(reopened.getMessage(sends[0]!.id)?.status).toBe('pending')
    reopened.close()
  })

  it('outbox: an answer older than the row Realtime already brought does not move the message back', () => {
    const cache = Cache.open(tempPath())
    const send = message(conversation(), { direction: 'outbound', status: 'queued', createdBy: randomUUID() })
    cache.enqueue(send, { retry: false })
    const sent = { ...send, status: 'sent' as const, updatedAt: '2026-01-01T00:00:01.000000Z' }
    const delivered = { ...sent, status: 'delivered' as const, updatedAt: '2026-01-01T00:00:02.000000Z' }
    expect(cache.upsertMessage(delivered)).toBe('updated')
    const outcome = cache.completeOutbox(send.id, sent)
    expect(cache.getMessage(send.id)?.status).toBe('delivered')
    expect(outcome).toBe('unchanged')
    expect(cache.outboxSize()).toBe(0)
    cache.close()
  })

  it('outbox: a send answered after its entry was dropped (sign-out) does not bring its message back', () => {
    const cache = Cache.open(tempPath())
    const send = message(conversation(), { direction: 'outbound', status: 'queued', createdBy: randomUUID() })
    cache.enqueue(send, { retry: false })
    cache.clear()
    cache.completeOutbox(send.id, { ...send, status: 'pending' })
    expect(cache.getMessage(send.id)).toBeNull()
    cache.close()
  })

  it('wipe deletes the database files, moved-aside copies included, and leaves an empty working cache', () => {
    const path = tempPath()
    const marker = `secret${randomUUID().slice(0, 8)}`
    const cache = Cache.open(path)
    const c = conversation()
    cache.upsertConversation(c)
    cache.upsertMessage(message(c, { content: `the ${marker} text` }))
    writeFileSync(`${path}.corrupt-1`, marker)
    const dir = join(path, '..')
    const holding = () => readdirSync(dir).filter((name) => readFileSync(join(dir, name)).includes(marker))
    expect(holding().length).toBeGreaterThan(1)
    cache.wipe()
    expect(holding()).toEqual([])
    expect(readdirSync(dir).filter((name) => name.includes('corrupt'))).toEqual([])
    cache.upsertConversation(c)
    expect(cache.getConversation(c.id)?.id).toBe(c.id)
    cache.close()
  })

  it('sync cursors only move forward', () => {
    const cache = Cache.open(tempPath())
    cache.advanceSync(WS, { messagesCursor: '2026-11-02T00:00:00.000000Z' })
    cache.advanceSync(WS, {
      messagesCursor: '2026-11-01T00:00:00.000000Z',
      lastSyncAt: '2026-11-03T00:00:00.000000Z',
    })
    expect(cache.syncState(WS)).toEqual({
      messagesCursor: '2026-11-02T00:00:00.000000Z',
      contactsCursor: null,
      lastSyncAt: '2026-11-03T00:00:00.000000Z',
    })
    cache.close()
  })

  it('builds FTS queries that cannot inject operators', () => {
    expect(ftsQuery('Refund  ORDER')).toBe('"refund"* "order"*')
    expect(ftsQuery('"); drop')).toBe('"drop"*')
    expect(ftsQuery('!!!')).toBeNull()
    expect(parseMarked('a \u0001b\u0002 c')).toEqual({ text: 'a b c', highlights: [[2, 3]] })
  })
})
