import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../../../local-backend/index.ts'
import { seedLargeWorkspace } from '../../../local-backend/db/bulk-workspace.ts'
import { demoIds, type DemoIds } from '../../../local-backend/db/demo-callers.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { noGaps, searchIndexGaps, unindexedRows } from '../../../test/support/search-indexes.ts'
import type { SyncProgress } from '../../shared/domain.ts'
import { Cache } from '../cache/cache.ts'
import { orderingIndexes } from '../cache/schema.ts'

/*
 * A first sync leaves its rows out of the search indexes until a stage ends (schema 8).
 * Here the sync runs in a child process that is SIGKILLed in the middle of each stage,
 * then resumed to the end: every conversation and message must be in the cache once, and
 * found by name, by number and by its text.
 */

const BULK = 2_000
const PAGE = 100
const childEntry = join(import.meta.dirname, '../../../test/support/sync-child.ts')
const nodeBinary = join(import.meta.dirname, '../../../node_modules/.bin/node')
const { logger } = createMemoryLogger('first-sync-crash-test')
let backend: LocalBackend
let demo: DemoIds
let dir: string

beforeAll(async () => {
  backend = await startLocalBackend({ port: 0, seed: true, logger })
  demo = await demoIds(backend.db)
  await seedLargeWorkspace(backend.db, demo.acme, BULK)
  dir = mkdtempSync(join(tmpdir(), 'first-sync-crash-test-'))
}, 120_000)

afterAll(async () => {
  await backend?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

type Stage = 'conversations' | 'messages'

/**
 * Runs the sync child on the test's cache until it is live, or SIGKILLs it at the first
 * progress report that has part, but not all, of `killIn` done. Resolves with how it ended.
 */
async function runSync(killIn: Stage | null): Promise<{ killedAt: SyncProgress | null; live: boolean }> {
  const child = spawn(nodeBinary, [childEntry], {
    env: {
      ...process.env,
      SYNC_DIR: dir,
      SYNC_BACKEND_URL: backend.url,
      SYNC_PUBLISHABLE_KEY: backend.publishableKey,
      SYNC_WORKSPACE: demo.acme,
      SYNC_PAGE_SIZE: String(PAGE),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  const stderr: string[] = []
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  let killedAt: SyncProgress | null = null
  let live = false
  for await (const line of createInterface({ input: child.stdout })) {
    const report = JSON.parse(line) as { progress?: SyncProgress; live?: true }
    if (report.live) live = true
    const stage = killIn === null ? null : report.progress?.[killIn]
    if (killedAt === null && stage && stage.done > 0 && stage.done < stage.total) {
      killedAt = report.progress!
      child.kill('SIGKILL')
    }
  }
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null]
  if (killedAt === null && code !== 0) throw new Error(`the sync child failed (${code}): ${stderr.join('')}`)
  if (killedAt) expect(signal).toBe('SIGKILL')
  return { killedAt, live }
}

/** What the killed child left in the cache file, read without opening it as the app would (which indexes). */
function leftBehind(): {
  contacts: number
  messages: number
  unindexed: Record<'contacts' | 'messages', number>
  /** How many of the inbox's ordering indexes the file holds (a first sync builds them after its rows). */
  orderingIndexes: number
} {
  const db = new DatabaseSync(join(dir, 'cache.sqlite'), { readOnly: true })
  try {
    const count = (table: string) =>
      Number((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n)
    const names = [...orderingIndexes.contacts, ...orderingIndexes.messages].map(({ name }) => `'${name}'`)
    return {
      contacts: count('contacts'),
      messages: count('messages'),
      unindexed: unindexedRows(db),
      orderingIndexes: count(`sqlite_schema where type = 'index' and name in (${names.join(', ')})`),
    }
  } finally {
    db.close()
  }
}

async function serverCount(table: 'contacts' | 'messages'): Promise<number> {
  const { rows } = await backend.db.query<{ count: number }>(
    `select count(*)::int as count from public.${table} where workspace_id = $1`,
    [demo.acme],
  )
  return rows[0]!.count
}

describe('a first sync killed mid-way', () => {
  it('resumes to a cache whose search finds every conversation and message', async () => {
    const inConversations = await runSync('conversations')
    const afterFirstKill = leftBehind()
    const inMessages = await runSync('messages')
    const afterSecondKill = leftBehind()
    const resumed = await runSync(null)
    console.log(
      `killed at ${JSON.stringify(inConversations.killedAt?.conversations)} conversations, leaving`,
      afterFirstKill,
      `; killed at ${JSON.stringify(inMessages.killedAt?.messages)} messages, leaving`,
      afterSecondKill,
    )
    // Each kill landed mid-stage, with rows written and not yet indexed.
    expect(inConversations.live || inMessages.live).toBe(false)
    expect(afterFirstKill.unindexed.contacts).toBeGreaterThan(0)
    expect(afterSecondKill.unindexed.messages).toBeGreaterThan(0)
    expect(afterFirstKill.orderingIndexes).toBe(0)
    expect(resumed.live).toBe(true)

    const server = { contacts: await serverCount('contacts'), messages: await serverCount('messages') }
    // FTS5's integrity check is written as an insert: this connection may write.
    const db = new DatabaseSync(join(dir, 'cache.sqlite'))
    const cached = leftBehind()
    const gaps = searchIndexGaps(db)
    db.close()
    console.log('server', server, 'cache', cached, 'index gaps', JSON.stringify(gaps))
    expect(cached).toEqual({
      ...server,
      unindexed: { contacts: 0, messages: 0 },
      orderingIndexes: orderingIndexes.contacts.length + orderingIndexes.messages.length,
    })
    expect(gaps).toEqual(noGaps)

    // Through the app's own search: every bulk customer by the digits of their number and by name.
    const cache = Cache.open(join(dir, 'cache.sqlite'))
    let byNumber = 0
    let byName = 0
    for (let i = 1; i <= BULK; i++) {
      const digits = `444${String(i).padStart(7, '0')}`
      const hits = cache.search(digits, demo.acme, 2)
      if (hits.length === 1 && hits[0]!.conversation.name === `Bulk customer ${i}`) byNumber++
      if (cache.search(`customer ${i}`, demo.acme, 1)[0]?.conversation.name === `Bulk customer ${i}`) byName++
    }
    const byText = cache.search('latest message', demo.acme, BULK).length
    cache.close()
    console.log(`found by number ${byNumber}, by name ${byName}, by message text ${byText} of ${BULK}`)
    expect({ byNumber, byName, byText }).toEqual({ byNumber: BULK, byName: BULK, byText: BULK })
  }, 180_000)
})
