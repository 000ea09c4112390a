/// <reference lib="dom" />
import { expect, test, type Page } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { notifications, recordNotifications, rowNamed, rows, signIn } from './support/page.ts'

/** Twilio's documented test number that is refused with 21211 (the double does the same). */
const INVALID_NUMBER = '+15005550001'

let stack: Stack
let page: Page

interface ContactRow {
  id: string
  name: string | null
  phone_number: string
  unread_count: number
}

async function acmeContacts(): Promise<ContactRow[]> {
  const result = await stack.backend.db.query<ContactRow>(
    `select id, name, phone_number, unread_count from public.contacts
      where workspace_id = $1 order by last_message_at desc nulls last, id`,
    [stack.demo.acme],
  )
  return result.rows
}

const workspaceBadge = () => page.getByTestId(`workspace-${stack.demo.acme}`).getByTestId('workspace-badge')

test.describe.configure({ mode: 'serial' })

test.beforeAll(async ({ browser }) => {
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `with contact as (
           insert into public.contacts (workspace_id, phone_number, name) values ($1, $2, 'Test Invalid Number') returning id
         )
         insert into public.messages (workspace_id, contact_id, content, direction, status)
         select $1, id, 'Please text me back here', 'inbound', 'delivered' from contact`,
        [demo.acme, INVALID_NUMBER],
      )
    },
  })
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  await context.addInitScript(recordNotifications)
  page = await context.newPage()
})
test.afterAll(async () => {
  await page?.context().close()
  await stack?.close()
})

test('1. the demo agent signs in and sees the seeded conversations with their unread badges', async () => {
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await page.getByTestId('filter-All').click()
  const contacts = await acmeContacts()
  await expect(page.getByTestId('filter-All')).toContainText(String(contacts.length))
  const visible = await rows(page).count()
  expect(visible).toBeGreaterThan(5)
  for (const contact of contacts.slice(0, Math.min(visible, 8))) {
    const row = page.locator(`[data-testid="conversation-row"][data-id="${contact.id}"]`)
    await expect(row).toBeVisible()
    if (contact.unread_count > 0)
      await expect(row.getByTestId('unread-badge')).toHaveText(`${contact.unread_count} unread`)
    else await expect(row.getByTestId('unread-badge')).toHaveCount(0)
  }
  const total = contacts.reduce((sum, contact) => sum + contact.unread_count, 0)
  expect(total).toBeGreaterThan(0)
  await expect(workspaceBadge()).toHaveText(String(total))
  await expect(page).toHaveTitle(new RegExp(`^\\(\\d+\\) SMS Inbox$`))
})

test('2. an inbound SMS moves its conversation to the top with +1, raises the badges and notifies', async () => {
  const contacts = await acmeContacts()
  const target = contacts.find(
    (contact) => contact.name && contact.unread_count > 0 && contact !== contacts[0],
  )!
  const other = contacts.find((contact) => contact.id !== target.id && contact.unread_count === 0)!
  // Another conversation is open, so the notification policy does notify.
  await page.locator(`[data-testid="conversation-row"][data-id="${other.id}"]`).click()
  const before = Number(await workspaceBadge().textContent())

  await stack.inbound(target.phone_number, 'Any update on my refund?')

  const top = rows(page).first()
  await expect(top).toHaveAttribute('data-id', target.id)
  await expect(top.getByTestId('unread-badge')).toHaveText(`${target.unread_count + 1} unread`)
  await expect(top).toContainText('Any update on my refund?')
  await expect(workspaceBadge()).toHaveText(String(before + 1))
  await expect(page).toHaveTitle(new RegExp(`^\\(\\d+\\) SMS Inbox$`))
  await expect
    .poll(async () => (await notifications(page)).map((shown) => shown.body))
    .toContain('Any update on my refund?')
  expect(
    (await notifications(page)).find((shown) => shown.body === 'Any update on my refund?')!.title,
  ).toContain(target.name!)
})

