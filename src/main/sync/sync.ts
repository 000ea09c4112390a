import type { RealtimeChannel, RealtimePostgresChangesPayload, SupabaseClient } from '@supabase/supabase-js'
import { backoffDelay } from '../../shared/backoff.ts'
import type { ConnectionState, Conversation, Member, Message, SyncProgress } from '../../shared/domain.ts'
import type { Note } from '../../shared/notes-and-replies.ts'
import type { ConsentState, WorkspaceNumber } from '../../shared/consent-and-numbers.ts'
import type { Logger } from '../../shared/log.ts'
import type { Cache, UpsertOutcome } from '../cache/cache.ts'
import { nowTimestamp, timestampMinus } from '../cache/time.ts'
import { firstSyncProgress } from './first-sync-progress.ts'
import { fetchMembers } from './members.ts'
import { sendAhead } from './request-departure.ts'
import {
  contactColumns,
  messageColumns,
  noteColumns,
  parseConversation,
  parseMessage,
  parseNote,
  parseSavedReply,
  savedReplyColumns,
} from './rows.ts'
import {
  applyConsentEventRow,
  applyConsentStateRow,
  consentStateColumns,
  fetchNumbers,
} from './sender-sync.ts'

/**
 * Keeps the cache equal to the server, with no gap: one realtime channel per
 * workspace, and before a workspace is called live (after every (re)subscribe, resume
 * or network change) a backfill of everything changed since its cursor. Rows are
 * applied by id and never replace a newer version, so a backfill overlapping live
 * events changes nothing twice.
 *
 * Rows are applied in batches, one cache transaction each, and announced once per
 * batch, so what a change costs its listener (the badge, the renderer) is paid per
 * batch and a first sync of any size takes time linear in its rows.
 */

export type ChangeSource = 'live' | 'backfill'

export interface MessageChange {
  message: Message
  outcome: Exclude<UpsertOutcome, 'unchanged'> | 'deleted'
  source: ChangeSource
  /** True on a workspace's first sync: history, not news (no notifications). */
  initial: boolean
}

export interface ConversationChange {
  conversation: Conversation
  outcome: Exclude<UpsertOutcome, 'unchanged'> | 'deleted'
}

export interface NoteChange {
  note: Note
  outcome: Exclude<UpsertOutcome, 'unchanged'> | 'deleted'
  source: ChangeSource
  /** True on a workspace's first sync of notes: history, not news (no mention notifications). */
  initial: boolean
}

/** What one cache transaction changed. */
export interface SyncBatch {
  conversations: ConversationChange[]
  messages: MessageChange[]
  notes: NoteChange[]
  /** Consent states that changed, each complete with the keyword that decided it. */
  consent: ConsentState[]
}

const emptyBatch = (): SyncBatch => ({ conversations: [], messages: [], notes: [], consent: [] })

/** The tables a workspace's backfill pages through by updated_at. */
type PagedTable = 'contacts' | 'messages' | 'internal_notes' | 'consent_states'
const pagedColumns: Record<PagedTable, string> = {
  contacts: contactColumns,
  messages: messageColumns,
  internal_notes: noteColumns,
  consent_states: consentStateColumns,
}
/**
 * The column that orders rows sharing an updated_at. A consent state's key is
 * (contact_id, sender), but one transaction records one event, so it changes one state
 * of a contact: contact_id alone is unique among rows of one updated_at.
 */
const pagedKey: Record<PagedTable, string> = {
  contacts: 'id',
  messages: 'id',
  internal_notes: 'id',
  consent_states: 'contact_id',
}

