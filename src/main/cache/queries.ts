/**
 * The SQL of the cache's hot paths: the inbox page, its counts, the badge, a thread
 * page, search and the outbox. They live here, apart from the code that runs them,
 * so one test (queries.test.ts) can ask SQLite for each one's plan and refuse a scan.
 */

/** The inbox's sort key, spelled as its indexes spell it (schema.ts, contacts_inbox) so pages read off them. */
const inboxTime = "coalesce(last_message_at, '')"

/**
 * One inbox page, newest first, untimed rows ('' sorts below every timestamp) last and
 * the id breaking ties. `after` continues from a cursor ($at, $id) by keyset.
 */
export function inboxPageSql(options: {
  byStatus: boolean
  after: boolean
  /** Only one member's conversations ($assignee), or only nobody's (schema.ts, contacts_assignee_*). */
  owner?: 'member' | 'nobody'
}): string {
  const where = ['workspace_id = $ws']
  if (options.owner === 'member') where.push('assignee_id = $assignee')
  if (options.owner === 'nobody') where.push('assignee_id is null')
  if (options.byStatus) where.push('conversation_status = $status')
  if (options.after) where.push(`${inboxTime} <= $at and (${inboxTime} < $at or id > $id)`)
  return `select * from contacts where ${where.join(' and ')} order by ${inboxTime} desc, id limit $limit`
}

export const statusCountsSql =
  'select conversation_status, conversations from inbox_counts where workspace_id = ?'

/** The Mine ($me) and Unassigned ('') rows of the owner counters (schema.ts, assignee_counts). */
export const assigneeCountsSql =
  "select assignee, conversations, unread from assignee_counts where workspace_id = $ws and assignee in ($me, '')"

/** The All view's count and unread: the workspace's status counters added up. */
export const workspaceCountsSql =
  'select total(conversations) as conversations, total(unread) as unread from inbox_counts where workspace_id = ?'

export const membersSql =
  'select * from member_profiles where workspace_id = ? order by display_name, user_id'

/** inbox_counts holds at most one row per workspace and status: reading it whole is the cheap path. */
export const unreadTotalsSql =
  'select workspace_id, sum(unread) as total from inbox_counts group by workspace_id having total > 0'

export const conversationByIdSql = 'select * from contacts where id = ?'

export function threadPageSql(options: { before: boolean }): string {
  return `select * from messages where contact_id = ?${options.before ? ' and created_at < ?' : ''}
    order by created_at desc, id desc limit ?`
}

/**
 * Per workspace number a contact's messages went through (NULL: not known, rows from
 * before messages.workspace_number or replies still in the outbox): how many each way,
 * the first and the last (schema.ts, messages_contact_number covers it, in group order).
 */
export const contactActivitySql = `select workspace_number, count(*) as messages,
    total(direction = 'inbound') as received, min(created_at) as first_at, max(created_at) as last_at
  from messages where contact_id = ? group by workspace_number order by workspace_number`

/** The newest $pool name matches in the FTS query $match, the most recently active first. */
export const nameSearchSql = `select c.* from (
    select rowid from contacts_fts where contacts_fts match $match order by rowid desc limit $pool) f
  join contacts c on c.rowid = f.rowid
  order by c.last_message_at desc nulls last limit $limit`

/** Numbers holding $digits anywhere, in digit order; ':' follows '9', so the range is every suffix starting so. */
export function phoneSearchSql(options: { scoped: boolean }): string {
  return `select c.* from contact_phone_suffixes s join contacts c on c.rowid = s.contact_rowid
    where ${options.scoped ? 's.workspace_id = $ws and ' : ''}s.suffix >= $digits and s.suffix < $digits || ':'
    order by s.suffix`
}

/** The FTS tables over messages (schema.ts): the newest messages alone, or all of them. */
export type MessageIndex = 'messages_recent_fts' | 'messages_fts'

/**
 * Message matches in `index`, best first by bm25: the newest $pool matches of $match (the
 * words, within the workspace when one is given), ranked. The workspace column weighs
 * nothing, so its phrase adds nothing to a score: the ranking is bm25 of the words alone.
 * Equal scores (short messages often tie) put the newest first.
 */
export function rankedMessagesSql(index: MessageIndex): string {
  return `select m.rowid, m.id as message_id, m.contact_id from (
      select rowid, bm25(${index}, 1, 0) as score from ${index} where ${index} match $match
       order by rowid desc limit $pool) f
    join messages m on m.rowid = f.rowid
    order by f.score, f.rowid desc`
}

/**
 * The highlighted excerpt of each message of $rowids (a JSON array within $low..$high)
 * matching $words. snippet() is the costly part of a search, so it runs for the hits
 * shown, not for every ranked match.
 */
export function messageSnippetsSql(index: MessageIndex): string {
  return `select rowid, snippet(${index}, 0, char(1), char(2), '…', 12) as marked from ${index}
    where ${index} match $words and rowid between $low and $high and +rowid in (select value from json_each($rowids))`
}

/** Whether messages older than the recent search index's window exist (schema.ts, messages_recent_window). */
export const olderThanRecentSql = `select exists (
    select 1 from messages where rowid < messages_recent_window.floor) as older from messages_recent_window`

/** A conversation's notes, oldest first (a thread holds few: read whole). */
export const notesThreadSql = 'select * from internal_notes where contact_id = ? order by created_at, id'

/** Note matches of $match, best first by bm25 among the newest $pool (as rankedMessagesSql). */
export const rankedNotesSql = `select n.rowid, n.id as note_id, n.contact_id from (
    select rowid, bm25(internal_notes_fts, 1, 0) as score from internal_notes_fts
     where internal_notes_fts match $match order by rowid desc limit $pool) f
  join internal_notes n on n.rowid = f.rowid
  order by f.score, f.rowid desc`

/** The highlighted excerpt of the note at $rowid. */
export const noteSnippetsSql = `select snippet(internal_notes_fts, 0, char(1), char(2), '…', 12) as marked
  from internal_notes_fts where internal_notes_fts match $words and rowid = $rowid`

export const savedRepliesSql = 'select * from saved_replies where workspace_id = ? order by title, id'

/** The oldest entry of each conversation: later ones wait for it, so a thread keeps its order. */
export const outboxHeadsSql =
  'select * from outbox where seq in (select min(seq) from outbox group by contact_id) order by seq'
export const outboxSizeSql = 'select count(*) as n from outbox'
export const outboxRetrySql = 'update outbox set attempts = ?, next_attempt_at = ? where message_id = ?'
export const outboxCompleteSql = 'delete from outbox where message_id = ?'
