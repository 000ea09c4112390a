/// <reference lib="dom" />
import { expect, test, type Page } from '@playwright/test'
import { ACME, startStack, type Stack } from './support/stack.ts'
import { captureBothThemes, rows, signIn } from './support/page.ts'

/*
 * Choosing the sending number (issue 19, part 3) in Chromium on the embedded backend
 * with the Twilio double: the agent picks Acme's second number with the keyboard, the
 * double receives From = that number, and the next reply defaults to it (sticky) even
 * after the page forgot the pick. An opt-out covers one (contact, number) pair: the
 * composer is disabled for that number only, with the reason.
 */

const SECOND = '+15550100077'
const SECOND_NAME = 'Support line'
const CUSTOMER = '+15558311001'

let stack: Stack
let page: Page

test.describe.configure({ mode: 'serial' })

test.beforeAll(async ({ browser }) => {
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `insert into public.twilio_numbers (workspace_id, phone_number, twilio_sid, friendly_name, created_at)
         values ($1, $2, 'PN0123456789abcdef0123456789abcd77', $3, now() + interval '1 minute')`,
        [demo.acme, SECOND, SECOND_NAME],
      )
    },
  })
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  page = await context.newPage()
  await signIn(page, stack.shell.url, 'ben@acme.test', 30_000)
  await page.getByTestId('filter-All').click()
})
test.afterAll(async () => {
  await page?.context().close()
  await stack?.close()
})

const picker = () => page.getByRole('combobox', { name: 'From' })
const composer = () => page.getByRole('textbox', { name: /Reply to/ })
const sentFrom = (body: string) =>
  stack.double.requests
    .filter((request) => request.method === 'POST' && request.params.Body === body)
    .map((request) => request.params.From)

async function reply(body: string) {
  await composer().fill(body)
  await composer().press('Enter')
  await expect(page.getByTestId('message').filter({ hasText: body })).toHaveAttribute(
    'data-status',
    'delivered',
    { timeout: 20_000 },
  )
}

test('a reply sent from the second number leaves from it, and the next reply defaults to it', async () => {
  await stack.inbound(CUSTOMER, 'Is my order on its way?')
  await rows(page).filter({ hasText: 'Is my order on its way?' }).click()
  // The conversation reached Acme's first number: replies go from it until the agent picks another.
  await expect(picker()).toHaveValue(ACME.number)
  await expect(picker().locator('option')).toHaveCount(2)
  await expect(picker().locator('option').nth(1)).toContainText(SECOND_NAME)

  await picker().focus()
  await page.keyboard.press('ArrowDown')
  await expect(picker()).toHaveValue(SECOND)
  await captureBothThemes(page, 'test-results', 'sender-picker')
  await reply('Yes, it ships today.')
  expect(sentFrom('Yes, it ships today.')).toEqual([SECOND])

  // A reload forgets the pick; the conversation remembers the number it last used.
  await page.reload()
  await page.getByTestId('filter-All').click()
  await rows(page).filter({ hasText: 'Yes, it ships today.' }).click()
  await expect(picker()).toHaveValue(SECOND)
  await reply('Tracking number follows.')
  expect(sentFrom('Tracking number follows.')).toEqual([SECOND])
})

test('a text that reached the second number starts a conversation that replies from it', async () => {
  const other = '+15558311002'
  await stack.inbound(other, 'Hello support line', { ...ACME, number: SECOND })
  await rows(page).filter({ hasText: 'Hello support line' }).click()
  await expect(picker()).toHaveValue(SECOND)
  await reply('Hello! How can we help?')
  expect(sentFrom('Hello! How can we help?')).toEqual([SECOND])
})

test('a STOP to one number disables the composer for it only, saying why; the other number still sends', async () => {
  await rows(page).filter({ hasText: 'Tracking number follows.' }).click()
  await expect(picker()).toHaveValue(SECOND)
  const before = stack.double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'))
  await stack.inbound(CUSTOMER, 'STOP', { ...ACME, number: SECOND })
  const reason = page.getByTestId('composer-opted-out')
  await expect(reason).toContainText('texted STOP to')
  await expect(reason).toContainText('they must text START to receive messages.')
  await expect(composer()).toBeDisabled()
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled()
  await expect(page.getByTestId('opted-out-mark')).toBeVisible()
  await expect(picker().locator('option', { hasText: '(opted out)' })).toHaveText(new RegExp(SECOND_NAME))
  await captureBothThemes(page, 'test-results', 'composer-opted-out')
  const after = stack.double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'))
  expect(after.length - before.length).toBe(0)

  await picker().selectOption(ACME.number)
  await expect(reason).toBeHidden()
  await expect(composer()).toBeEnabled()
  await reply('We will text you from our main line.')
  expect(sentFrom('We will text you from our main line.')).toEqual([ACME.number])
})
