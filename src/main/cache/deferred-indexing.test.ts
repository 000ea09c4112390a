import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { Conversation, Message } from '../../shared/domain.ts'
import { Cache } from './cache.ts'
import { orderingIndexes } from './schema.ts'
import {
  conversation,
  message,
  removeTempPaths,
  tempPath,
  WS,
  WS2,
} from '../../../test/support/cache-rows.ts'
import { noGaps, searchIndexGaps, unindexedRows } from '../../../test/support/search-indexes.ts'

afterEach(removeTempPaths)

const later = '2026-11-02T00:00:00.000000Z'

/** A cache and a second connection to its file, its recent search window `window` messages wide. */
function openCache(window = 20_000): { cache: Cache; db: DatabaseSync; path: string } {
  const path = tempPath()
  Cache.open(path).close()
  const db = new DatabaseSync(path)
  db.prepare('update messages_recent_window set size = ?').run(window)
  return { cache: Cache.open(path), db, path }
}

const orderingNames = [...orderingIndexes.contacts, ...orderingIndexes.messages].map(({ name }) => name)

/** The ordering indexes the cache's file holds now, each as its SQL with whitespace collapsed. */
function orderingIndexSql(db: DatabaseSync): Record<string, string> {
  const rows = db
    .prepare(
      `select name, sql from sqlite_schema where type = 'index' and name in (${orderingNames.map(() => '?').join(', ')})`,
    )
    .all(...orderingNames) as { name: string; sql: string }[]
  return Object.fromEntries(rows.map(({ name, sql }) => [name, sql.replace(/\s+/g, ' ')]))
}

const conversationIds = (cache: Cache, query: string, workspaceId: string | null = WS) =>
  cache.search(query, workspaceId, 20).map((hit) => hit.conversation.id)

