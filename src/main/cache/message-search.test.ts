import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { Conversation, Message } from '../../shared/domain.ts'
import { Cache } from './cache.ts'
import { cacheMigrations } from './schema.ts'
import {
  conversation,
  message,
  tempPath,
  WS,
  WS2,
  removeTempPaths,
} from '../../../test/support/cache-rows.ts'

afterEach(removeTempPaths)

/** A cache whose recent search index holds `size` messages, so a test can pass its edge with a few rows. */
function cacheWithWindow(size: number): { cache: Cache; db: DatabaseSync } {
  const path = tempPath()
  Cache.open(path).close()
  const db = new DatabaseSync(path)
  db.prepare('update messages_recent_window set size = ?').run(size)
  return { cache: Cache.open(path), db }
}

/**
 * What the recent index holds against what it must hold: every message from the window's
 * floor on, each found by its own token ("tok" and a number) and no other row, and an
 * index FTS5 itself finds consistent.
 */
function recentIndex(db: DatabaseSync): { indexed: number[]; window: number[] } {
  db.exec(`insert into messages_recent_fts(messages_recent_fts, rank) values ('integrity-check', 0)`)
  const rowids = (sql: string) => (db.prepare(sql).all() as { rowid: number }[]).map((row) => row.rowid)
  return {
    indexed: rowids(
      `select rowid from messages_recent_fts where messages_recent_fts match '"tok"*' order by rowid`,
    ),
    window: rowids(
      'select rowid from messages where rowid >= (select floor from messages_recent_window) order by rowid',
    ),
  }
}

function hitsOf(cache: Cache, query: string, workspaceId: string | null, limit: number) {
  return cache.search(query, workspaceId, limit).map((hit) => ({
    field: hit.field,
    messageId: hit.messageId,
    conversationId: hit.conversation.id,
    highlighted: hit.highlights.map(([start, end]) => hit.snippet.slice(start, end)),
  }))
}

