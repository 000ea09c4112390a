import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncProgress } from '../../shared/domain.ts'
import { itemsOf } from '../../../test/support/batch-events.ts'
import { coreAgainstStack, removeTestPlatforms, signedInRuntime } from '../../../test/support/core-harness.ts'
import { seedLargeWorkspace } from '../../../local-backend/db/bulk-workspace.ts'

afterAll(removeTestPlatforms)

/** Enough rows for several pages of each table (the sync reads 1,000 a page). */
const BULK = 3_500
const PAGE = 1_000

describe('the first sync of a large workspace', () => {
  const core = coreAgainstStack({
    capabilities: () => [],
    prepare: async (stack) => {
      await seedLargeWorkspace(stack.backend.db, stack.demo.acme, BULK)
      // A bulk update: more rows than a page share one updated_at, and each is still read once.
      await stack.backend.db.query(
        `update public.contacts set updated_at = now() where workspace_id = $1 and name like 'Bulk customer %' and right(name, 1) in ('0', '2', '4', '6', '8')`,
        [stack.demo.acme],
      )
    },
  })
  beforeAll(core.start, 120_000)
  afterAll(core.stop)

  /** What the server holds for Acme, read as the service role. */
  async function serverAcme() {
    const { data, error } = await core.stack.service
      .from('contacts')
      .select('id, unread_count')
      .eq('workspace_id', core.stack.demo.acme)
    if (error) throw new Error(error.message)
    const rows = data as { id: string; unread_count: number }[]
    const { count: messages } = await core.stack.service
      .from('messages')
      .select('id', { count: 'exact', head: true })
      .eq('workspace_id', core.stack.demo.acme)
    return {
      ids: new Set(rows.map((row) => row.id)),
      unread: rows.reduce((sum, row) => sum + row.unread_count, 0),
      messages: messages ?? 0,
    }
  }

  it('announces once per page, not once per row, with every row and the right badge', async () => {
    const runtime = await signedInRuntime(core.services, 'ben@acme.test')
    const server = await serverAcme()
    const sent = core.events.all
    const count = (event: string) => sent.filter((record) => record.event === event).length
    const conversationPages = Math.ceil(server.ids.size / PAGE)
    const messagePages = Math.ceil(server.messages / PAGE)
    const rows = server.ids.size + server.messages
    console.log(
      `first sync of ${rows} rows: ${count('conversations.upserted')} conversation batches, ` +
        `${count('messages.upserted')} message batches, ${count('badge.changed')} badges, ` +
        `${count('sync.progress')} progress reports`,
    )

    // O(pages): a page ends exactly at a multiple of the page size when it is full, hence the one extra.
    expect(count('conversations.upserted')).toBeLessThanOrEqual(conversationPages + 1)
    expect(count('messages.upserted')).toBeLessThanOrEqual(messagePages + 1)
    expect(count('badge.changed')).toBeLessThanOrEqual(conversationPages + 1)
    expect(core.platform.badges.all.length).toBeLessThanOrEqual(conversationPages + 1)
    const emissions = count('conversations.upserted') + count('messages.upserted') + count('badge.changed')
    expect(emissions).toBeLessThan(rows / 100)

    // Every row arrived, each conversation once.
    const conversations = itemsOf(sent, 'conversations.upserted').filter(
      (c) => c.workspaceId === core.stack.demo.acme,
    )
    expect(new Set(conversations.map((c) => c.id))).toEqual(server.ids)
    expect(conversations).toHaveLength(server.ids.size)
    expect(
      itemsOf(sent, 'messages.upserted').filter((m) => m.workspaceId === core.stack.demo.acme),
    ).toHaveLength(server.messages)
    expect(runtime.cache.listConversations(core.stack.demo.acme, 'All', 1).counts.All).toBe(server.ids.size)

    // The badge is Ben's unread total: Acme is his only workspace.
    expect(server.unread).toBeGreaterThan(BULK / 3)
    expect(core.platform.badges.all.at(-1)).toEqual({
      total: server.unread,
      perWorkspace: { [core.stack.demo.acme]: server.unread },
    })
    // History is not news: a first sync notifies nobody.
    expect(core.platform.notifications.all).toEqual([])
  }, 120_000)

  it('reports progress that never goes back and ends at the totals', async () => {
    const server = await serverAcme()
    const reports = core.events.all
      .filter((record) => record.event === 'sync.progress')
      .map((record) => record.payload as SyncProgress)
    expect(reports.length).toBeGreaterThanOrEqual(2)
    expect(reports.every((report) => report.workspaceId === core.stack.demo.acme)).toBe(true)
    expect(reports[0]!.conversations).toEqual({ done: 0, total: server.ids.size })
    expect(reports[0]!.messages).toEqual({ done: 0, total: server.messages })
    for (const [previous, report] of reports.slice(1).map((report, i) => [reports[i]!, report] as const)) {
      for (const stage of ['conversations', 'messages'] as const) {
        expect(report[stage].done).toBeGreaterThanOrEqual(previous[stage].done)
        expect(report[stage].done).toBeLessThanOrEqual(report[stage].total)
      }
    }
    // Messages start once every conversation is in.
    const firstMessages = reports.findIndex((report) => report.messages.done > 0)
    expect(reports[firstMessages]!.conversations.done).toBe(server.ids.size)
    expect(reports.at(-1)).toEqual({
      workspaceId: core.stack.demo.acme,
      conversations: { done: server.ids.size, total: server.ids.size },
      messages: { done: server.messages, total: server.messages },
    })
  })
})