export interface SyncOptions {
  client: SupabaseClient
  cache: Cache
  logger: Logger
  /**
   * Once per applied batch, never for an empty one: a backfill page, or the live events
   * that arrived in one turn of the event loop. Its cost is paid per batch, not per row.
   */
  onChanges(batch: SyncBatch): void
  /** A workspace's first sync moved on: once when it starts, then after every page. */
  onProgress?(progress: SyncProgress): void
  /** A workspace's members changed in the cache (a profile, a role, someone joined or left). */
  onMembers?(workspaceId: string, members: Member[]): void
  /**
   * A membership row changed (a role, a join, a removal): whose, so the agent's own
   * re-reads their workspaces; null when the event does not say (a DELETE carries only its key).
   */
  onMembership?(userId: string | null): void
  /** The numbers a workspace holds changed in the cache (read on every catch-up). */
  onNumbers?(workspaceId: string, numbers: WorkspaceNumber[]): void
  onState(state: ConnectionState): void
  /** The first syncs under way have all succeeded: what they read is garbage now. */
  onFirstSyncsDone?(): void
  /** Re-read this far behind the cursor: a transaction may commit after a later one. */
  overlapMs?: number
  pageSize?: number
  /** The first sync of a workspace fetches messages this far back. */
  initialDays?: number
  /** A reconnect failing for this long is reported as offline. */
  offlineAfterMs?: number
  now?: () => number
}

export interface SyncService {
  /** Subscribes to exactly these workspaces (unsubscribing the others). */
  setWorkspaces(workspaceIds: readonly string[]): void
  /** Backfills every workspace before calling it live again: resume from sleep, network change. */
  resync(reason: string): void
  setOnline(online: boolean): void
  state(): ConnectionState
  /** Resolves when every workspace is live (tests, and the first paint after sign-in). */
  whenLive(): Promise<void>
  stop(): Promise<void>
}

type Phase = 'connecting' | 'backfilling' | 'live' | 'reconnecting'
type LivePayload = RealtimePostgresChangesPayload<Record<string, unknown>>

interface WorkspaceSync {
  id: string
  channel: RealtimeChannel
  phase: Phase
  subscribed: boolean
  running: Promise<void> | null
  again: boolean
  retry: ReturnType<typeof setTimeout> | null
  failures: number
  everLive: boolean
  /** The last read of the members, so reads apply in the order they were asked for. */
  membersRead: Promise<void>
}

const MAX_RETRY_MS = 30_000