describe('message search over the recent index and all history', () => {
  it('keeps the recent index to the newest messages through inserts, edits and deletes', () => {
    const { cache, db } = cacheWithWindow(8)
    const contacts = Array.from({ length: 4 }, () => conversation())
    for (const c of contacts) cache.upsertConversation(c)
    const sent: Message[] = []
    for (let i = 0; i < 40; i++) {
      const m = message(contacts[i % 4]!, { content: `refund tok${i}` })
      sent.push(m)
      cache.upsertMessage(m)
      const { indexed, window } = recentIndex(db)
      expect(indexed).toEqual(window)
      // The oldest eighth leaves in one step, so a full window holds 8 or 9 messages.
      expect(window.length).toBeGreaterThanOrEqual(Math.min(i + 1, 8))
      expect(window.length).toBeLessThanOrEqual(9)
    }
    const newest = sent.at(-1)!
    const old = sent[2]!
    cache.upsertMessage({ ...newest, content: 'tok99 exchange', updatedAt: '2026-11-02T00:00:00.000000Z' })
    cache.upsertMessage({ ...old, content: 'tok98 exchange', updatedAt: '2026-11-02T00:00:00.000000Z' })
    expect(recentIndex(db).indexed).toEqual(recentIndex(db).window)
    expect(hitsOf(cache, 'exchange', null, 5).map((hit) => hit.messageId)).toEqual([newest.id, old.id])
    expect(cache.deleteMessage(sent.at(-2)!.id)).toBe(true)
    expect(cache.deleteMessage(sent[5]!.id)).toBe(true)
    expect(recentIndex(db).indexed).toEqual(recentIndex(db).window)
    cache.forgetWorkspace(WS)
    expect(recentIndex(db)).toEqual({ indexed: [], window: [] })
    cache.close()
    db.close()
  })

  it('ranks the recent matches by bm25 and reaches older history only for what they leave short', () => {
    const { cache, db } = cacheWithWindow(16)
    const contacts = Array.from({ length: 24 }, () => conversation())
    const elsewhere = conversation({ workspaceId: WS2 })
    for (const c of [...contacts, elsewhere]) cache.upsertConversation(c)
    const byConversation = new Map<string, Conversation>()
    const sent: Message[] = []
    const send = (c: Conversation, content: string) => {
      const m = message(c, { content })
      cache.upsertMessage(m)
      sent.push(m)
      byConversation.set(m.id, c)
      return m
    }
    const oldOnly = send(contacts[0]!, 'warranty claim for the kettle')
    const elsewhereOld = send(elsewhere, 'refund for the other team')
    for (let i = 1; i < 24; i++) send(contacts[i]!, `refund status update on order ${i} please`)
    const dense = send(contacts[1]!, 'refund refund')
    send(elsewhere, 'refund here too')
    const { window } = recentIndex(db)
    const inWindow = new Set(window)
    const rowidOf = (m: Message) =>
      Number((db.prepare('select rowid from messages where id = ?').get(m.id) as { rowid: number }).rowid)
    expect(inWindow.has(rowidOf(oldOnly))).toBe(false)

    // bm25 puts the short message saying it twice first, though others are newer.
    const top = hitsOf(cache, 'refu', WS, 1)
    expect(top).toEqual([
      {
        field: 'message',
        messageId: dense.id,
        conversationId: contacts[1]!.id,
        highlighted: ['refund', 'refund'],
      },
    ])
    // A page the recent messages fill comes from them alone.
    const page = hitsOf(cache, 'refund', WS, 5)
    expect(page).toHaveLength(5)
    for (const hit of page)
      expect(inWindow.has(rowidOf(sent.find((m) => m.id === hit.messageId)!))).toBe(true)
    // A word only older messages hold is still found, highlighted.
    expect(hitsOf(cache, 'warr', null, 5)).toEqual([
      { field: 'message', messageId: oldOnly.id, conversationId: contacts[0]!.id, highlighted: ['warranty'] },
    ])
    // A page longer than the recent matches is filled from history: one hit per conversation, none twice.
    const all = hitsOf(cache, 'refund', WS, 30)
    expect(new Set(all.map((hit) => hit.conversationId))).toEqual(new Set(contacts.slice(1).map((c) => c.id)))
    expect(all).toHaveLength(23)
    // The workspace bounds both indexes.
    expect(hitsOf(cache, 'refund', WS2, 30).map((hit) => hit.conversationId)).toEqual([elsewhere.id])
    expect(hitsOf(cache, 'other team', WS2, 30).map((hit) => hit.messageId)).toEqual([elsewhereOld.id])
    expect(hitsOf(cache, 'other team', WS, 30)).toEqual([])
    cache.close()
    db.close()
  })

  it('a cache of schema 3 upgrades with its newest messages in the recent index, and keeps it after', () => {
    const path = tempPath()
    const old = new DatabaseSync(path)
    for (const sql of cacheMigrations.slice(0, 3)) old.exec(sql)
    old.exec('pragma user_version = 3')
    const c = conversation({ name: 'Dana Whitfield' })
    old
      .prepare(
        `insert into contacts (id, workspace_id, phone_number, phone_digits, name, email, conversation_status,
           unread_count, last_message_at, last_message_preview, updated_at)
         values (?, ?, ?, ?, ?, null, 'Open', 0, null, null, ?)`,
      )
      .run(c.id, c.workspaceId, c.phoneNumber, c.phoneNumber.replace(/\D/g, ''), c.name, c.updatedAt)
    const insert = old.prepare(
      `insert into messages (id, workspace_id, contact_id, direction, content, status, created_at, updated_at)
       values (?, ?, ?, 'inbound', ?, 'delivered', ?, ?)`,
    )
    for (let i = 0; i < 30; i++)
      insert.run(`m${i}`, WS, c.id, `tok${i} ${i === 29 ? 'parcel' : 'letter'}`, c.updatedAt, c.updatedAt)
    old.close()

    const cache = Cache.open(path)
    expect(cache.recoveredFrom).toBeNull()
    const db = new DatabaseSync(path)
    const { indexed, window } = recentIndex(db)
    expect(indexed).toEqual(window)
    expect(window).toHaveLength(30)
    expect(hitsOf(cache, 'parc', WS, 5)).toEqual([
      { field: 'message', messageId: 'm29', conversationId: c.id, highlighted: ['parcel'] },
    ])
    const later = message(c, { content: 'tok30 voucher' })
    cache.upsertMessage(later)
    expect(recentIndex(db).indexed).toEqual([...window, window.at(-1)! + 1])
    expect(hitsOf(cache, 'vouch', WS, 5).map((hit) => hit.messageId)).toEqual([later.id])
    cache.close()
    db.close()
  })
})
