import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import {
  conversationView,
  defaultCacheRetentionDays,
  messageStatusSchema,
  messageView,
  memberView,
  type ContactActivity,
  type Conversation,
  type ConversationFilter,
  type ConversationStatus,
  type InboxViewCounts,
  type Member,
  type Message,
  type SearchHit,
  type Workspace,
} from '../../shared/domain.ts'
import { noteView, savedReplyView, type Note, type SavedReply } from '../../shared/notes-and-replies.ts'
import type { ConversationCursor } from '../../shared/contract.ts'
import type { Logger } from '../../shared/log.ts'
import { rowView } from '../../shared/rows/row-view.ts'
import {
  assigneeCountsSql,
  contactActivitySql,
  conversationByIdSql,
  inboxPageSql,
  membersSql,
  messageSnippetsSql,
  nameSearchSql,
  noteSnippetsSql,
  notesThreadSql,
  rankedNotesSql,
  olderThanRecentSql,
  type MessageIndex,
  outboxCompleteSql,
  outboxHeadsSql,
  outboxRetrySql,
  outboxSizeSql,
  phoneSearchSql,
  rankedMessagesSql,
  savedRepliesSql,
  statusCountsSql,
  threadPageSql,
  unreadTotalsSql,
  workspaceCountsSql,
} from './queries.ts'
import { cacheMigrations, deferredIndexBuilds, orderingIndexes } from './schema.ts'
import { SenderCache } from './sender-cache.ts'
import { nowTimestamp } from './time.ts'

/**
 * The offline replica of everything the agent may see, plus the outbox. Reads are
 * synchronous and indexed (the inbox paints from here before any network answer);
 * writes are idempotent by id and never let an older server row replace a newer one.
 */

export type CachedWorkspace = Omit<Workspace, 'unreadTotal'>
export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged'

/**
 * How a reply asks the relay's collision guard to treat it: unguarded, guarded by the
 * newest message of the conversation its author had seen (null: none by anyone else),
 * or sent anyway after its author read what arrived.
 */
export type ReplyGuard =
  { kind: 'none' } | { kind: 'seen'; seenMessageId: string | null } | { kind: 'anyway' }

export interface OutboxEntry {
  seq: number
  messageId: string
  workspaceId: string
  contactId: string
  body: string
  retry: boolean
  guard: ReplyGuard
  /** The workspace number the reply leaves from (null: the relay picks the workspace's first). */
  fromNumber: string | null
  attempts: number
  nextAttemptAt: number
}

export interface SyncState {
  messagesCursor: string | null
  contactsCursor: string | null
  lastSyncAt: string | null
}

export interface RetentionPolicy {
  /** Messages younger than this are always kept. */
  keepDays: number
}
export const defaultRetention: RetentionPolicy = { keepDays: defaultCacheRetentionDays }

export interface OpenCacheOptions {
  logger?: Logger
  /** Injected clock for retention tests. */
  now?: () => number
}

type Row = Record<string, SQLInputValue>

const str = (row: Row, key: string): string => String(row[key])
const strOrNull = (row: Row, key: string): string | null => (row[key] === null ? null : String(row[key]))

/**
 * The cache's contacts and messages tables keep the synced columns under the
 * database's names (schema.ts), so their columns and mapping come from the shared
 * row views. SQLite hands back text, integers and NULL, which is what those columns hold.
 */
/** messages, whose status may also be `queued`: a send the relay has not accepted yet exists only here. */
const messageRows = rowView(messageView.row.extend({ status: messageStatusSchema }), messageView.fields)
/** contacts, plus phone_digits: the number's digits alone, since FTS cannot match inside a number. */
const cachedContactSchema = conversationView.row.extend({ phone_digits: z.string() })

const toConversation = (row: Row): Conversation =>
  conversationView.fromRow(row as unknown as z.infer<typeof conversationView.row>)
const toMessage = (row: Row): Message =>
  messageRows.fromRow(row as unknown as z.infer<typeof messageRows.row>)

/** Inserts a row of every column, or updates the `changing` columns of the row with its id. */
function upsertSql(table: string, columns: readonly string[], changing: readonly string[]): string {
  return `insert into ${table} (${columns.join(', ')}) values (${columns.map((column) => `$${column}`).join(', ')})
    on conflict (id) do update set ${changing.map((column) => `${column} = excluded.${column}`).join(', ')}`
}

const contactColumns = Object.keys(cachedContactSchema.shape)
const upsertContactSql = upsertSql(
  'contacts',
  contactColumns,
  contactColumns.filter((column) => column !== 'id'),
)
/** A message never moves to another conversation, direction or author. */
const fixedMessageColumns = new Set(['id', 'workspace_id', 'contact_id', 'direction', 'created_by'])
const messageColumns = Object.keys(messageRows.row.shape)
const writeMessageSql = upsertSql(
  'messages',
  messageColumns,
  messageColumns.filter((column) => !fixedMessageColumns.has(column)),
)