export function createSyncService(options: SyncOptions): SyncService {
  const { client, cache, logger } = options
  const overlapMs = options.overlapMs ?? 10_000
  const offlineAfterMs = options.offlineAfterMs ?? 15_000
  const pageSize = options.pageSize ?? 1000
  const initialDays = options.initialDays ?? 90
  const now = options.now ?? Date.now
  const workspaces = new Map<string, WorkspaceSync>()
  let online = true
  let stopped = false
  let published = ''
  let liveWaiters: (() => void)[] = []
  // Workspaces in their first sync: while any is, the cache leaves new rows out of the
  // search indexes and adds them in bulk when a stage ends (Cache.deferIndexing).
  let firstSyncs = 0

  // The OS may say "online" while the backend is unreachable (a VPN, a dead Wi-Fi
  // portal, the server down). A reconnect that has not succeeded for this long is
  // shown as offline, so the agent is never told "reconnecting" for an hour.
  let disconnectedSince: number | null = null
  let offlineTimer: ReturnType<typeof setTimeout> | null = null
  // Set by the timer itself: a timer may fire a moment before the clock reads the full
  // window, and re-reading the clock then would leave "reconnecting" published for good.
  let reconnectWindowOver = false

  const state = (): ConnectionState => {
    const list = [...workspaces.values()]
    const lastSyncAt = cache.lastSyncAt()
    if (!online) return { status: 'offline', lastSyncAt }
    if (list.every((w) => w.phase === 'live')) return { status: 'live', lastSyncAt }
    if (list.some((w) => w.everLive) || lastSyncAt) {
      const since = disconnectedSince ?? now()
      const over = reconnectWindowOver || now() - since >= offlineAfterMs
      return { status: over ? 'offline' : 'reconnecting', lastSyncAt }
    }
    return { status: 'connecting', lastSyncAt }
  }

  /** Starts or clears the reconnect clock, so the switch to offline is published even if nothing else happens. */
  const trackDisconnection = (status: ConnectionState['status']) => {
    if (status === 'live' || status === 'connecting') {
      disconnectedSince = null
      reconnectWindowOver = false
      if (offlineTimer) clearTimeout(offlineTimer)
      offlineTimer = null
    } else if (status === 'reconnecting' && disconnectedSince === null) {
      disconnectedSince = now()
      offlineTimer = setTimeout(() => {
        offlineTimer = null
        reconnectWindowOver = true
        if (!stopped) publish()
      }, offlineAfterMs)
    }
  }

  const publish = () => {
    const next = state()
    trackDisconnection(next.status)
    const key = JSON.stringify(next)
    if (key !== published) {
      published = key
      options.onState(next)
    }
    if (next.status === 'live') {
      const waiters = liveWaiters
      liveWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  const announce = (batch: SyncBatch) => {
    if (
      batch.conversations.length > 0 ||
      batch.messages.length > 0 ||
      batch.notes.length > 0 ||
      batch.consent.length > 0
    )
      options.onChanges(batch)
  }

  const applyMessage = (
    row: unknown,
    batch: SyncBatch,
    source: ChangeSource,
    initial: boolean,
  ): string | null => {
    const message = parseMessage(row)
    if (!message) {
      logger.warn('ignoring a message row that does not match the schema', { source })
      return null
    }
    const outcome = cache.upsertMessage(message)
    if (outcome !== 'unchanged') batch.messages.push({ message, outcome, source, initial })
    return message.updatedAt
  }

  const applyNote = (
    row: unknown,
    batch: SyncBatch,
    source: ChangeSource,
    initial: boolean,
  ): string | null => {
    const note = parseNote(row)
    if (!note) {
      logger.warn('ignoring a note row that does not match the schema', { source })
      return null
    }
    const outcome = cache.upsertNote(note)
    if (outcome !== 'unchanged') batch.notes.push({ note, outcome, source, initial })
    return note.updatedAt
  }

  /** Saved replies are few and change rarely: applied, never announced (the composer reads them when it offers them). */
  const applySavedReply = (payload: LivePayload) => {
    if (payload.eventType === 'DELETE') {
      if (typeof payload.old.id === 'string') cache.deleteSavedReply(payload.old.id)
      return
    }
    const reply = parseSavedReply(payload.new)
    if (reply) cache.upsertSavedReply(reply)
    else logger.warn('ignoring a saved reply row that does not match the schema', { source: 'live' })
  }

  /** A state goes only with its contact (deleteConversation), so a DELETE needs nothing here. */
  const applyLiveConsent = (workspace: WorkspaceSync, payload: LivePayload, batch: SyncBatch) => {
    if (payload.eventType === 'DELETE') return
    if (payload.table === 'consent_events') {
      const completed = applyConsentEventRow(cache.senders, payload.new)
      if (completed) batch.consent.push(...completed)
      else logger.warn('ignoring a consent event that does not match the schema', { source: 'live' })
      return
    }
    const applied = applyConsentStateRow(cache.senders, payload.new)
    if (!applied) {
      logger.warn('ignoring a consent state that does not match the schema', { source: 'live' })
      return
    }
    if (applied.changed) batch.consent.push(applied.changed)
    if (workspace.phase === 'live') cache.senders.advanceConsentCursor(workspace.id, applied.updatedAt)
  }

  const applyConversation = (row: unknown, batch: SyncBatch, source: ChangeSource): string | null => {
    const conversation = parseConversation(row)
    if (!conversation) {
      logger.warn('ignoring a contact row that does not match the schema', { source })
      return null
    }
    const outcome = cache.upsertConversation(conversation)
    if (outcome !== 'unchanged') batch.conversations.push({ conversation, outcome })
    return conversation.updatedAt
  }

  // Live changes wait for the end of the event loop's turn, so a burst (a broadcast, a
  // reconnect's flood) is one transaction and one announcement, not one per event.
  let liveQueue: { workspace: WorkspaceSync; payload: LivePayload }[] = []
  let liveTurn: ReturnType<typeof setImmediate> | null = null

  const onChange = (workspace: WorkspaceSync, payload: LivePayload) => {
    if (stopped) return
    liveQueue.push({ workspace, payload })
    liveTurn ??= setImmediate(applyLiveQueue)
  }

  const applyLiveQueue = () => {
    liveTurn = null
    const queue = liveQueue
    liveQueue = []
    if (stopped) return
    const batch = emptyBatch()
    try {
      cache.transaction(() => {
        for (const { workspace, payload } of queue) applyLive(workspace, payload, batch)
      })
    } catch (error) {
      logger.error('applying realtime changes failed', { error, count: queue.length })
      return
    }
    announce(batch)
  }

  const applyLive = (workspace: WorkspaceSync, payload: LivePayload, batch: SyncBatch) => {
    // A workspace dropped since (the agent left it) gets nothing more: its rows were forgotten.
    if (workspaces.get(workspace.id) !== workspace) return
    try {
      if (payload.table === 'saved_replies') return applySavedReply(payload)
      if (payload.table === 'consent_events' || payload.table === 'consent_states')
        return applyLiveConsent(workspace, payload, batch)
      if (payload.eventType === 'DELETE') {
        const id = typeof payload.old.id === 'string' ? payload.old.id : null
        if (!id) return
        if (payload.table === 'internal_notes') {
          const note = cache.getNote(id)
          if (note && cache.deleteNote(id))
            batch.notes.push({ note, outcome: 'deleted', source: 'live', initial: false })
        } else if (payload.table === 'messages') {
          const message = cache.getMessage(id)
          if (message && cache.deleteMessage(id))
            batch.messages.push({ message, outcome: 'deleted', source: 'live', initial: false })
        } else {
          const conversation = cache.getConversation(id)
          if (conversation && cache.deleteConversation(id))
            batch.conversations.push({ conversation, outcome: 'deleted' })
        }
        return
      }
      if (payload.table === 'internal_notes') {
        const at = applyNote(payload.new, batch, 'live', false)
        if (at && workspace.phase === 'live') cache.advanceNotesCursor(workspace.id, at)
        return
      }
      const at =
        payload.table === 'messages'
          ? applyMessage(payload.new, batch, 'live', false)
          : applyConversation(payload.new, batch, 'live')
      // Live rows move the cursor only while live: during a backfill they may be ahead of rows not yet read.
      if (at && workspace.phase === 'live') {
        cache.advanceSync(
          workspace.id,
          payload.table === 'messages' ? { messagesCursor: at } : { contactsCursor: at },
        )
      }
    } catch (error) {
      logger.error('applying a realtime change failed', { error, table: payload.table })
    }
  }

  /** Reads a workspace's members again after any read before it, and announces them if they changed. */
  const readMembers = (workspace: WorkspaceSync): Promise<void> => {
    const read = workspace.membersRead.then(async () => {
      const members = await fetchMembers(client, workspace.id)
      if (stopped || workspaces.get(workspace.id) !== workspace) return
      if (cache.replaceMembers(workspace.id, members))
        options.onMembers?.(workspace.id, cache.listMembers(workspace.id))
    })
    workspace.membersRead = read.catch(() => {})
    return read
  }

  /**
   * One page of `table`'s rows changed since `from`, in (updated_at, key) order, after
   * `after` when given. Inside a run of rows sharing the cursor's updated_at (`tied`), the
   * rest of the run is one range of the (workspace_id, updated_at, key) index and the rows
   * after it another, so a page reads only its own rows however long the run. Otherwise one
   * query: the range alone walks that index from the cursor, and the ties of the cursor's
   * timestamp (at most the one row the page before ended with) are skipped by key.
   */
  async function readPage(
    table: PagedTable,
    workspaceId: string,
    from: string,
    after: { at: string; key: string } | null,
    tied: boolean,
  ): Promise<Record<string, unknown>[]> {
    const key = pagedKey[table]
    const select = () => client.from(table).select(pagedColumns[table]).eq('workspace_id', workspaceId)
    const run = async (query: PromiseLike<{ data: unknown; error: { message: string } | null }>) => {
      const { data, error } = await query
      if (error) throw new Error(`backfill of ${table} failed: ${error.message}`)
      return (data ?? []) as Record<string, unknown>[]
    }
    if (after && tied) {
      const ties = await run(
        select()
          .eq('updated_at', after.at)
          .gt(key, after.key)
          .order(key, { ascending: true })
          .limit(pageSize),
      )
      if (ties.length === pageSize || stopped) return ties
      const later = await run(
        select()
          .gt('updated_at', after.at)
          .order('updated_at', { ascending: true })
          .order(key, { ascending: true })
          .limit(pageSize - ties.length),
      )
      return [...ties, ...later]
    }
    const query = select().gte('updated_at', after?.at ?? from)
    return run(
      (after ? query.or(`updated_at.gt."${after.at}",${key}.gt.${after.key}`) : query)
        .order('updated_at', { ascending: true })
        .order(key, { ascending: true })
        .limit(pageSize),
    )
  }

  /**
   * Pages through one table's rows changed since `from`, oldest change first, one
   * transaction and announcement per page. Each page starts after the last row of the one
   * before (keyset on updated_at, key), so rows sharing a timestamp (a bulk update) are read
   * once, in pages of the same size, however many there are. The next page's request has
   * left before this one is written: the backend (another process) reads it meanwhile,
   * instead of each side waiting for the other.
   */
  async function backfillTable(
    table: PagedTable,
    workspaceId: string,
    from: string,
    apply: (row: unknown, batch: SyncBatch) => string | null,
    onPage: (rows: number) => void,
  ): Promise<string | null> {
    let newest: string | null = null
    let next: Promise<Record<string, unknown>[]> | null = readPage(table, workspaceId, from, null, false)
    while (next) {
      const rows: Record<string, unknown>[] = await next
      if (stopped) return newest
      if (rows.length < pageSize) next = null
      else {
        const ahead = sendAhead(`/rest/v1/${table}?`, () => readPageAfter(table, workspaceId, from, rows))
        next = ahead.answer
        // A page written with an error leaves the next one unread: its failure is not this one.
        next.catch(() => undefined)
        // The write below blocks this process: the request must be on its way first.
        await ahead.left
        if (stopped) return newest
      }
      const batch = emptyBatch()
      cache.transaction(() => {
        for (const row of rows) {
          const at = apply(row, batch)
          if (at && (newest === null || at > newest)) newest = at
        }
      })
      announce(batch)
      onPage(rows.length)
    }
    return newest
  }

  /** The page after a full one, from its last row; two rows of one timestamp at its end say more of them may follow. */
  function readPageAfter(
    table: PagedTable,
    workspaceId: string,
    from: string,
    rows: Record<string, unknown>[],
  ): Promise<Record<string, unknown>[]> {
    const last = rows.at(-1)!
    const key = last[pagedKey[table]]
    if (typeof last.updated_at !== 'string' || typeof key !== 'string')
      throw new Error(`backfill of ${table} failed: a row without updated_at or ${pagedKey[table]}`)
    const tied = rows.at(-2)?.updated_at === last.updated_at
    return readPage(table, workspaceId, from, { at: last.updated_at, key }, tied)
  }

  /** How many rows of `table` a backfill from `from` will read, for the first sync's progress. */
  async function countRows(table: 'contacts' | 'messages', workspaceId: string, from: string) {
    const { count, error } = await client
      .from(table)
      .select('id', { count: 'exact', head: true })
      .eq('workspace_id', workspaceId)
      .gte('updated_at', from)
    if (error) throw new Error(`counting ${table} failed: ${error.message}`)
    return count ?? 0
  }

  /** The search indexes catch up with every row written so far, and keep deferring while a first sync runs. */
  function indexWrittenRows(): void {
    const indexed = cache.indexDeferredRows()
    if (firstSyncs > 0) cache.deferIndexing()
    logger.debug('indexed the rows a first sync wrote', indexed)
  }

  async function backfill(workspace: WorkspaceSync): Promise<void> {
    const initial = cache.syncState(workspace.id).messagesCursor === null
    if (!initial) return catchUpRows(workspace, false)
    firstSyncs++
    cache.deferIndexing()
    try {
      await catchUpRows(workspace, true)
    } finally {
      firstSyncs--
      indexWrittenRows()
    }
    if (firstSyncs === 0 && !stopped) options.onFirstSyncsDone?.()
  }

  async function catchUpRows(workspace: WorkspaceSync, initial: boolean): Promise<void> {
    const sync = cache.syncState(workspace.id)
    const contactsFrom = sync.contactsCursor
      ? timestampMinus(sync.contactsCursor, overlapMs)
      : '1970-01-01T00:00:00.000000Z'
    const messagesFrom = sync.messagesCursor
      ? timestampMinus(sync.messagesCursor, overlapMs)
      : nowTimestamp(now() - initialDays * 86_400_000)
    await readMembers(workspace)
    const { onProgress } = options
    const progress =
      initial && onProgress
        ? firstSyncProgress(
            workspace.id,
            {
              conversations: await countRows('contacts', workspace.id, contactsFrom),
              messages: await countRows('messages', workspace.id, messagesFrom),
            },
            onProgress,
          )
        : null
    const contactsCursor = await backfillTable(
      'contacts',
      workspace.id,
      contactsFrom,
      (row, batch) => applyConversation(row, batch, 'backfill'),
      (rows) => progress?.advance('conversations', rows),
    )
    if (initial) indexWrittenRows()
    progress?.complete('conversations')
    const messagesCursor = await backfillTable(
      'messages',
      workspace.id,
      messagesFrom,
      (row, batch) => applyMessage(row, batch, 'backfill', initial),
      (rows) => progress?.advance('messages', rows),
    )
    if (stopped) return
    await backfillTeamNotes(workspace.id)
    if (stopped) return
    await backfillSenders(workspace.id)
    if (stopped) return
    cache.advanceSync(workspace.id, {
      contactsCursor,
      messagesCursor: messagesCursor ?? (initial ? messagesFrom : null),
      lastSyncAt: nowTimestamp(now()),
    })
    progress?.complete('messages')
  }

  /**
   * Internal notes changed since their cursor (all of them on the first sync: a workspace
   * holds far fewer notes than messages), and the saved replies, read whole so one deleted
   * on the server leaves the cache too.
   */
  async function backfillTeamNotes(workspaceId: string): Promise<void> {
    const cursor = cache.notesCursor(workspaceId)
    const initial = cursor === null
    const newest = await backfillTable(
      'internal_notes',
      workspaceId,
      cursor ? timestampMinus(cursor, overlapMs) : '1970-01-01T00:00:00.000000Z',
      (row, batch) => applyNote(row, batch, 'backfill', initial),
      () => {},
    )
    if (stopped) return
    cache.advanceNotesCursor(workspaceId, newest ?? cursor ?? '1970-01-01T00:00:00.000000Z')
    await forgetDeletedNotes(workspaceId)
    if (stopped) return
    const { data, error } = await client
      .from('saved_replies')
      .select(savedReplyColumns)
      .eq('workspace_id', workspaceId)
      .order('title')
      .limit(1000)
    if (error) throw new Error(`reading saved replies failed: ${error.message}`)
    if (stopped) return
    const replies = ((data ?? []) as unknown[]).flatMap((row) => parseSavedReply(row) ?? [])
    cache.replaceSavedReplies(workspaceId, replies)
  }

  /** Consent states changed since their cursor, and the workspace's numbers, read whole. */
  async function backfillSenders(workspaceId: string): Promise<void> {
    const cursor = cache.senders.consentCursor(workspaceId)
    const newest = await backfillTable(
      'consent_states',
      workspaceId,
      cursor ? timestampMinus(cursor, overlapMs) : '1970-01-01T00:00:00.000000Z',
      (row, batch) => {
        const applied = applyConsentStateRow(cache.senders, row)
        if (!applied) {
          logger.warn('ignoring a consent state that does not match the schema', { source: 'backfill' })
          return null
        }
        if (applied.changed) batch.consent.push(applied.changed)
        return applied.updatedAt
      },
      () => {},
    )
    if (stopped) return
    if (newest) cache.senders.advanceConsentCursor(workspaceId, newest)
    const numbers = await fetchNumbers(client, workspaceId)
    if (stopped || !workspaces.has(workspaceId)) return
    if (cache.transaction(() => cache.senders.replaceNumbers(workspaceId, numbers)))
      options.onNumbers?.(workspaceId, numbers)
  }

  /**
   * A note deleted on the server while no live DELETE reached this app (offline, app
   * closed) leaves the cache here: the ids the cache held before reading are compared with
   * the ids the server has now. Every cached note was on the server before this read began
   * (notes enter the cache only from it), and ids are never reused, so one missing from the
   * read was deleted or is no longer visible to this agent: either way it must go. A note
   * arriving meanwhile is not in `before` and is never touched. The ids alone are read,
   * keyset by id: about 40 bytes a note, and a workspace holds few notes.
   */
  async function forgetDeletedNotes(workspaceId: string): Promise<void> {
    const before = cache.noteIds(workspaceId)
    if (before.length === 0) return
    const onServer = new Set<string>()
    let after: string | null = null
    for (;;) {
      const query = client.from('internal_notes').select('id').eq('workspace_id', workspaceId)
      const { data, error } = await (after ? query.gt('id', after) : query)
        .order('id', { ascending: true })
        .limit(pageSize)
      if (error) throw new Error(`reading note ids failed: ${error.message}`)
      if (stopped) return
      const ids: string[] = ((data ?? []) as { id: string }[]).map((row) => row.id)
      for (const id of ids) onServer.add(id)
      if (ids.length < pageSize) break
      after = ids.at(-1)!
    }
    const batch = emptyBatch()
    cache.transaction(() => {
      for (const id of before) {
        if (onServer.has(id)) continue
        const note = cache.getNote(id)
        if (note && cache.deleteNote(id))
          batch.notes.push({ note, outcome: 'deleted', source: 'backfill', initial: false })
      }
    })
    announce(batch)
  }

  /** Runs a backfill (coalescing requests that arrive meanwhile), then declares the workspace live. */
  function catchUp(workspace: WorkspaceSync): void {
    if (stopped || !workspaces.has(workspace.id)) return
    if (workspace.running) {
      workspace.again = true
      return
    }
    if (workspace.retry) clearTimeout(workspace.retry)
    workspace.retry = null
    workspace.phase = 'backfilling'
    publish()
    workspace.running = (async () => {
      try {
        do {
          workspace.again = false
          await backfill(workspace)
        } while (workspace.again && !stopped)
        workspace.failures = 0
        if (workspace.subscribed && !stopped) {
          workspace.phase = 'live'
          workspace.everLive = true
        } else {
          workspace.phase = workspace.everLive ? 'reconnecting' : 'connecting'
        }
      } catch (error) {
        workspace.failures++
        workspace.phase = workspace.everLive ? 'reconnecting' : 'connecting'
        const delay = backoffDelay(workspace.failures, {
          baseMs: 1000,
          maxMs: MAX_RETRY_MS,
          random: Math.random,
        })
        logger.warn('backfill failed, retrying', {
          error,
          workspaceId: workspace.id,
          delay: Math.round(delay),
        })
        if (!stopped) workspace.retry = setTimeout(() => catchUp(workspace), delay)
      } finally {
        workspace.running = null
        if (!stopped) publish()
      }
    })()
  }

  function subscribe(id: string): WorkspaceSync {
    const channel = client.channel(`inbox:${id}`)
    const workspace: WorkspaceSync = {
      id,
      channel,
      phase: 'connecting',
      subscribed: false,
      running: null,
      again: false,
      retry: null,
      failures: 0,
      everLive: false,
      membersRead: Promise.resolve(),
    }
    const filter = `workspace_id=eq.${id}`
    const membersChanged = (userId?: string | null) => {
      if (stopped || workspaces.get(id) !== workspace) return
      if (userId !== undefined) options.onMembership?.(userId)
      readMembers(workspace).catch((error: unknown) =>
        logger.warn('reading members failed; the next backfill reads them', { error, workspaceId: id }),
      )
    }
    channel
      .on('postgres_changes', { event: '*', schema: 'public', table: 'messages', filter }, (payload) =>
        onChange(workspace, payload),
      )
      .on('postgres_changes', { event: '*', schema: 'public', table: 'contacts', filter }, (payload) =>
        onChange(workspace, payload),
      )
      // A profile's row lacks the member's role, so any change reads the (few) members again.
      .on('postgres_changes', { event: '*', schema: 'public', table: 'member_profiles', filter }, () =>
        membersChanged(),
      )
      .on(
        'postgres_changes',
        { event: '*', schema: 'public', table: 'workspace_members', filter },
        // Under RLS a DELETE carries the old row's key alone, as hosted Realtime sends it: with
        // no user_id the removed member may be this agent, so the null asks for a re-read.
        (payload) => {
          const row = { ...payload.old, ...payload.new } as { user_id?: unknown }
          membersChanged(typeof row.user_id === 'string' ? row.user_id : null)
        },
      )
      .on('postgres_changes', { event: '*', schema: 'public', table: 'internal_notes', filter }, (payload) =>
        onChange(workspace, payload),
      )
      .on('postgres_changes', { event: '*', schema: 'public', table: 'saved_replies', filter }, (payload) =>
        onChange(workspace, payload),
      )
      // The event first (it carries the keyword), then the state it decided: one transaction, in order.
      .on(
        'postgres_changes',
        { event: 'INSERT', schema: 'public', table: 'consent_events', filter },
        (payload) => onChange(workspace, payload),
      )
      .on('postgres_changes', { event: '*', schema: 'public', table: 'consent_states', filter }, (payload) =>
        onChange(workspace, payload),
      )
      .subscribe((status, error) => {
        if (stopped || workspaces.get(id) !== workspace) return
        logger.debug('channel status', { workspaceId: id, status, error })
        if (status === 'SUBSCRIBED') {
          workspace.subscribed = true
          catchUp(workspace)
          return
        }
        workspace.subscribed = false
        if (workspace.phase !== 'backfilling')
          workspace.phase = workspace.everLive ? 'reconnecting' : 'connecting'
        publish()
        // CHANNEL_ERROR and TIMED_OUT are rejoined by realtime-js; a CLOSED channel is not.
        if (status === 'CLOSED') {
          workspaces.delete(id)
          setTimeout(() => {
            if (!stopped && !workspaces.has(id)) {
              const fresh = subscribe(id)
              fresh.everLive = workspace.everLive
              workspaces.set(id, fresh)
              publish()
            }
          }, 1000)
        }
      })
    return workspace
  }

  function unsubscribe(workspace: WorkspaceSync): void {
    workspaces.delete(workspace.id)
    if (workspace.retry) clearTimeout(workspace.retry)
    void client.removeChannel(workspace.channel)
  }

  return {
    state,
    setWorkspaces(ids) {
      if (stopped) return
      for (const workspace of [...workspaces.values()])
        if (!ids.includes(workspace.id)) unsubscribe(workspace)
      for (const id of ids) if (!workspaces.has(id)) workspaces.set(id, subscribe(id))
      publish()
    },
    resync(reason) {
      logger.info('resync', { reason })
      if (!client.realtime.isConnected()) client.realtime.connect()
      for (const workspace of workspaces.values()) catchUp(workspace)
    },
    setOnline(next) {
      if (online === next) return
      online = next
      publish()
      if (next) this.resync('network back')
    },
    whenLive() {
      if (state().status === 'live') return Promise.resolve()
      return new Promise((resolve) => liveWaiters.push(resolve))
    },
    async stop() {
      stopped = true
      if (offlineTimer) clearTimeout(offlineTimer)
      if (liveTurn) clearImmediate(liveTurn)
      liveQueue = []
      const all = [...workspaces.values()]
      for (const workspace of all) unsubscribe(workspace)
      await Promise.allSettled(all.map((w) => w.running))
      liveWaiters = []
    },
  }
}