describe('search indexing deferred during a first sync', () => {
  it('adds deferred rows, as edited or deleted meanwhile, to every index at once, leaving indexed rows as they were', () => {
    const { cache, db } = openCache()
    const before = Array.from({ length: 6 }, (_, i) =>
      conversation({ name: `Early Person${i}`, phoneNumber: `+1555100000${i}` }),
    )
    for (const c of before) cache.upsertConversation(c)
    const beforeMessages = before.map((c, i) => message(c, { content: `early parcel${i}` }))
    for (const m of beforeMessages) cache.upsertMessage(m)

    cache.deferIndexing()
    const synced = Array.from({ length: 30 }, (_, i) =>
      conversation({
        name: `Synced Person${i}`,
        phoneNumber: `+1555200${String(i).padStart(4, '0')}`,
        workspaceId: i % 5 === 0 ? WS2 : WS,
      }),
    )
    for (const c of synced) cache.upsertConversation(c)
    const syncedMessages = synced.map((c, i) => message(c, { content: `synced refund${i}` }))
    for (const m of syncedMessages) cache.upsertMessage(m)
    // Not searchable yet; what was indexed before still is.
    expect(unindexedRows(db)).toEqual({ contacts: 30, messages: 30 })
    expect(conversationIds(cache, 'synced')).toEqual([])
    expect(conversationIds(cache, 'Early Person3')).toEqual([before[3]!.id])

    // Live events meanwhile: edits and deletes of rows on both sides of the range.
    const renamed: Conversation = {
      ...synced[1]!,
      name: 'Renamed Customer',
      phoneNumber: '+4477009001',
      updatedAt: later,
    }
    cache.upsertConversation(renamed)
    const movedEarly: Conversation = {
      ...before[2]!,
      name: 'Moved Early',
      phoneNumber: '+4477009002',
      updatedAt: later,
    }
    cache.upsertConversation(movedEarly)
    cache.deleteConversation(synced[2]!.id)
    cache.deleteConversation(before[4]!.id)
    const editedMessage: Message = { ...syncedMessages[3]!, content: 'warranty question', updatedAt: later }
    cache.upsertMessage(editedMessage)
    cache.upsertMessage({ ...beforeMessages[1]!, content: 'early exchange', updatedAt: later })
    cache.deleteMessage(syncedMessages[6]!.id)
    cache.deleteMessage(beforeMessages[5]!.id)
    expect(conversationIds(cache, 'Moved Early')).toEqual([before[2]!.id])
    expect(conversationIds(cache, '9002')).toEqual([before[2]!.id])

    const indexed = cache.indexDeferredRows()
    const gaps = searchIndexGaps(db)
    console.log('deferred rows indexed', indexed, 'index gaps', JSON.stringify(gaps))
    expect(indexed).toEqual({ contacts: 29, messages: 28 })
    expect(gaps).toEqual(noGaps)
    expect(unindexedRows(db)).toEqual({ contacts: 0, messages: 0 })

    expect(conversationIds(cache, 'Synced Person7')).toEqual([synced[7]!.id])
    expect(conversationIds(cache, 'synced person5', WS2)).toEqual([synced[5]!.id])
    expect(conversationIds(cache, '2000008')).toEqual([synced[8]!.id])
    expect(conversationIds(cache, 'renamed')).toEqual([renamed.id])
    expect(conversationIds(cache, '7009001')).toEqual([renamed.id])
    expect(conversationIds(cache, '2000001')).toEqual([])
    expect(conversationIds(cache, '2000002')).toEqual([])
    expect(conversationIds(cache, 'warranty')).toEqual([synced[3]!.id])
    expect(conversationIds(cache, 'refund3')).toEqual([])
    expect(conversationIds(cache, 'refund6')).toEqual([])
    expect(conversationIds(cache, 'refund9')).toEqual([synced[9]!.id])
    // Nothing is deferred now: a new row is indexed as it is written.
    const after = conversation({ name: 'After Sync' })
    cache.upsertConversation(after)
    expect(conversationIds(cache, 'after sync')).toEqual([after.id])
    expect(searchIndexGaps(db)).toEqual(noGaps)
    cache.close()
    db.close()
  })

  it('keeps the recent message window sliding while deferred, and indexes the part of it that was', () => {
    const { cache, db } = openCache(8)
    const contacts = Array.from({ length: 4 }, () => conversation())
    for (const c of contacts) cache.upsertConversation(c)
    for (let i = 0; i < 10; i++) cache.upsertMessage(message(contacts[i % 4]!, { content: `tok${i}` }))
    cache.deferIndexing()
    for (let i = 10; i < 50; i++) {
      cache.upsertMessage(message(contacts[i % 4]!, { content: `tok${i}` }))
      // Each slide drops only what the recent index holds: FTS5 finds it consistent throughout.
      db.exec(`insert into messages_recent_fts(messages_recent_fts, rank) values ('integrity-check', 0)`)
    }
    cache.indexDeferredRows()
    expect(searchIndexGaps(db)).toEqual(noGaps)
    const floor = Number(
      (db.prepare('select floor from messages_recent_window').get() as { floor: number }).floor,
    )
    expect(floor).toBeGreaterThan(40)
    cache.close()
    db.close()
  })

  it('indexes a row written into the indexed range at once, when deletes let SQLite reuse its rowid', () => {
    const { cache, db } = openCache()
    const rows = Array.from({ length: 5 }, (_, i) => conversation({ name: `Reuse${i}` }))
    for (const c of rows) cache.upsertConversation(c)
    cache.deferIndexing()
    cache.deleteConversation(rows[4]!.id)
    cache.deleteConversation(rows[3]!.id)
    const reused = conversation({ name: 'Reused Rowid', phoneNumber: '+15559998877' })
    cache.upsertConversation(reused)
    expect(unindexedRows(db).contacts).toBe(0)
    expect(conversationIds(cache, 'reused rowid')).toEqual([reused.id])
    expect(searchIndexGaps(db)).toEqual(noGaps)
    cache.close()
    db.close()
  })

  it('a cache closed with rows still deferred (the app killed mid-sync) indexes them when it opens', () => {
    const { cache, db, path } = openCache()
    cache.deferIndexing()
    const rows = Array.from({ length: 12 }, (_, i) =>
      conversation({ name: `Interrupted${i}`, phoneNumber: `+1555300${i}00` }),
    )
    for (const c of rows) cache.upsertConversation(c)
    for (const c of rows) cache.upsertMessage(message(c, { content: `pending invoice ${c.name}` }))
    cache.close()
    expect(unindexedRows(db)).toEqual({ contacts: 12, messages: 12 })

    const reopened = Cache.open(path)
    expect(unindexedRows(db)).toEqual({ contacts: 0, messages: 0 })
    expect(searchIndexGaps(db)).toEqual(noGaps)
    expect(conversationIds(reopened, 'interrupted11')).toEqual([rows[11]!.id])
    expect(conversationIds(reopened, '3001100')).toEqual([rows[11]!.id])
    expect(new Set(conversationIds(reopened, 'invoice'))).toEqual(new Set(rows.map((c) => c.id)))
    reopened.close()
    db.close()
  })

  it('a first sync into empty tables builds the ordering indexes after its rows, as the migrations made them', () => {
    const { cache, db, path } = openCache()
    const migrated = orderingIndexSql(db)
    expect(migrated).toEqual(
      Object.fromEntries(
        [...orderingIndexes.contacts, ...orderingIndexes.messages].map(({ name, on }) => [
          name,
          `CREATE INDEX ${name} on ${on}`,
        ]),
      ),
    )

    cache.deferIndexing()
    expect(orderingIndexSql(db)).toEqual({})
    const rows = Array.from({ length: 40 }, (_, i) =>
      conversation({
        name: `Arriving${i}`,
        unreadCount: i % 4 === 0 ? 1 : 0,
        lastMessageAt: `2026-10-01T00:00:${String(i).padStart(2, '0')}.000000Z`,
      }),
    )
    for (const c of rows) cache.upsertConversation(c)
    for (const c of rows) cache.upsertMessage(message(c, { content: `arriving ${c.name}` }))
    // The inbox still lists, newest first, and counts what has arrived.
    const page = cache.listConversations(WS, 'All', 5)
    expect(page.items.map((c) => c.id)).toEqual(
      rows
        .slice(-5)
        .reverse()
        .map((c) => c.id),
    )
    expect(page.counts.All).toBe(40)
    expect(cache.thread(rows[7]!.id, null, 10).messages).toHaveLength(1)

    // Killed here: the next open builds them.
    cache.close()
    const reopened = Cache.open(path)
    expect(orderingIndexSql(db)).toEqual(migrated)
    expect(searchIndexGaps(db)).toEqual(noGaps)

    // A table that already holds rows keeps its indexes through a first sync of another workspace.
    reopened.deferIndexing()
    expect(orderingIndexSql(db)).toEqual(migrated)
    reopened.indexDeferredRows()
    expect(orderingIndexSql(db)).toEqual(migrated)
    reopened.close()
    db.close()
  })
})
