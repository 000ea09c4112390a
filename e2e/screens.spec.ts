import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { root, startStack, type Stack } from './support/stack.ts'
import { captureBothThemes, rows, signIn } from './support/page.ts'
import { answerBlind, startTwoAgents } from './support/two-agents.ts'

// `npm test` keeps its screenshots with the other test output (git-ignored); only
// `npm run docs:screenshots` points this at docs/screenshots, so a test run never
// rewrites tracked files.
const shots = process.env.SCREENSHOTS_DIR
  ? resolve(root, process.env.SCREENSHOTS_DIR)
  : join(root, 'test-results/screens')
let stack: Stack

test.beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  // Every unread Acme conversation carries a teammate's note mentioning Ava, so the thread
  // screen shows one among its messages.
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `insert into public.internal_notes (workspace_id, contact_id, body, mentions, created_by)
         select workspace_id, id, '@Ava Thompson she was promised a refund last week: check before replying',
                array[$2::uuid], $3
           from public.contacts where workspace_id = $1 and unread_count > 0`,
        [demo.acme, demo.ava, demo.ben],
      )
    },
  })
})
test.afterAll(async () => {
  await stack?.close()
})

const capture = (page: Page, screen: string) => captureBothThemes(page, shots, screen)

test('8. every screen passes axe settled, in light and dark, and is captured', async ({ browser }) => {
  test.setTimeout(180_000)
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()

  await page.goto(stack.shell.url)
  await expect(page.getByRole('heading', { name: 'Sign in to SMS Inbox' })).toBeVisible()
  await capture(page, 'sign-in')

  await page.getByLabel('Email').fill('ben@acme.test')
  await page.getByLabel('Password').fill('not-the-password')
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(page.getByRole('alert')).toContainText('don’t match')
  await capture(page, 'sign-in-error')

  await page.getByRole('button', { name: 'Backend settings' }).first().click()
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible()
  await page.getByRole('radio', { name: /Your Supabase project/ }).check()
  await capture(page, 'backend-settings')
  await page.keyboard.press('Escape')

  await signIn(page, stack.shell.url, 'ben@acme.test')
  await expect(page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
  await expect(rows(page).first()).toBeVisible()
  await capture(page, 'inbox')

  const unreadRow = rows(page)
    .filter({ has: page.getByTestId('unread-badge') })
    .first()
  await unreadRow.click()
  await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('message').first()).toBeVisible()
  await expect(page.getByRole('article', { name: 'Internal note by Ben Okafor' })).toContainText(
    'Internal note',
  )
  await page
    .getByRole('textbox', { name: /Reply to/ })
    .fill('So sorry about that — a replacement ships today, and you can keep the damaged one.')
  await capture(page, 'thread')
  await page.getByTestId('assignee-button').click()
  await expect(page.getByRole('menu', { name: 'Assign to' })).toBeVisible()
  await capture(page, 'assignee-menu')
  await page.keyboard.press('Escape')
  await expect(page.getByRole('menu', { name: 'Assign to' })).toBeHidden()
  await page.locator('body').press('i')
  await expect(
    page.getByRole('complementary', { name: 'Contact details' }).getByTestId('contact-total'),
  ).toBeVisible()
  await capture(page, 'contact-panel')
  await page.locator('body').press('i')

  const reply = page.getByRole('textbox', { name: /Reply to/ })
  await reply.fill('')
  await page.keyboard.press('ControlOrMeta+i')
  const note = page.getByRole('textbox', { name: /Internal note on/ })
  await note.pressSequentially('Looping in @')
  await expect(page.getByRole('listbox', { name: 'Mention a teammate' }).getByRole('option')).not.toHaveCount(
    0,
  )
  await capture(page, 'composer-note-mention')
  await page.keyboard.press('Escape')
  await note.fill('')
  await page.keyboard.press('ControlOrMeta+i')
  await reply.press('/')
  await expect(page.getByRole('listbox', { name: 'Saved replies' }).getByRole('option')).not.toHaveCount(0)
  await capture(page, 'composer-saved-replies')
  await page.keyboard.press('Escape')
  await expect(reply).toBeFocused()

  await page.getByRole('searchbox', { name: 'Search conversations' }).fill('order')
  await expect(page.getByTestId('search-hit').first()).toBeVisible()
  await capture(page, 'search')
  await page.getByRole('searchbox', { name: 'Search conversations' }).fill('')

  await page.getByRole('button', { name: 'Settings' }).click()
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible()
  await expect(page.getByRole('checkbox', { name: 'Notifications for Acme Support' })).toBeVisible()
  await page
    .getByRole('combobox', { name: 'Notify Acme Support for' })
    .selectOption({ label: 'Only mine and unassigned' })
  await expect(page.getByRole('combobox', { name: 'Notify Acme Support for' })).toHaveValue(
    'mineAndUnassigned',
  )
  await capture(page, 'settings')
  const retention = page.getByRole('combobox', { name: 'Keep messages on this computer for' })
  await retention.selectOption({ label: '1 year' })
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: 'Settings' }).click()
  await expect(retention).toHaveValue('365')
  await retention.selectOption({ label: '90 days' })
  await expect(retention).toHaveValue('90')
  await page.keyboard.press('Escape')

  await page.locator('body').press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
  await capture(page, 'shortcuts')
  await page.keyboard.press('Escape')

  await page.setViewportSize({ width: 800, height: 500 })
  await capture(page, 'small-window')
  await page.setViewportSize({ width: 1280, height: 800 })

  await stack.stopBackend()
  await expect(page.getByTestId('connection-banner')).toBeVisible({ timeout: 30_000 })
  await capture(page, 'offline')
  await stack.restartBackend()
  await context.close()
})

test('team screens: a teammate’s presence and a reply held back by the collision guard pass axe, light and dark', async ({
  browser,
}) => {
  test.setTimeout(120_000)
  const team = await startTwoAgents(browser)
  try {
    const { ben } = team
    await ben.page.setViewportSize({ width: 1280, height: 800 })
    await answerBlind(team, 'Victor Chen', 'Ava: a replacement is on its way.', 'Ben: we will refund you.')
    ben.screen.release()
    await expect(ben.page.getByTestId('held-reply')).toBeVisible()
    await expect(ben.page.getByTestId('thread-presence')).toContainText('Ava is viewing')
    await capture(ben.page, 'team-held-reply')
  } finally {
    await team.close()
  }
})
