/// <reference lib="dom" />
import { expect, test } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

let stack: Stack
test.beforeAll(async () => {
  stack = await startStack()
})
test.afterAll(async () => {
  await stack?.close()
})

/** Every text the thread's delivery labels show, recorded as the DOM changes, so a label shown for one frame counts. */
const recordDeliveryLabels = () => {
  const seen = new Set<string>()
  ;(window as unknown as { __deliveryLabels: Set<string> }).__deliveryLabels = seen
  const record = () => {
    for (const label of document.querySelectorAll('[data-testid="delivery-status"]'))
      seen.add(label.textContent ?? '')
  }
  new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true })
}

test('a reply sent while live never reads "Queued" on its way to delivered', async ({ browser }) => {
  const context = await browser.newContext()
  await context.addInitScript(recordDeliveryLabels)
  const page = await context.newPage()
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await expect(page.getByTestId('connection-status')).toHaveText('Live')
  await rows(page).first().click()

  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Sent while live')
  await composer.press('Enter')
  const reply = page.getByTestId('message').filter({ hasText: 'Sent while live' })
  await expect(reply).toHaveAttribute('data-status', 'delivered')

  const labels = await page.evaluate(() => [
    ...(window as unknown as { __deliveryLabels: Set<string> }).__deliveryLabels,
  ])
  expect(labels.some((label) => label.includes('Delivered'))).toBe(true)
  expect(labels.filter((label) => label.includes('Queued'))).toEqual([])
  await context.close()
})
