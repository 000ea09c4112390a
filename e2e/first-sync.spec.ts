/// <reference lib="dom" />
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { seedLargeWorkspace } from '../local-backend/db/bulk-workspace.ts'
import { startHoldingProxy, type HoldingProxy } from '../test/support/holding-proxy.ts'
import { root, startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

/** Many pages (1,000 rows each) of conversations and then of messages. */
const BULK = 10_000
let stack: Stack
/** Acme's conversations: the bulk ones and the seed's. */
let conversations: number
/**
 * Holds the sync at its second page of conversations (the first one read after a
 * keyset `or`), so the test looks at the inbox mid-sync on purpose, not by a race.
 */
let gate: HoldingProxy

test.beforeAll(async () => {
  test.setTimeout(180_000)
  stack = await startStack({
    prepare: async (backend, demo) => {
      await seedLargeWorkspace(backend.db, demo.acme, BULK)
      const { rows } = await backend.db.query<{ count: number }>(
        'select count(*)::int as count from public.contacts where workspace_id = $1',
        [demo.acme],
      )
      conversations = rows[0]!.count
    },
    appBackendUrl: async (backend) => {
      gate = await startHoldingProxy({
        target: { host: '127.0.0.1', port: backend.port },
        hold: /^GET \/rest\/v1\/contacts\?\S*[?&]or=/,
      })
      return gate.url
    },
  })
})
test.afterAll(async () => {
  gate?.open()
  await stack?.close()
  await gate?.stop()
})

test('a first sync of a large workspace shows its progress, and the inbox works while it runs', async ({
  page,
}) => {
  test.setTimeout(240_000)
  await signIn(page, stack.shell.url, 'ben@acme.test', 60_000)
  await gate.held()

  // The sync waits for its second page: the bar shows the first one in, of all of them.
  const progress = page.getByRole('progressbar', { name: 'Syncing conversations' })
  await expect(progress).toHaveAttribute('aria-valuenow', '1000')
  await expect(progress).toHaveAttribute('aria-valuemax', String(conversations))
  await expect(page.getByTestId('sync-progress')).toContainText(
    `Syncing 1,000 of ${conversations.toLocaleString('en-US')} conversations`,
  )

  // Meanwhile the agent opens a conversation and starts a reply.
  await rows(page).first().click()
  await expect(page.getByRole('main', { name: /^Conversation with / })).toBeVisible()
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Typed during the sync')
  await expect(composer).toHaveValue('Typed during the sync')
  await expect(progress).toHaveAttribute('aria-valuenow', '1000')
  await page
    .getByTestId('sync-progress')
    .screenshot({ path: join(root, 'test-results', 'sync-progress.png') })
  await page.screenshot({ path: join(root, 'test-results', 'first-sync.png') })

  // Let the sync go on: the bar leaves once the last page is in, and every conversation is listed.
  gate.open()
  await expect(page.getByRole('progressbar')).toHaveCount(0, { timeout: 180_000 })
  const all = page.getByTestId('filter-All')
  await all.click()
  await expect.poll(async () => Number(await all.locator('.filter-count').textContent())).toBe(conversations)
  await expect(composer).toHaveValue('Typed during the sync')
})