/** A note's mentions are a JSON array in the cache (schema.ts, internal_notes). */
const noteRows = rowView(noteView.row.extend({ mentions: z.string() }), noteView.fields)
const noteColumns = Object.keys(noteRows.row.shape)
/** A note is never edited on the server; an update only follows a newer updated_at. */
const writeNoteSql = upsertSql(
  'internal_notes',
  noteColumns,
  noteColumns.filter((column) => column !== 'id'),
)
const toNote = (row: Row): Note => {
  const note = noteRows.fromRow(row as unknown as z.infer<typeof noteRows.row>)
  return { ...note, mentions: z.array(z.string()).parse(JSON.parse(note.mentions)) }
}
const savedReplyColumns = Object.keys(savedReplyView.row.shape)
const toSavedReply = (row: Row): SavedReply =>
  savedReplyView.fromRow(row as unknown as z.infer<typeof savedReplyView.row>)

function toOutboxEntry(row: Row): OutboxEntry {
  return {
    seq: Number(row.seq),
    messageId: str(row, 'message_id'),
    workspaceId: str(row, 'workspace_id'),
    contactId: str(row, 'contact_id'),
    body: str(row, 'body'),
    retry: Number(row.retry) === 1,
    guard: toReplyGuard(row),
    fromNumber: strOrNull(row, 'from_number'),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
  }
}

function toReplyGuard(row: Row): ReplyGuard {
  if (row.guard === 'seen') return { kind: 'seen', seenMessageId: strOrNull(row, 'seen_message_id') }
  return row.guard === 'anyway' ? { kind: 'anyway' } : { kind: 'none' }
}

/** The words of a search box as an FTS5 query: every word must match, each as a prefix. */
export function ftsQuery(query: string): string | null {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu)
  if (!words || words.length === 0) return null
  return words
    .slice(0, 8)
    .map((word) => `"${word}"*`)
    .join(' ')
}

/**
 * An FTS5 query for `words` in `column`, within one workspace when given: the FTS tables
 * hold the workspace id without its hyphens as one token (schema.ts).
 */
function inWorkspace(workspaceId: string | null, column: string, words: string): string {
  const within = `{${column}} : (${words})`
  if (workspaceId === null) return within
  return `{workspace} : "${workspaceId.replaceAll('-', '').replaceAll('"', '""')}" AND ${within}`
}

const START = '\u0001'
const END = '\u0002'

/** Strips FTS5 highlight markers from `marked` and returns the text with its highlighted ranges. */
export function parseMarked(marked: string): { text: string; highlights: [number, number][] } {
  let text = ''
  const highlights: [number, number][] = []
  let start = -1
  for (const char of marked) {
    if (char === START) start = text.length
    else if (char === END) {
      if (start >= 0) highlights.push([start, text.length])
      start = -1
    } else text += char
  }
  return { text, highlights }
}

/** Case-insensitive ranges of each search word's occurrences at word starts in `text`. */
function wordPrefixRanges(text: string, query: string): [number, number][] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  const lower = text.toLowerCase()
  const ranges: [number, number][] = []
  for (const word of words) {
    let from = 0
    for (;;) {
      const at = lower.indexOf(word, from)
      if (at < 0) break
      const before = at === 0 ? '' : lower[at - 1]!
      if (!/[\p{L}\p{N}]/u.test(before)) ranges.push([at, at + word.length])
      from = at + word.length
    }
  }
  return ranges.sort((a, b) => a[0] - b[0])
}

/** The database file and the files SQLite keeps beside it (WAL mode, or a rollback journal). */
const sqliteSidecars = ['', '-wal', '-shm', '-journal']

const corruptionPattern = /not a database|malformed|corrupt|file is encrypted|disk image/i

export function isCorruptionError(error: unknown): boolean {
  return error instanceof Error && corruptionPattern.test(error.message)
}

export class Cache {
  readonly path: string
  /** Where a corrupt cache file was moved before this one was rebuilt, if that happened. */
  readonly recoveredFrom: string | null
  private db: DatabaseSync
  private readonly now: () => number
  private readonly statements = new Map<string, StatementSync>()
  /** The workspaces' numbers and each customer's consent per number. */
  readonly senders = new SenderCache((sql) => this.stmt(sql))

  private constructor(path: string, db: DatabaseSync, recoveredFrom: string | null, now: () => number) {
    this.path = path
    this.db = db
    this.recoveredFrom = recoveredFrom
    this.now = now
  }

  /**
   * Opens (or creates) the cache at `path`. A file SQLite cannot read is moved aside
   * as `<path>.corrupt-<time>` and a fresh cache is built, so a damaged file costs a
   * resync, never a crash loop.
   */
  static open(path: string, options: OpenCacheOptions = {}): Cache {
    const now = options.now ?? Date.now
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    let cache: Cache
    try {
      cache = new Cache(path, openDatabase(path), null, now)
    } catch (error) {
      if (path === ':memory:') throw error
      const aside = Cache.quarantine(path, now())
      options.logger?.warn('cache unreadable, moved it aside and rebuilding', { error, aside })
      cache = new Cache(path, openDatabase(path), aside, now)
    }
    // A first sync that ended without indexing its rows (the app was killed) left them for here.
    const indexed = cache.indexDeferredRows()
    if (indexed.contacts + indexed.messages > 0)
      options.logger?.info('indexed the rows an interrupted first sync left unindexed', indexed)
    return cache
  }

