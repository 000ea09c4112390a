import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { ensureContact } from '../../../relay/demo-accounts.ts'
import { serviceClient } from '../../../relay/embedded.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { signedInSession } from '../../../test/support/signed-in-session.ts'
import { until } from '../../../test/support/until.ts'
import { Cache } from '../cache/cache.ts'
import type { SessionService } from '../session/session.ts'
import { createSyncService, type NoteChange, type SyncService } from './sync.ts'

/*
 * A note deleted on the server while Ben's app was closed: no live DELETE ever reaches
 * it, so the next sync must find the deletion itself. Real backend, real SQLite cache.
 */

const { logger } = createMemoryLogger('note-deletions-test')
let backend: LocalBackend
let service: SupabaseClient
let session: SessionService
let cache: Cache
let dir: string
let demo: DemoIds
let contactId: string
const noteChanges: NoteChange[] = []

const startSync = async (): Promise<SyncService> => {
  const sync = createSyncService({
    client: session.client,
    cache,
    logger,
    onChanges: (batch) => noteChanges.push(...batch.notes),
    onState: () => {},
    // Small pages, so the id check walks several of them.
    pageSize: 2,
  })
  sync.setWorkspaces([demo.acme])
  await sync.whenLive()
  return sync
}

async function addNotes(bodies: string[]): Promise<string[]> {
  const { data, error } = await service
    .from('internal_notes')
    .insert(
      bodies.map((body) => ({ workspace_id: demo.acme, contact_id: contactId, body, created_by: demo.ava })),
    )
    .select('id')
  if (error) throw new Error(error.message)
  return (data as { id: string }[]).map((row) => row.id)
}

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  service = serviceClient(backend)
  demo = await demoIds(backend.db)
  contactId = (await ensureContact(service, demo.acme, '+15557020077', 'Nora Deleted')).id
  dir = mkdtempSync(join(tmpdir(), 'note-deletions-test-'))
  session = await signedInSession(backend, dir, logger)
  cache = Cache.open(join(dir, 'cache.sqlite'))
})

afterAll(async () => {
  session?.dispose()
  cache?.close()
  await backend?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('notes deleted on the server', () => {
  it('leave the cache and the search on the next sync, with one deleted change each; the rest stay', async () => {
    const ids = await addNotes([
      'kept one zebrafish',
      'gone one zebrafish',
      'kept two',
      'gone two',
      'kept three',
    ])
    const first = await startSync()
    await until(() => ids.every((id) => cache.getNote(id) !== null), 'the notes in the cache')
    await first.stop()

    const gone = [ids[1]!, ids[3]!]
    const { error } = await service.from('internal_notes').delete().in('id', gone)
    if (error) throw new Error(error.message)
    expect(gone.every((id) => cache.getNote(id) !== null)).toBe(true)

    const before = noteChanges.length
    const second = await startSync()
    try {
      expect(
        cache
          .notes(contactId)
          .map((note) => note.body)
          .sort(),
      ).toEqual(['kept one zebrafish', 'kept three', 'kept two'])
      const deleted = noteChanges.slice(before).filter((change) => change.outcome === 'deleted')
      expect(deleted.map((change) => change.note.id).sort()).toEqual([...gone].sort())
      expect(deleted.every((change) => change.source === 'backfill')).toBe(true)
      const hits = cache.search('zebrafish', demo.acme, 10).filter((hit) => hit.field === 'note')
      expect(hits.map((hit) => hit.noteId)).toEqual([ids[0]])

      // A later sync finds nothing more to delete.
      second.resync('again')
      await second.whenLive()
      expect(noteChanges.slice(before).filter((change) => change.outcome === 'deleted')).toHaveLength(2)
    } finally {
      await second.stop()
    }
  })
})
