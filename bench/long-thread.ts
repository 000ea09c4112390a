import type { PGlite } from '@electric-sql/pglite'
import { maintainDueTables } from '../local-backend/db/autovacuum.ts'

/**
 * A statement's messages update their contact's row inside one transaction, where each
 * update walks every version before it: 50,000 messages took 22 s in statements of 100,
 * 36 s in statements of 500 and 121 s in statements of 2,000 (vacuumed between); in one
 * statement they never finished.
 */
const STATEMENT_ROWS = 100

/** SQL expressions of `i` (1 … count, oldest first) and `$3` (count) for each message's columns. */
export interface ThreadColumns {
  content: string
  direction: string
  createdAt: string
}

/**
 * Writes a conversation's long history in short statements with autovacuum's check
 * between, as a thread that grew over months met the backend's autovacuum many times.
 * Returns the newest message's id.
 */
export async function writeLongThread(
  db: Pick<PGlite, 'query' | 'exec'>,
  thread: { workspaceId: string; contactId: string; count: number; columns: ThreadColumns },
): Promise<string> {
  const { content, direction, createdAt } = thread.columns
  let newest = ''
  for (let from = 1; from <= thread.count; from += STATEMENT_ROWS) {
    const { rows } = await db.query<{ id: string }>(
      `insert into public.messages (workspace_id, contact_id, content, direction, status, created_at)
       select $1, $2, ${content}, ${direction}, 'delivered', ${createdAt}
         from generate_series($4::int, least($4::int + $5::int - 1, $3::int)) as i
       order by i
       returning id`,
      [thread.workspaceId, thread.contactId, thread.count, from, STATEMENT_ROWS],
    )
    newest = rows.at(-1)!.id
    await maintainDueTables(db)
  }
  return newest
}
