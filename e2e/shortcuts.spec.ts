/// <reference lib="dom" />
import { expect, test, type Page } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

/** Ava answers for both workspaces here, so she can leave one conversation open and switch away. */
let stack: Stack
let page: Page

test.beforeAll(async ({ browser }) => {
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `insert into public.workspace_members (workspace_id, user_id, role) values ($1, $2, 'agent')`,
        [demo.globex, demo.ava],
      )
    },
  })
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
})
test.afterAll(async () => {
  await page?.context().close()
  await stack?.close()
})

const statusOf = async (name: string) =>
  (
    await stack.backend.db.query<{ conversation_status: string }>(
      'select conversation_status from public.contacts where name = $1',
      [name],
    )
  ).rows[0]?.conversation_status

test('the status shortcuts act only on the conversation on screen, never one left open in another workspace', async () => {
  await signIn(page, stack.shell.url, 'ava@acme.test')
  await page.getByTestId(`workspace-${stack.demo.acme}`).click()
  const acmeRow = rows(page).first()
  const acmeName = (await acmeRow.locator('.row-name').textContent())!
  const acmeStatus = await statusOf(acmeName)
  await acmeRow.click()
  await expect(page.getByRole('main', { name: `Conversation with ${acmeName}` })).toBeVisible()

  await page.getByTestId(`workspace-${stack.demo.globex}`).click()
  await expect(page.getByRole('main', { name: 'Conversation' })).toContainText('Select a conversation')
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  // A status the Acme conversation does not have, with nothing on screen: that conversation is no longer open.
  await page.keyboard.press(acmeStatus === 'Done' ? 'p' : 'e')

  // A shortcut on screen afterwards: the host answers in order, so once it shows, the keys above were handled.
  const globexRow = rows(page).first()
  const globexName = (await globexRow.locator('.row-name').textContent())!
  await globexRow.click()
  const globexThread = page.getByRole('main', { name: `Conversation with ${globexName}` })
  await expect(globexThread).toBeVisible()
  const target = (await statusOf(globexName)) === 'Pending' ? 'Done' : 'Pending'
  await page.keyboard.press(target === 'Pending' ? 'p' : 'e')
  await expect(globexThread.getByRole('radio', { name: target })).toHaveAttribute('aria-checked', 'true')
  await expect.poll(() => statusOf(globexName)).toBe(target)

  expect(await statusOf(acmeName)).toBe(acmeStatus)
})
