import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { Cache } from './cache.ts'
import * as sql from './queries.ts'
import { tempPath, removeTempPaths } from '../../../test/support/cache-rows.ts'

afterEach(removeTempPaths)

/** Every hot query the cache runs, by what it serves. */
const hot: Record<string, string> = {
  'inbox page': sql.inboxPageSql({ byStatus: false, after: false }),
  'inbox page, next': sql.inboxPageSql({ byStatus: false, after: true }),
  'inbox page of a status': sql.inboxPageSql({ byStatus: true, after: false }),
  'inbox page of a status, next': sql.inboxPageSql({ byStatus: true, after: true }),
  'mine page': sql.inboxPageSql({ byStatus: false, after: false, owner: 'member' }),
  'mine page, next': sql.inboxPageSql({ byStatus: false, after: true, owner: 'member' }),
  'mine page of a status': sql.inboxPageSql({ byStatus: true, after: false, owner: 'member' }),
  'mine page of a status, next': sql.inboxPageSql({ byStatus: true, after: true, owner: 'member' }),
  'unassigned page': sql.inboxPageSql({ byStatus: false, after: false, owner: 'nobody' }),
  'unassigned page, next': sql.inboxPageSql({ byStatus: false, after: true, owner: 'nobody' }),
  'unassigned page of a status': sql.inboxPageSql({ byStatus: true, after: false, owner: 'nobody' }),
  'unassigned page of a status, next': sql.inboxPageSql({ byStatus: true, after: true, owner: 'nobody' }),
  'view counts (mine, unassigned)': sql.assigneeCountsSql,
  'view counts (all)': sql.workspaceCountsSql,
  'members of a workspace': sql.membersSql,
  'status counts': sql.statusCountsSql,
  'unread totals (badge)': sql.unreadTotalsSql,
  'conversation by id': sql.conversationByIdSql,
  'thread page': sql.threadPageSql({ before: false }),
  'thread page, older': sql.threadPageSql({ before: true }),
  'contact activity per number': sql.contactActivitySql,
  'name search': sql.nameSearchSql,
  'phone search': sql.phoneSearchSql({ scoped: false }),
  'phone search in a workspace': sql.phoneSearchSql({ scoped: true }),
  'message search, recent': sql.rankedMessagesSql('messages_recent_fts'),
  'message search, all history': sql.rankedMessagesSql('messages_fts'),
  'message excerpts, recent': sql.messageSnippetsSql('messages_recent_fts'),
  'message excerpts, all history': sql.messageSnippetsSql('messages_fts'),
  'messages older than the recent index': sql.olderThanRecentSql,
  'notes of a thread': sql.notesThreadSql,
  'note search': sql.rankedNotesSql,
  'note excerpt': sql.noteSnippetsSql,
  'saved replies of a workspace': sql.savedRepliesSql,
  'outbox heads': sql.outboxHeadsSql,
  'outbox size': sql.outboxSizeSql,
  'outbox retry': sql.outboxRetrySql,
  'outbox complete': sql.outboxCompleteSql,
}

/** Pages whose order must come straight off an index: a sort would read every row first. */
const indexOrdered = new Set([
  'inbox page',
  'inbox page, next',
  'inbox page of a status',
  'inbox page of a status, next',
  'thread page',
  'thread page, older',
  'mine page',
  'mine page, next',
  'mine page of a status',
  'mine page of a status, next',
  'unassigned page',
  'unassigned page, next',
  'unassigned page of a status',
  'unassigned page of a status, next',
  'notes of a thread',
  'saved replies of a workspace',
  'contact activity per number',
])

/**
 * inbox_counts has one row per workspace and status, and messages_recent_window one row,
 * so reading them whole is not a scan of the data.
 */
const boundedTables = new Set(['inbox_counts', 'messages_recent_window'])

function plan(db: DatabaseSync, sql: string): string[] {
  return (db.prepare(`explain query plan ${sql}`).all() as { detail: string }[]).map((row) => row.detail)
}

/**
 * The plan lines that read a whole table without an index. An FTS5 table is read through
 * its index only when the MATCH is its constraint (M in the index string); a co-routine or
 * a materialized subquery (each with its own LIMIT) is read as it is produced, and
 * json_each reads the list passed to it.
 */
function fullScans(lines: string[]): string[] {
  const coroutines = new Set([
    'json_each',
    ...lines.flatMap((line) => /^(?:CO-ROUTINE|MATERIALIZE) (\S+)/.exec(line)?.[1] ?? []),
  ])
  return lines.filter((line) => {
    const scan = /^SCAN (\S+)(.*)$/.exec(line)
    if (!scan) return false
    const [, table, rest] = scan as unknown as [string, string, string]
    if (/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(rest)) return false
    if (/VIRTUAL TABLE INDEX \d+:[^ ]*M/.test(rest)) return false
    return !coroutines.has(table) && !boundedTables.has(table)
  })
}

describe('cache query plans', () => {
  it('every hot query reads through an index: no full table scan, no sort on a page', () => {
    const path = tempPath()
    Cache.open(path).close()
    const db = new DatabaseSync(path)
    try {
      const plans = Object.entries(hot).map(([name, sql]) => ({ name, lines: plan(db, sql) }))
      for (const { name, lines } of plans) {
        expect({ name, scans: fullScans(lines) }).toEqual({ name, scans: [] })
        if (indexOrdered.has(name))
          expect({ name, sorts: lines.filter((line) => line.includes('TEMP B-TREE')) }).toEqual({
            name,
            sorts: [],
          })
      }
      // The searches use their own indexes, not a filter over rows read some other way.
      const uses = (name: string, index: string) =>
        expect(plans.find((p) => p.name === name)!.lines.join('\n')).toContain(index)
      uses('phone search', 'contact_phone_suffixes_any (suffix>? AND suffix<?)')
      uses('phone search in a workspace', 'PRIMARY KEY (workspace_id=? AND suffix>? AND suffix<?)')
      uses('status counts', 'SEARCH inbox_counts USING PRIMARY KEY (workspace_id=?)')
      uses(
        'view counts (mine, unassigned)',
        'SEARCH assignee_counts USING PRIMARY KEY (workspace_id=? AND assignee=?)',
      )
      uses(
        'mine page of a status, next',
        'contacts_assignee_inbox (workspace_id=? AND assignee_id=? AND conversation_status=?',
      )
      uses('unassigned page', 'contacts_assignee_activity (workspace_id=? AND assignee_id=?)')
      uses(
        'contact activity per number',
        'SEARCH messages USING COVERING INDEX messages_contact_number (contact_id=?)',
      )
      uses('members of a workspace', 'member_profiles USING PRIMARY KEY (workspace_id=?)')
      uses(
        'inbox page of a status, next',
        'contacts_inbox (workspace_id=? AND conversation_status=? AND <expr><?)',
      )
    } finally {
      db.close()
    }
  })

  it('the scan check itself refuses a plan that reads a table whole', () => {
    const path = tempPath()
    Cache.open(path).close()
    const db = new DatabaseSync(path)
    try {
      expect(fullScans(plan(db, "select * from contacts where instr(phone_digits, '555') > 0"))).toEqual([
        'SCAN contacts',
      ])
      expect(fullScans(plan(db, 'select rowid from messages_fts order by rowid desc limit 5'))).toHaveLength(
        1,
      )
    } finally {
      db.close()
    }
  })
})
