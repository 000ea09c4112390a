/// <reference lib="dom" />
import { expect, test } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

const EXTRA = 10_000
let stack: Stack

test.beforeAll(async () => {
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `insert into public.contacts (workspace_id, phone_number, name, conversation_status, last_message_at, last_message_preview, unread_count)
         select $1, '+1555' || lpad(i::text, 7, '0'), 'Customer ' || i,
                (array['Open','Pending','Done'])[1 + i % 3], now() - make_interval(mins => 10 + i), 'Question number ' || i, i % 4
           from generate_series(1, $2::int) as i`,
        [demo.acme, EXTRA],
      )
    },
  })
})
test.afterAll(async () => {
  await stack?.close()
})

test('7. ten thousand conversations render, scroll, and work from the keyboard end to end', async ({
  page,
}) => {
  test.setTimeout(360_000)
  await signIn(page, stack.shell.url, 'ben@acme.test')
  const all = page.getByTestId('filter-All')
  await all.click()
  // The first sync of 10,000 conversations streams in page by page; the list grows as it does.
  await expect(all).toContainText(/\d{5}/, { timeout: 240_000 })
  const total = Number((await all.locator('.filter-count').textContent())!)
  expect(total).toBeGreaterThanOrEqual(EXTRA)
  const list = page.getByRole('listbox', { name: 'Conversations' })
  // Virtualized: only a screenful of rows exists in the DOM.
  expect(await rows(page).count()).toBeLessThan(60)

  await list.evaluate((element) => element.scrollTo({ top: element.scrollHeight }))
  await expect(page.locator(`[role="option"][aria-posinset="${total}"]`)).toBeVisible()
  await list.evaluate((element) => element.scrollTo({ top: 0 }))

  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('j')
  await expect(list).toBeFocused()
  for (let step = 0; step < 3; step += 1) await page.keyboard.press('j')
  await page.keyboard.press('k')
  const cursor = page.locator('[role="option"].row-cursor')
  await expect(cursor).toHaveAttribute('aria-posinset', '3')
  for (let step = 0; step < 30; step += 1) await page.keyboard.press('ArrowDown')
  await expect(cursor).toHaveAttribute('aria-posinset', '33')
  await expect(cursor).toBeInViewport()
  const name = (await cursor.locator('.row-name').textContent())!
  await page.keyboard.press('Enter')
  const thread = page.getByRole('main', { name: `Conversation with ${name}` })
  await expect(thread).toBeVisible()
  await expect(cursor).toHaveAttribute('aria-selected', 'true')

  await page.keyboard.press('p')
  await expect(thread.getByRole('radio', { name: 'Pending' })).toHaveAttribute('aria-checked', 'true')
  await page.keyboard.press('e')
  await expect(thread.getByRole('radio', { name: 'Done' })).toHaveAttribute('aria-checked', 'true')

  await page.keyboard.press('r')
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await expect(composer).toBeFocused()
  await composer.pressSequentially('Draft kept')
  await page.keyboard.press('Escape')
  await expect(list).toBeFocused()

  await page.keyboard.press('Control+k')
  const search = page.getByRole('searchbox', { name: 'Search conversations' })
  await expect(search).toBeFocused()
  await search.fill('Customer 9999')
  await expect(page.getByTestId('search-hit').first()).toContainText('Customer 9999')
  await search.press('Escape')
  await expect(search).toHaveValue('')

  await page.keyboard.press('?')
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(help).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(help).toHaveCount(0)

  await page.keyboard.press('j')
  await page.keyboard.press('Enter')
  await page.keyboard.press('k')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('textbox', { name: /Reply to/ })).toHaveValue('Draft kept')

  // A reload paints from a first page and pages in the rest behind it: the counts match the ones
  // before, and the list ends with every conversation, none twice.
  const countsBefore = await page.locator('.filter-count').allTextContents()
  await page.reload()
  await expect(rows(page).first()).toBeVisible()
  await expect.poll(() => page.locator('.filter-count').allTextContents()).toEqual(countsBefore)
  await page.getByTestId('filter-All').click()
  await expect(async () => {
    await list.evaluate((element) => element.scrollTo({ top: element.scrollHeight }))
    await expect(page.locator(`[role="option"][aria-posinset="${total}"]`)).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 30_000 })
  const names = await rows(page).locator('.row-name').allTextContents()
  expect(new Set(names).size).toBe(names.length)
})
