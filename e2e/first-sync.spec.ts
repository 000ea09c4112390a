/// <reference lib="dom" />
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { seedLargeWorkspace } from '../local-backend/db/bulk-workspace.ts'
import { root, startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

/** Large enough that its first sync takes many pages (1,000 rows each) of conversations and then of messages. */
const BULK = 30_000
let stack: Stack

test.beforeAll(async () => {
  test.setTimeout(180_000)
  stack = await startStack({
    prepare: async (backend, demo) => {
      await seedLargeWorkspace(backend.db, demo.acme, BULK)
    },
  })
})
test.afterAll(async () => {
  await stack?.close()
})

test('a first sync of a large workspace shows its progress, and the inbox works while it runs', async ({
  page,
}) => {
  test.setTimeout(480_000)
  await signIn(page, stack.shell.url, 'ben@acme.test', 60_000)

  const progress = page.getByRole('progressbar', { name: /^Syncing (conversations|messages)$/ })
  await expect(progress).toBeVisible({ timeout: 120_000 })
  /** The bar's counts now, or null once it has left: read without waiting for it. */
  const barNow = () =>
    page.evaluate(() => {
      const bar = document.querySelector('[role="progressbar"]')
      return bar
        ? { now: Number(bar.getAttribute('aria-valuenow')), max: Number(bar.getAttribute('aria-valuemax')) }
        : null
    })

  // While pages keep arriving, the agent opens a conversation and starts a reply.
  const first = rows(page).first()
  await expect(first).toBeVisible({ timeout: 120_000 })
  // Newer conversations keep arriving above it, so whichever row was under the click is the one opened.
  await first.click()
  await expect(page.getByRole('main', { name: /^Conversation with / })).toBeVisible()
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Typed during the sync')
  await expect(composer).toHaveValue('Typed during the sync')
  // That was while the sync still ran: its bar was still there, short of its end.
  const during = await barNow()
  expect(during).not.toBeNull()
  expect(during!.now).toBeLessThan(during!.max)

  expect(during!.max).toBeGreaterThanOrEqual(BULK)
  await expect(page.getByTestId('sync-progress')).toContainText(
    /Syncing [\d,]+ of \d{2},\d{3} (conversations|messages)/,
  )
  await page
    .getByTestId('sync-progress')
    .screenshot({ path: join(root, 'test-results', 'sync-progress.png') })
  await page.screenshot({ path: join(root, 'test-results', 'first-sync.png') })

  // The bar counts up and leaves once the last page is in; every conversation is listed.
  await expect(progress).toHaveCount(0, { timeout: 420_000 })
  const all = page.getByTestId('filter-All')
  await all.click()
  await expect
    .poll(async () => Number(await all.locator('.filter-count').textContent()))
    .toBeGreaterThanOrEqual(BULK)
  await expect(composer).toHaveValue('Typed during the sync')
})
