import type { DatabaseSync } from 'node:sqlite'

/** Per search index of the cache, how many rows it lacks and how many it holds that it should not. */
export type IndexGaps = Record<
  'names' | 'phones' | 'messages' | 'recentMessages',
  { missing: number; extra: number }
>

const count = (db: DatabaseSync, sql: string, ...params: string[]): number =>
  Number((db.prepare(sql).get(...params) as { n: number }).n)

/** Rowids found in `fts` for every workspace token, against the rowids `rows` lists. */
function ftsGaps(db: DatabaseSync, fts: string, rows: string): { missing: number; extra: number } {
  const workspaces = (
    db.prepare(`select distinct replace(workspace_id, '-', '') as token from (${rows})`).all() as {
      token: string
    }[]
  ).map((row) => row.token)
  const found = new Set<number>()
  for (const token of workspaces)
    for (const row of db
      .prepare(`select rowid from ${fts} where ${fts} match ?`)
      .all(`{workspace} : "${token}"`))
      found.add(Number((row as { rowid: number }).rowid))
  const expected = new Set(
    (db.prepare(`select rowid from (${rows})`).all() as { rowid: number }[]).map((row) => Number(row.rowid)),
  )
  return {
    missing: [...expected].filter((rowid) => !found.has(rowid)).length,
    extra: [...found].filter((rowid) => !expected.has(rowid)).length,
  }
}

/**
 * Compares every search index of the cache at `db` with the rows it must hold: FTS5's own
 * integrity check first (it throws on an index that disagrees with its content), then, per
 * index, the rows found under each workspace's token and the phone suffixes each number has.
 */
export function searchIndexGaps(db: DatabaseSync): IndexGaps {
  for (const fts of ['contacts_fts', 'messages_fts'])
    db.exec(`insert into ${fts}(${fts}, rank) values ('integrity-check', 1)`)
  // The recent index holds a window of its content table, so only its own structure is checked.
  db.exec(`insert into messages_recent_fts(messages_recent_fts, rank) values ('integrity-check', 0)`)
  const suffixes = `select c.workspace_id, substr(c.phone_digits, p.value) as suffix, c.rowid as contact_rowid
      from contacts c, json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p where p.value <= length(c.phone_digits) - 2`
  const held = 'select workspace_id, suffix, contact_rowid from contact_phone_suffixes'
  return {
    names: ftsGaps(db, 'contacts_fts', 'select rowid, workspace_id from contacts'),
    phones: {
      missing: count(db, `select count(*) as n from (${suffixes} except ${held})`),
      extra: count(db, `select count(*) as n from (${held} except ${suffixes})`),
    },
    messages: ftsGaps(db, 'messages_fts', 'select rowid, workspace_id from messages'),
    recentMessages: ftsGaps(
      db,
      'messages_recent_fts',
      'select rowid, workspace_id from messages where rowid >= (select floor from messages_recent_window)',
    ),
  }
}

/** Every index whole: what searchIndexGaps returns for a cache whose indexes hold exactly their rows. */
export const noGaps: IndexGaps = {
  names: { missing: 0, extra: 0 },
  phones: { missing: 0, extra: 0 },
  messages: { missing: 0, extra: 0 },
  recentMessages: { missing: 0, extra: 0 },
}

/** Rows a first sync left out of the search indexes, per table, as the cache records them (schema 8). */
export function unindexedRows(db: DatabaseSync): Record<'contacts' | 'messages', number> {
  const pending = (table: 'contacts' | 'messages') =>
    count(
      db,
      `select count(*) as n from ${table} where rowid >= (select from_rowid from unindexed_rows where table_name = ?)`,
      table,
    )
  return { contacts: pending('contacts'), messages: pending('messages') }
}
