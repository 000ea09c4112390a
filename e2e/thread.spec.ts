import { expect, test } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { rowNamed, signIn } from './support/page.ts'

const HISTORY = 300
const PHONE = '+15557770000'
let stack: Stack

test.beforeAll(async () => {
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `with contact as (
           insert into public.contacts (workspace_id, phone_number, name) values ($1, $2, 'Long History') returning id
         )
         insert into public.messages (workspace_id, contact_id, content, direction, status, created_at)
         select $1, contact.id, 'History message ' || i, case when i % 2 = 0 then 'outbound' else 'inbound' end, 'delivered',
                now() - make_interval(mins => $3::int - i)
           from contact, generate_series(1, $3::int) as i`,
        [demo.acme, PHONE, HISTORY],
      )
    },
  })
})
test.afterAll(async () => {
  await stack?.close()
})

test('older history loads on scroll-up without moving what is on screen; new messages while scrolled up show a pill', async ({
  page,
}) => {
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await expect(page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
  await rowNamed(page, 'Long History').click()
  const log = page.getByRole('log', { name: 'Messages' })
  const bubbles = log.getByTestId('message')
  const bubbleSaying = (text: string) =>
    bubbles.filter({ has: page.locator('.bubble-text', { hasText: new RegExp(`^${text}$`) }) })
  // The log says how many messages it holds; the page itself holds only the rows on screen.
  const loaded = async () => Number(await log.getAttribute('data-loaded'))
  await expect(bubbleSaying(`History message ${HISTORY}`)).toBeInViewport()
  const firstCount = await loaded()
  expect(firstCount).toBeLessThan(HISTORY)
  expect(await bubbles.count()).toBeLessThan(firstCount)

  // The oldest message loaded so far, at the top once the agent scrolls up.
  const anchor = bubbleSaying(`History message ${HISTORY - firstCount + 1}`)
  await log.evaluate((element) => element.scrollTo({ top: 0 }))
  await expect.poll(loaded).toBeGreaterThan(firstCount)
  // The message that was at the top stays where the agent was looking, instead of jumping.
  await expect(anchor).toBeInViewport()

  await stack.inbound(PHONE, 'A new message while you read history')
  const pill = page.getByTestId('new-messages-pill')
  await expect(pill).toHaveText(/1 new message/)
  const newest = bubbleSaying('A new message while you read history')
  await expect(anchor).toBeInViewport()
  await expect(newest).not.toBeInViewport()
  await pill.click()
  await expect(newest).toBeInViewport()
  await expect(pill).toHaveCount(0)
})

test('the composer: Shift+Enter adds a line, drafts stay per conversation, the counter names the UCS-2 character', async ({
  page,
}) => {
  // The host keeps the agent signed in (as the desktop app does): the inbox opens directly.
  await page.goto(stack.shell.url)
  await expect(page.getByRole('navigation', { name: 'Workspaces' })).toBeVisible()
  await rowNamed(page, 'Long History').click()
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('a'.repeat(160))
  await expect(page.getByTestId('sms-counter')).toContainText('160 characters · 1 segment · GSM-7')
  await composer.press('End')
  await composer.press('Shift+Enter')
  await composer.pressSequentially('b')
  await expect(composer).toHaveValue(`${'a'.repeat(160)}\nb`)
  await expect(page.getByTestId('sms-counter')).toContainText('162 characters · 2 segments · GSM-7')
  await composer.fill('Thanks — see you soon')
  await expect(page.getByTestId('sms-counter')).toContainText('UCS-2')
  await expect(page.getByTestId('sms-offending')).toContainText('U+2014')

  const other = page
    .getByTestId('conversation-row')
    .filter({ hasNot: page.locator('.row-name', { hasText: 'Long History' }) })
    .first()
  await other.click()
  await expect(composer).toHaveValue('')
  await rowNamed(page, 'Long History').click()
  await expect(composer).toHaveValue('Thanks — see you soon')
})
