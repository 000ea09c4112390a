import { expect, test } from '@playwright/test'
import { openDatabase } from '../local-backend/db/database.ts'
import { startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

let stack: Stack

test.beforeAll(async () => {
  stack = await startStack()
})
test.afterAll(async () => {
  await stack?.close()
})

test('6. offline: cached threads stay readable and searchable, a reply is queued, held back by what arrived meanwhile, and delivered once', async ({
  page,
}) => {
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await expect(page.getByTestId('connection-status')).toHaveText('Live')
  // The customer wrote last, so Ben's reply answers that message (the collision guard's mark).
  await stack.inbound('+16175550104', 'Before the outage')
  const first = rows(page).first()
  await expect(first).toContainText('Before the outage')
  const contactId = (await first.getAttribute('data-id'))!
  const name = (await first.locator('.row-name').textContent())!
  await first.click()
  const log = page.getByRole('log', { name: 'Messages' })
  await expect(log.getByTestId('message').first()).toBeVisible()
  // How many messages the thread holds (its page shows only the rows on screen).
  const before = (await log.getAttribute('data-loaded'))!

  await stack.stopBackend()
  const banner = page.getByTestId('connection-banner')
  // The app cannot tell a stopped backend from a lost network: either way it says so, with the cache's age.
  await expect(banner).toContainText(/^(Offline\.|Reconnecting…) Showing conversations cached at /)
  await expect(page.getByTestId('connection-status')).toHaveText(/Offline|Reconnecting/)
  await expect(banner).toContainText('Messages you send will go out when you’re back online.')
  await expect(log).toHaveAttribute('data-loaded', before)
  await expect(log.getByTestId('message').first()).toBeVisible()

  const search = page.getByRole('searchbox', { name: 'Search conversations' })
  await search.fill(name.split(' ')[0]!)
  await expect(page.getByTestId('search-hit').first()).toContainText(name.split(' ')[0]!)
  await search.press('Escape')

  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Sent while offline')
  await composer.press('Enter')
  const reply = log.getByTestId('message').filter({ hasText: 'Sent while offline' })
  await expect(reply).toHaveAttribute('data-status', 'queued')
  await expect(reply).toContainText('Queued')

  // While the app is cut off, the customer writes in (the server side kept running).
  const { dataDir } = stack
  const db = await openDatabase({ dataDir, seed: true })
  await db.query(
    `insert into public.messages (workspace_id, contact_id, content, direction, status) values ($1, $2, 'Written during the outage', 'inbound', 'delivered')`,
    [stack.demo.acme, contactId],
  )
  await db.close()

  await stack.restartBackend()
  await expect(page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
  await expect(banner).toHaveCount(0)
  await expect(log.getByTestId('message').filter({ hasText: 'Written during the outage' })).toHaveCount(1)
  // Ben wrote without seeing that message: the relay holds the reply back and shows it to him.
  const held = page.getByTestId('held-reply')
  await expect(held.getByTestId('held-reply-arrived')).toContainText(['Written during the outage'])
  await held.getByRole('button', { name: 'Send anyway' }).click()
  await expect(reply).toHaveAttribute('data-status', 'delivered')
  expect(
    stack.double.requests.filter((request) => request.params.Body === 'Sent while offline'),
  ).toHaveLength(1)
  const stored = await stack.backend.db.query<{ count: number }>(
    `select count(*)::int as count from public.messages where contact_id = $1 and content = 'Sent while offline'`,
    [contactId],
  )
  expect(stored.rows[0]!.count).toBe(1)
})