  /** Moves a (closed) damaged cache file and its WAL aside, keeping it for diagnosis; returns where. */
  static quarantine(path: string, at: number = Date.now()): string {
    const aside = `${path}.corrupt-${at}`
    for (const suffix of sqliteSidecars) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix)
    }
    return aside
  }

  /** Deletes the cache at `path` with every file SQLite keeps beside it, and any copy moved aside as damaged. */
  static remove(path: string): void {
    if (path === ':memory:') return
    for (const suffix of sqliteSidecars) rmSync(path + suffix, { force: true })
    const dir = dirname(path)
    if (!existsSync(dir)) return
    const quarantined = `${basename(path)}.corrupt-`
    for (const name of readdirSync(dir)) {
      if (name.startsWith(quarantined)) rmSync(join(dir, name), { force: true })
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close()
  }

  /**
   * Sign-out: deleted rows stay readable in freed pages and in the WAL, so the files
   * go and an empty cache takes their place. The checkpoint first empties the WAL,
   * in case a file cannot be deleted (another process holding it open on Windows).
   */
  wipe(): void {
    this.clear()
    this.db.exec('pragma wal_checkpoint(truncate)')
    this.statements.clear()
    this.close()
    Cache.remove(this.path)
    this.db = openDatabase(this.path)
  }

  /** A full consistency check, slower than opening: run it after the first paint. */
  checkIntegrity(): boolean {
    try {
      const row = this.db.prepare('pragma quick_check').get() as Row | undefined
      return row?.quick_check === 'ok'
    } catch (error) {
      if (isCorruptionError(error)) return false
      throw error
    }
  }

  private stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn()
    this.db.exec('begin immediate')
    try {
      const result = fn()
      this.db.exec('commit')
      return result
    } catch (error) {
      this.db.exec('rollback')
      throw error
    }
  }

  // Search indexing ----------------------------------------------------------

  /**
   * Rows written from now on stay out of the search indexes (names, numbers, message text)
   * until indexDeferredRows adds them all at once: a first sync's 100k rows cost a fraction
   * of what thirteen phone suffixes and three FTS inserts per row cost (schema.ts, schema 8).
   * Already deferring, it keeps the range it has. A table still empty also loses its
   * ordering indexes until then (schema.ts, orderingIndexes): it has nothing yet to order
   * but the rows arriving. Both are committed together, so a cache killed meanwhile builds
   * the indexes again when it opens.
   */
  deferIndexing(): void {
    this.transaction(() => {
      for (const table of ['contacts', 'messages'] as const) {
        this.stmt(
          `insert into unindexed_rows (table_name, from_rowid)
           select '${table}', coalesce(max(rowid), 0) + 1 from ${table} where true
           on conflict (table_name) do nothing`,
        ).run()
        if (this.stmt(`select 1 from ${table} limit 1`).get() === undefined)
          for (const { name } of orderingIndexes[table]) this.db.exec(`drop index if exists ${name}`)
      }
    })
  }

  /**
   * Adds every deferred row to the search indexes and builds any ordering index deferIndexing
   * dropped, in one transaction; returns how many rows per table.
   */
  indexDeferredRows(): Record<keyof typeof deferredIndexBuilds, number> {
    return this.transaction(() => {
      const indexed = { contacts: 0, messages: 0 }
      for (const table of ['contacts', 'messages'] as const) {
        const range = this.stmt('delete from unindexed_rows where table_name = ? returning from_rowid').get(
          table,
        ) as Row | undefined
        if (!range) continue
        const from = Number(range.from_rowid)
        indexed[table] = Number(
          (this.stmt(`select count(*) as n from ${table} where rowid >= ?`).get(from) as Row).n,
        )
        for (const sql of deferredIndexBuilds[table]) this.stmt(sql).run({ from })
      }
      for (const { name, on } of [...orderingIndexes.contacts, ...orderingIndexes.messages])
        this.db.exec(`create index if not exists ${name} on ${on}`)
      return indexed
    })
  }

  // Workspaces ---------------------------------------------------------------

  replaceWorkspaces(list: CachedWorkspace[]): void {
    this.transaction(() => {
      this.stmt('delete from workspaces').run()
      list.forEach((workspace, position) => {
        this.stmt(
          `insert into workspaces (id, name, role, can_send, sending_number, segment_limit, position)
           values (?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          workspace.id,
          workspace.name,
          workspace.role,
          workspace.canSend ? 1 : 0,
          workspace.sendingNumber,
          workspace.segmentLimit,
          position,
        )
      })
    })
  }

  listWorkspaces(): Workspace[] {
    const unread = this.unreadByWorkspace()
    return (this.stmt('select * from workspaces order by position').all() as Row[]).map((row) => ({
      id: str(row, 'id'),
      name: str(row, 'name'),
      role: str(row, 'role') as Workspace['role'],
      canSend: Number(row.can_send) === 1,
      sendingNumber: strOrNull(row, 'sending_number'),
      segmentLimit: Number(row.segment_limit),
      unreadTotal: unread[str(row, 'id')] ?? 0,
    }))
  }

  /** Unread messages per workspace, from the counters the contacts triggers keep (schema.ts, inbox_counts). */
  unreadByWorkspace(): Record<string, number> {
    const rows = this.stmt(unreadTotalsSql).all() as Row[]
    return Object.fromEntries(rows.map((row) => [str(row, 'workspace_id'), Number(row.total)]))
  }

  /** How many conversations each inbox filter holds, from the same counters. */
  statusCounts(workspaceId: string): Record<ConversationFilter, number> {
    const counts: Record<ConversationFilter, number> = { Open: 0, Pending: 0, Done: 0, All: 0 }
    for (const row of this.stmt(statusCountsSql).all(workspaceId) as Row[]) {
      const status = str(row, 'conversation_status') as ConversationStatus
      counts[status] = Number(row.conversations)
      counts.All += Number(row.conversations)
    }
    return counts
  }

  /** The Mine, Unassigned and All views' conversations and unread messages, from the counters. */
  viewCounts(workspaceId: string, userId: string): InboxViewCounts {
    const all = this.stmt(workspaceCountsSql).get(workspaceId) as Row
    const counts: InboxViewCounts = {
      mine: { conversations: 0, unread: 0 },
      unassigned: { conversations: 0, unread: 0 },
      all: { conversations: Number(all.conversations), unread: Number(all.unread) },
    }
    for (const row of this.stmt(assigneeCountsSql).all({ ws: workspaceId, me: userId }) as Row[]) {
      counts[str(row, 'assignee') === '' ? 'unassigned' : 'mine'] = {
        conversations: Number(row.conversations),
        unread: Number(row.unread),
      }
    }
    return counts
  }

  // Members ------------------------------------------------------------------

  /** A workspace's members as the server listed them; false when nothing changed. */
  replaceMembers(workspaceId: string, members: readonly Member[]): boolean {
    const key = (list: readonly Member[]) => JSON.stringify(list.map((m) => [m.userId, m.updatedAt, m.role]))
    const before = this.listMembers(workspaceId)
    const sorted = [...members].sort(byName)
    if (key(before) === key(sorted)) return false
    this.transaction(() => {
      this.stmt('delete from member_profiles where workspace_id = ?').run(workspaceId)
      for (const member of sorted) {
        this.stmt(
          `insert into member_profiles (workspace_id, user_id, display_name, avatar_color, role, updated_at)
           values ($workspace_id, $user_id, $display_name, $avatar_color, $role, $updated_at)`,
        ).run({ ...memberView.toRow(member), role: member.role })
      }
    })
    return true
  }

  /** By name: the order the assignee menu and mentions list them in. */
  listMembers(workspaceId: string): Member[] {
    return (this.stmt(membersSql).all(workspaceId) as Row[]).map((row) => ({
      ...memberView.fromRow(row as unknown as z.infer<typeof memberView.row>),
      role: str(row, 'role') as Member['role'],
    }))
  }

  // Conversations ------------------------------------------------------------

  upsertConversation(conversation: Conversation): UpsertOutcome {
    const existing = this.stmt('select updated_at from contacts where id = ?').get(conversation.id) as
      Row | undefined
    if (existing && str(existing, 'updated_at') > conversation.updatedAt) return 'unchanged'
    this.stmt(upsertContactSql).run({
      ...conversationView.toRow(conversation),
      phone_digits: conversation.phoneNumber.replace(/\D/g, ''),
    } satisfies z.infer<typeof cachedContactSchema>)
    return existing ? 'updated' : 'inserted'
  }

  /** A local change ahead of the server's answer (read state), keeping the server's updated_at. */
  patchConversation(
    id: string,
    patch: { unreadCount?: number; status?: ConversationStatus },
  ): Conversation | null {
    if (patch.unreadCount !== undefined)
      this.stmt('update contacts set unread_count = ? where id = ?').run(patch.unreadCount, id)
    if (patch.status !== undefined)
      this.stmt('update contacts set conversation_status = ? where id = ?').run(patch.status, id)
    return this.getConversation(id)
  }

  /** Per workspace number, the contact's messages: how many each way, the first and the last. */
  contactActivity(contactId: string): ContactActivity[] {
    return (this.stmt(contactActivitySql).all(contactId) as Row[]).map((row) => ({
      workspaceNumber: strOrNull(row, 'workspace_number'),
      messages: Number(row.messages),
      received: Number(row.received),
      firstAt: str(row, 'first_at'),
      lastAt: str(row, 'last_at'),
    }))
  }

  getConversation(id: string): Conversation | null {
    const row = this.stmt(conversationByIdSql).get(id) as Row | undefined
    return row ? toConversation(row) : null
  }

  /**
   * The inbox newest first (`last_message_at desc nulls last, id`), with every
   * filter's count. `limit` makes it a page and `after` continues from the last
   * conversation of the previous page (keyset: rows that move between pages are
   * neither skipped nor repeated by the paging itself; their change events carry them).
   */
  listConversations(
    workspaceId: string,
    filter: ConversationFilter,
    limit = -1,
    after: ConversationCursor | null = null,
    /** Only the conversations of this member (or of nobody, null); absent, everyone's. */
    owner?: { assigneeId: string | null },
  ): { items: Conversation[]; counts: Record<ConversationFilter, number>; hasMore: boolean } {
    const status = filter === 'All' ? null : filter
    const sql = inboxPageSql({
      byStatus: status !== null,
      after: after !== null,
      ...(owner ? { owner: owner.assigneeId === null ? 'nobody' : 'member' } : {}),
    })
    const rows = this.stmt(sql).iterate({
      ws: workspaceId,
      ...(status ? { status } : {}),
      ...(owner?.assigneeId ? { assignee: owner.assigneeId } : {}),
      ...(after ? { id: after.id, at: after.lastMessageAt ?? '' } : {}),
      limit: limit < 0 ? -1 : limit + 1,
    }) as Iterable<Row>
    // Each row becomes a conversation as it is read, so a whole inbox (80k rows at 10×) is
    // never held twice, as raw rows and as conversations: the process keeps its peak.
    const items: Conversation[] = []
    let hasMore = false
    for (const row of rows) {
      if (items.length === limit) {
        hasMore = true
        break
      }
      items.push(toConversation(row))
    }
    return { items, counts: this.statusCounts(workspaceId), hasMore }
  }

  // Messages -----------------------------------------------------------------

  /**
   * Applies a server row. A newer cached version wins, except over a local `queued`
   * row, whose client clock says nothing about the server's.
   */
  upsertMessage(message: Message): UpsertOutcome {
    const existing = this.stmt('select updated_at, status from messages where id = ?').get(message.id) as
      Row | undefined
    if (existing && str(existing, 'status') !== 'queued' && str(existing, 'updated_at') > message.updatedAt)
      return 'unchanged'
    if (
      existing &&
      str(existing, 'updated_at') === message.updatedAt &&
      str(existing, 'status') === message.status &&
      message.status !== 'queued'
    ) {
      return 'unchanged'
    }
    this.writeMessage(message)
    return existing ? 'updated' : 'inserted'
  }

  private writeMessage(message: Message): void {
    this.stmt(writeMessageSql).run(messageRows.toRow(message))
  }

  getMessage(id: string): Message | null {
    const row = this.stmt('select * from messages where id = ?').get(id) as Row | undefined
    return row ? toMessage(row) : null
  }

  /** Oldest first, the `limit` newest before `before` (an ISO timestamp) or the newest overall. */
  thread(contactId: string, before: string | null, limit: number): { messages: Message[]; hasMore: boolean } {
    const rows = (
      before === null
        ? this.stmt(threadPageSql({ before: false })).all(contactId, limit + 1)
        : this.stmt(threadPageSql({ before: true })).all(contactId, before, limit + 1)
    ) as Row[]
    const hasMore = rows.length > limit
    return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore }
  }

  deleteMessage(id: string): boolean {
    return Number(this.stmt('delete from messages where id = ?').run(id).changes) > 0
  }

  deleteConversation(id: string): boolean {
    return this.transaction(() => {
      this.stmt('delete from messages where contact_id = ?').run(id)
      this.stmt('delete from internal_notes where contact_id = ?').run(id)
      this.stmt('delete from consent_states where contact_id = ?').run(id)
      return Number(this.stmt('delete from contacts where id = ?').run(id).changes) > 0
    })
  }

  // Search -------------------------------------------------------------------

  /**
   * Name and number matches first (the agent is usually looking for a person), then
   * message text, one hit per conversation. Every part reads a bounded stretch of an
   * index: names are the most recently active of the newest `limit × 8` name matches in
   * the workspace (the FTS tables hold the workspace as a column), numbers come in digit
   * order, and messages are ranked by bm25 among the newest `limit × 8` matches of the
   * recent search index (schema.ts, messages_recent_fts), then of all history when those
   * leave the page short. `digits` is what the number search looks for, when the caller
   * knows better than the query's bare digits (phoneSearchDigits: a national trunk prefix).
   */
  search(
    query: string,
    workspaceId: string | null,
    limit: number,
    digits = query.replace(/[\s()+.-]/g, ''),
  ): SearchHit[] {
    const hits: SearchHit[] = []
    const seen = new Set<string>()
    const add = (hit: SearchHit) => {
      if (hits.length >= limit || seen.has(hit.conversation.id)) return
      seen.add(hit.conversation.id)
      hits.push(hit)
    }
    const words = ftsQuery(query)
    const pool = limit * 8
    if (words) {
      const rows = this.stmt(nameSearchSql).all({
        match: inWorkspace(workspaceId, 'name', words),
        pool,
        limit,
      }) as Row[]
      for (const row of rows) {
        const conversation = toConversation(row)
        const name = conversation.name ?? ''
        add({
          conversation,
          field: 'name',
          snippet: name,
          highlights: wordPrefixRanges(name, query),
          messageId: null,
          noteId: null,
        })
      }
    }
    if (/^\d{3,15}$/.test(digits) && hits.length < limit) {
      const matches = this.stmt(phoneSearchSql({ scoped: workspaceId !== null })).iterate({
        digits,
        ...(workspaceId === null ? {} : { ws: workspaceId }),
      }) as Iterator<Row>
      for (let next = matches.next(); !next.done && hits.length < limit; next = matches.next()) {
        const conversation = toConversation(next.value)
        const at = conversation.phoneNumber.indexOf(digits)
        add({
          conversation,
          field: 'phone',
          snippet: conversation.phoneNumber,
          highlights: at >= 0 ? [[at, at + digits.length]] : [],
          messageId: null,
          noteId: null,
        })
      }
      matches.return?.()
    }
    if (words && hits.length < limit) {
      // Notes before messages: a workspace holds few, and a teammate's note on a term is
      // what an agent searching for it most often wants.
      for (const hit of this.noteHits(words, workspaceId, pool, limit - hits.length, seen)) add(hit)
    }
    if (words) {
      // The recent index first; all history only when that leaves the page short.
      for (const index of ['messages_recent_fts', 'messages_fts'] as const) {
        if (hits.length >= limit) break
        if (index === 'messages_fts' && !Number((this.stmt(olderThanRecentSql).get() as Row).older)) break
        for (const hit of this.messageHits(index, words, workspaceId, pool, limit - hits.length, seen))
          add(hit)
      }
    }
    return hits
  }

  /**
   * Up to `room` message hits from `index`, best first, one per conversation not in `seen`:
   * ranked first, then excerpted, so snippet() runs only for the hits kept.
   */
  private messageHits(
    index: MessageIndex,
    words: string,
    workspaceId: string | null,
    pool: number,
    room: number,
    seen: ReadonlySet<string>,
  ): SearchHit[] {
    const ranked = this.stmt(rankedMessagesSql(index)).all({
      match: inWorkspace(workspaceId, 'content', words),
      pool,
    }) as Row[]
    const kept = new Map(
      this.bestPerConversation(ranked, room, seen).map(({ row, conversation }) => [
        Number(row.rowid),
        { messageId: str(row, 'message_id'), conversation },
      ]),
    )
    if (kept.size === 0) return []
    const rowids = [...kept.keys()]
    const marked = new Map(
      (
        this.stmt(messageSnippetsSql(index)).all({
          words: inWorkspace(null, 'content', words),
          rowids: JSON.stringify(rowids),
          low: Math.min(...rowids),
          high: Math.max(...rowids),
        }) as Row[]
      ).map((row) => [Number(row.rowid), str(row, 'marked')]),
    )
    return [...kept].map(([rowid, { messageId, conversation }]) => {
      const { text, highlights } = parseMarked(marked.get(rowid) ?? '')
      return { conversation, field: 'message' as const, snippet: text, highlights, messageId, noteId: null }
    })
  }

  /** Up to `room` note hits, best first by bm25, one per conversation not in `seen`. */
  private noteHits(
    words: string,
    workspaceId: string | null,
    pool: number,
    room: number,
    seen: ReadonlySet<string>,
  ): SearchHit[] {
    const ranked = this.stmt(rankedNotesSql).all({
      match: inWorkspace(workspaceId, 'body', words),
      pool,
    }) as Row[]
    return this.bestPerConversation(ranked, room, seen).map(({ row, conversation }) => {
      const marked = this.stmt(noteSnippetsSql).get({
        words: inWorkspace(null, 'body', words),
        rowid: Number(row.rowid),
      }) as Row | undefined
      const { text, highlights } = parseMarked(marked ? str(marked, 'marked') : '')
      return {
        conversation,
        field: 'note' as const,
        snippet: text,
        highlights,
        messageId: null,
        noteId: str(row, 'note_id'),
      }
    })
  }

  /** The first `room` of `ranked` (rows with a contact_id, best first), one per cached conversation not in `seen`. */
  private bestPerConversation(
    ranked: readonly Row[],
    room: number,
    seen: ReadonlySet<string>,
  ): { row: Row; conversation: Conversation }[] {
    const kept: { row: Row; conversation: Conversation }[] = []
    const taken = new Set(seen)
    for (const row of ranked) {
      if (kept.length >= room) break
      const contactId = str(row, 'contact_id')
      if (taken.has(contactId)) continue
      const conversation = this.getConversation(contactId)
      if (!conversation) continue
      taken.add(contactId)
      kept.push({ row, conversation })
    }
    return kept
  }

  // Internal notes -----------------------------------------------------------

  /** Applies a server row by id; an older version never replaces a newer one. */
  upsertNote(note: Note): UpsertOutcome {
    const existing = this.stmt('select updated_at from internal_notes where id = ?').get(note.id) as
      Row | undefined
    if (existing && str(existing, 'updated_at') >= note.updatedAt) return 'unchanged'
    this.stmt(writeNoteSql).run(noteRows.toRow({ ...note, mentions: JSON.stringify(note.mentions) }))
    return existing ? 'updated' : 'inserted'
  }

  getNote(id: string): Note | null {
    const row = this.stmt('select * from internal_notes where id = ?').get(id) as Row | undefined
    return row ? toNote(row) : null
  }

  deleteNote(id: string): boolean {
    return Number(this.stmt('delete from internal_notes where id = ?').run(id).changes) > 0
  }

  /** The ids of every note of a workspace the cache holds, for the sync to find the ones deleted on the server. */
  noteIds(workspaceId: string): string[] {
    return (this.stmt('select id from internal_notes where workspace_id = ?').all(workspaceId) as Row[]).map(
      (row) => str(row, 'id'),
    )
  }

  /** A conversation's notes, oldest first: the thread interleaves them with its messages by time. */
  notes(contactId: string): Note[] {
    return (this.stmt(notesThreadSql).all(contactId) as Row[]).map(toNote)
  }

  notesCursor(workspaceId: string): string | null {
    const row = this.stmt('select notes_cursor from sync_state where workspace_id = ?').get(workspaceId) as
      Row | undefined
    return row ? strOrNull(row, 'notes_cursor') : null
  }

  /** The newest note updated_at applied; it only moves forward. */
  advanceNotesCursor(workspaceId: string, at: string): void {
    this.stmt(
      `insert into sync_state (workspace_id, notes_cursor) values ($w, $at)
       on conflict (workspace_id) do update set notes_cursor = max(coalesce(notes_cursor, ''), excluded.notes_cursor)`,
    ).run({ w: workspaceId, at })
  }

  // Saved replies ------------------------------------------------------------

  /** A workspace's saved replies as the server has them now: one that is gone there goes here too. */
  replaceSavedReplies(workspaceId: string, replies: readonly SavedReply[]): void {
    this.transaction(() => {
      this.stmt('delete from saved_replies where workspace_id = ?').run(workspaceId)
      const insert = this.stmt(
        `insert into saved_replies (${savedReplyColumns.join(', ')}) values (${savedReplyColumns.map((c) => `$${c}`).join(', ')})`,
      )
      for (const reply of replies) insert.run(savedReplyView.toRow(reply))
    })
  }

  /** A live change of one saved reply. */
  upsertSavedReply(reply: SavedReply): void {
    this.stmt(
      upsertSql(
        'saved_replies',
        savedReplyColumns,
        savedReplyColumns.filter((c) => c !== 'id'),
      ),
    ).run(savedReplyView.toRow(reply))
  }

  deleteSavedReply(id: string): void {
    this.stmt('delete from saved_replies where id = ?').run(id)
  }

  /** What the agent may insert in a workspace (RLS let only theirs and the team's into the cache), by title. */
  savedReplies(workspaceId: string): SavedReply[] {
    return (this.stmt(savedRepliesSql).all(workspaceId) as Row[]).map(toSavedReply)
  }

  // Outbox -------------------------------------------------------------------

  /** Writes the local message as `queued` and its outbox entry, in one transaction. */
  enqueue(message: Message, options: { retry: boolean; guard?: ReplyGuard }): void {
    const guard = options.guard ?? { kind: 'none' }
    this.transaction(() => {
      this.writeMessage(message)
      this.leadConversation(message)
      this.stmt(
        `insert into outbox (message_id, workspace_id, contact_id, body, retry, guard, seen_message_id, from_number)
         values (?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (message_id) do update set retry = excluded.retry, guard = excluded.guard,
           seen_message_id = excluded.seen_message_id, from_number = excluded.from_number,
           attempts = 0, next_attempt_at = 0`,
      ).run(
        message.id,
        message.workspaceId,
        message.contactId,
        message.content,
        options.retry ? 1 : 0,
        guard.kind,
        guard.kind === 'seen' ? guard.seenMessageId : null,
        message.workspaceNumber,
      )
    })
  }

  /**
   * A reply leads its conversation's row at once, as the server's trigger
   * (bump_conversation) will make it once the relay has the message: the latest
   * activity and its first 140 characters, whitespace collapsed. The contact's
   * updated_at is left alone, so the server's row still replaces this one.
   */
  private leadConversation(message: Message): void {
    this.stmt(
      `update contacts set last_message_at = $at, last_message_preview = $preview
        where id = $id and (last_message_at is null or last_message_at <= $at)`,
    ).run({
      id: message.contactId,
      at: message.createdAt,
      preview: message.content.replace(/\s+/g, ' ').slice(0, 140),
    })
  }

  /** The oldest entry of each conversation: later ones wait for it, so a thread keeps its order. */
  outboxHeads(): OutboxEntry[] {
    return (this.stmt(outboxHeadsSql).all() as Row[]).map(toOutboxEntry)
  }

  outboxSize(): number {
    return Number((this.stmt(outboxSizeSql).get() as Row).n)
  }

  scheduleOutboxRetry(messageId: string, attempts: number, nextAttemptAt: number): void {
    this.stmt(outboxRetrySql).run(attempts, nextAttemptAt, messageId)
  }

  /** Every entry due again now (a network change or a resume makes waiting pointless). */
  resetOutboxBackoff(): void {
    this.stmt('update outbox set next_attempt_at = 0').run()
  }

  /**
   * The relay answered for this message: the entry is done, and its row is applied as
   * any server row is, so a newer version Realtime brought while the answer was on its
   * way (`delivered` over the answer's `sent`) stays. An entry no longer there was
   * dropped (sign-out, a workspace left) while the send was in flight, and its message
   * must not come back: null.
   */
  completeOutbox(messageId: string, message: Message): UpsertOutcome | null {
    return this.transaction(() => {
      const { changes } = this.stmt(outboxCompleteSql).run(messageId)
      return Number(changes) > 0 ? this.upsertMessage(message) : null
    })
  }

  // Sync state ---------------------------------------------------------------

  syncState(workspaceId: string): SyncState {
    const row = this.stmt('select * from sync_state where workspace_id = ?').get(workspaceId) as
      Row | undefined
    return {
      messagesCursor: row ? strOrNull(row, 'messages_cursor') : null,
      contactsCursor: row ? strOrNull(row, 'contacts_cursor') : null,
      lastSyncAt: row ? strOrNull(row, 'last_sync_at') : null,
    }
  }

  /** Cursors only move forward. */
  advanceSync(workspaceId: string, update: Partial<SyncState>): void {
    this.stmt(
      `insert into sync_state (workspace_id, messages_cursor, contacts_cursor, last_sync_at) values ($w, $m, $c, $s)
       on conflict (workspace_id) do update set
         messages_cursor = nullif(max(coalesce(messages_cursor, ''), coalesce(excluded.messages_cursor, '')), ''),
         contacts_cursor = nullif(max(coalesce(contacts_cursor, ''), coalesce(excluded.contacts_cursor, '')), ''),
         last_sync_at = coalesce(excluded.last_sync_at, last_sync_at)`,
    ).run({
      w: workspaceId,
      m: update.messagesCursor ?? null,
      c: update.contactsCursor ?? null,
      s: update.lastSyncAt ?? null,
    })
  }

  lastSyncAt(): string | null {
    const row = this.stmt('select max(last_sync_at) as at from sync_state').get() as Row
    return strOrNull(row, 'at')
  }

  // Retention ----------------------------------------------------------------

  /**
   * Drops messages older than the policy allows, except every unread inbound message
   * (the newest `unread_count` inbound ones of a conversation) and anything still in
   * the outbox or not accepted by the server. Returns how many were removed.
   */
  applyRetention(policy: RetentionPolicy = defaultRetention): number {
    const cutoff = nowTimestamp(this.now() - policy.keepDays * 86_400_000)
    return this.transaction(() => {
      const result = this.stmt(
        `delete from messages where created_at < $cutoff
           and status not in ('queued', 'failed')
           and id not in (select message_id from outbox)
           and id not in (
             select id from (
               select m.id, c.unread_count,
                      row_number() over (partition by m.contact_id order by m.created_at desc) as position
                 from messages m join contacts c on c.id = m.contact_id
                where c.unread_count > 0 and m.direction = 'inbound'
             ) where position <= unread_count
           )`,
      ).run({ cutoff })
      return Number(result.changes)
    })
  }

  /** Everything of a workspace the agent no longer belongs to. */
  forgetWorkspace(workspaceId: string): void {
    this.transaction(() => {
      for (const table of [
        'messages',
        'internal_notes',
        'saved_replies',
        'contacts',
        'outbox',
        'sync_state',
        'member_profiles',
        'workspace_numbers',
        'consent_states',
        'consent_events',
      ]) {
        this.stmt(`delete from ${table} where workspace_id = ?`).run(workspaceId)
      }
    })
  }

  /** Sign-out: the next agent on this machine must not see this one's customers. */
  clear(): void {
    this.transaction(() => {
      for (const table of [
        'messages',
        'internal_notes',
        'saved_replies',
        'contacts',
        'outbox',
        'sync_state',
        'workspaces',
        'member_profiles',
        'workspace_numbers',
        'consent_states',
        'consent_events',
      ])
        this.stmt(`delete from ${table}`).run()
    })
  }
}

const byName = (a: Member, b: Member): number =>
  a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : a.userId < b.userId ? -1 : 1

function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path)
  try {
    db.exec('pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = 2000')
    // Reading the schema touches the header and the schema pages: a damaged file fails here.
    db.prepare('select count(*) from sqlite_schema').get()
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

function migrate(db: DatabaseSync): void {
  const version = Number((db.prepare('pragma user_version').get() as Row).user_version)
  if (version > cacheMigrations.length) {
    throw new Error(
      `cache schema ${version} is newer than this app (${cacheMigrations.length}): corrupt or downgraded`,
    )
  }
  for (let next = version; next < cacheMigrations.length; next++) {
    db.exec('begin immediate')
    try {
      db.exec(cacheMigrations[next]!)
      db.exec(`pragma user_version = ${next + 1}`)
      db.exec('commit')
    } catch (error) {
      db.exec('rollback')
      throw error
    }
  }
}