test('3. opening it clears the badge everywhere and in the database', async () => {
  const top = rows(page).first()
  const id = (await top.getAttribute('data-id'))!
  const unread = Number((await top.getByTestId('unread-badge').textContent())!.replace(/\D/g, ''))
  const before = Number(await workspaceBadge().textContent())
  await top.click()
  await expect(top.getByTestId('unread-badge')).toHaveCount(0)
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('Any update on my refund?')
  const after = before - unread
  if (after > 0) await expect(workspaceBadge()).toHaveText(String(after))
  else await expect(workspaceBadge()).toHaveCount(0)
  await expect(page).toHaveTitle(after > 0 ? `(${after}) SMS Inbox` : 'SMS Inbox')
  await expect
    .poll(
      async () =>
        (
          await stack.backend.db.query<{ unread_count: number }>(
            'select unread_count from public.contacts where id = $1',
            [id],
          )
        ).rows[0]!.unread_count,
    )
    .toBe(0)
})

/** Records every delivery state the newest outbound bubble shows, in order. */
async function watchStatuses() {
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { __statuses: string[] }).__statuses = seen
    const log = document.querySelector('[role="log"]')!
    const record = () => {
      const bubbles = log.querySelectorAll('[data-testid="message"]')
      const last = bubbles[bubbles.length - 1] as HTMLElement | undefined
      const status = last?.dataset.status
      if (status && seen[seen.length - 1] !== status) seen.push(status)
    }
    new MutationObserver(record).observe(log, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-status'],
    })
  })
}
const statuses = () => page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses)
const order = ['queued', 'pending', 'sent', 'delivered']

test('4. a reply goes pending → sent → delivered; a refused one says why, and Retry sends again only where it can help', async () => {
  await watchStatuses()
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Your refund went out today.')
  await composer.press('Enter')
  await expect(composer).toHaveValue('')
  const bubble = page.getByTestId('message').filter({ hasText: 'Your refund went out today.' })
  await expect(bubble).toHaveAttribute('data-status', 'delivered')
  const seen = await statuses()
  expect(seen[seen.length - 1]).toBe('delivered')
  expect(seen).toEqual([...seen].sort((a, b) => order.indexOf(a) - order.indexOf(b)))
  expect(seen.some((status) => status === 'pending' || status === 'queued')).toBe(true)
  expect(
    stack.double.requests.filter((request) => request.params.Body === 'Your refund went out today.'),
  ).toHaveLength(1)

  await rowNamed(page, 'Test Invalid Number').click()
  await composer.fill('Testing the number you gave us')
  await composer.press('Enter')
  const failed = page.getByTestId('message').filter({ hasText: 'Testing the number you gave us' })
  await expect(failed).toHaveAttribute('data-status', 'failed')
  await expect(failed.getByRole('alert')).toContainText('This phone number is not valid.')
  await expect(failed.getByRole('alert')).toContainText('Twilio error 21211')
  // The same number fails the same way again: no Retry to press.
  await expect(failed.getByRole('button', { name: 'Retry' })).toHaveCount(0)

  // Twilio answering 503 to every attempt of the relay's bounded retries: that may pass.
  stack.double.setFaults({ failNext: { count: 4, status: 503 } })
  await composer.fill('Testing again once Twilio is back')
  await composer.press('Enter')
  const unsent = page.getByTestId('message').filter({ hasText: 'Testing again once Twilio is back' })
  await expect(unsent).toHaveAttribute('data-status', 'failed')
  const attempts = () =>
    stack.double.requests.filter(
      (request) => request.method === 'POST' && request.params.Body === 'Testing again once Twilio is back',
    ).length
  expect(attempts()).toBe(4)
  await unsent.getByRole('button', { name: 'Retry' }).click()
  await expect.poll(attempts).toBe(5)
  // The invalid number refuses this one too, now with Twilio's own reason.
  await expect(unsent.getByRole('alert')).toContainText('This phone number is not valid.')
})
