/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { startStack, root, type Stack } from './support/stack.ts'
import { captureBothThemes, notifications, recordNotifications, rowNamed, signIn } from './support/page.ts'

/*
 * Issue 19: an agent starts a conversation from a number typed in any common format.
 * The Twilio double receives it as E.164; every screen (list, thread header,
 * notification) shows it in the one format (src/shared/phone.ts: national for the
 * workspace's country, +1 for Acme; international otherwise). An invalid or non-mobile
 * number is refused with why and nothing reaches the double; a number that already has
 * a conversation opens it.
 */

const shots = join(root, 'test-results/new-conversation')
let stack: Stack
let page: Page

test.describe.configure({ mode: 'serial' })

/** Calls to Twilio's messages.create, as the double recorded them. */
const creates = () =>
  stack.double.requests.filter(
    (request) => request.method === 'POST' && request.path.endsWith('/Messages.json'),
  )

const dialog = () => page.getByRole('dialog', { name: 'New conversation' })
const to = () => dialog().getByLabel('To')

test.beforeAll(async ({ browser }) => {
  mkdirSync(shots, { recursive: true })
  stack = await startStack()
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  await context.addInitScript(recordNotifications)
  page = await context.newPage()
  await signIn(page, stack.shell.url, 'ben@acme.test', 30_000)
  await page.getByTestId('filter-All').click()
})
test.afterAll(async () => {
  await page?.context().close()
  await stack?.close()
})

for (const { typed, e164, shown } of [
  { typed: '(415) 555-0132', e164: '+14155550132', shown: '(415) 555-0132' },
  { typed: '+44 7911 123456', e164: '+447911123456', shown: '+44 7911 123456' },
]) {
  test(`a new conversation from "${typed}" reaches Twilio as ${e164} and shows as ${shown} everywhere`, async () => {
    const before = creates().length
    await page.locator('body').press('n')
    await expect(dialog()).toBeVisible()
    await to().fill(typed)
    const body = `Hello from Acme (${e164})`
    await dialog()
      .getByLabel(/First message to/)
      .fill(body)
    await dialog().getByRole('button', { name: 'Send' }).click()
    await expect(dialog()).toBeHidden()

    await expect
      .poll(() =>
        creates()
          .slice(before)
          .map((request) => request.params.To),
      )
      .toEqual([e164])
    await expect(page.locator('.thread-name')).toHaveText(shown)
    const row = rowNamed(page, shown)
    await expect(row).toHaveCount(1)
    await expect(row.locator('.row-name')).toHaveText(shown)
    await expect(page.getByTestId('message').filter({ hasText: body })).toBeVisible()

    // The customer answers while another conversation is open: the notification names them the same way.
    await rowNamed(page, 'Maria Gonzalez').click()
    await expect(page.locator('.thread-name')).toHaveText('Maria Gonzalez')
    await stack.inbound(e164, `Who is this? (${e164})`)
    await expect
      .poll(
        async () =>
          (await notifications(page)).find((shown) => shown.body === `Who is this? (${e164})`)?.title,
      )
      .toBe(`${shown} · Acme Support`)
  })
}

test('an invalid or non-mobile number is refused with why, and nothing reaches Twilio', async () => {
  const before = creates().length
  await page.getByRole('button', { name: 'New conversation' }).click()
  for (const [typed, reason] of [
    ['+44 7700 900123', '+44 7700 900123 is not a number in use for country code +44: check the digits.'],
    ['+44 20 7946 0018', 'Landline numbers cannot receive texts: ask the customer for a mobile number.'],
    ['(800) 555-0199', 'Toll-free numbers cannot receive texts: ask the customer for a mobile number.'],
  ] as const) {
    await to().fill(typed)
    await expect(dialog().locator('#new-conversation-problem')).toHaveText(reason)
    await expect(dialog().getByRole('button', { name: 'Send' })).toBeDisabled()
    await to().press('Enter')
    await expect(dialog()).toBeVisible()
  }
  await captureBothThemes(page, shots, 'new-conversation-refused')
  await dialog().getByRole('button', { name: 'Cancel' }).click()
  expect(creates().length - before).toBe(0)
})

test('a number that already has a conversation opens it, by number in any format or by name', async () => {
  const before = creates().length
  await rowNamed(page, '(415) 555-0132').click()
  await page.locator('body').press('n')
  await to().fill('415.555.0101')
  await expect(dialog().getByText('(415) 555-0101 already has a conversation: Enter opens it.')).toBeVisible()
  await to().press('Enter')
  await expect(dialog()).toBeHidden()
  await expect(page.locator('.thread-name')).toHaveText('Maria Gonzalez')

  await page.locator('body').press('n')
  await to().fill('Tom')
  const match = dialog().getByRole('button', { name: /Tom Becker/ })
  await expect(match).toBeVisible()
  await captureBothThemes(page, shots, 'new-conversation-contacts')
  await match.click()
  await expect(page.locator('.thread-name')).toHaveText('Tom Becker')
  expect(creates().length - before).toBe(0)
})
