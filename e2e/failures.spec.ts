/// <reference lib="dom" />
import { expect, test, type Page } from '@playwright/test'
import { explainFailure, explainedErrorCodes } from '../src/shared/twilio-errors.ts'
import { startStack, type Stack } from './support/stack.ts'
import { expectAccessible, rowNamed, rows, signIn } from './support/page.ts'

/*
 * Each Twilio error the app explains, produced by the Twilio double on the real path
 * (refused by its API, or undelivered by a carrier after it accepted the message),
 * shows its sentence and next step on the failed bubble, Retry only where a retry can
 * help, and the raw code in the details.
 */

const twilioCodes = explainedErrorCodes.filter((code) => /^\d+$/.test(code))
/** One contact per code, each on a number of its own: +1 555 830 0000 + index. */
const phoneOf = (index: number) => `+1555830${String(index).padStart(4, '0')}`
const nameOf = (code: string) => `Failure ${code}`

let stack: Stack
let page: Page

test.describe.configure({ mode: 'serial' })

test.beforeAll(async ({ browser }) => {
  stack = await startStack({
    prepare: async (backend, demo) => {
      for (const [index, code] of twilioCodes.entries()) {
        await backend.db.query(
          `with contact as (
             insert into public.contacts (workspace_id, phone_number, name) values ($1, $2, $3) returning id
           )
           insert into public.messages (workspace_id, contact_id, content, direction, status)
           select $1, id, 'Hi, can you text me?', 'inbound', 'delivered' from contact`,
          [demo.acme, phoneOf(index), nameOf(code)],
        )
      }
    },
  })
  // API refusals (21xxx) are Twilio's answer to the send; carrier failures (30xxx) come later, by callback.
  stack.double.setFaults({
    refuseTo: Object.fromEntries(
      twilioCodes.flatMap((code, index) => (code.startsWith('21') ? [[phoneOf(index), Number(code)]] : [])),
    ),
    undeliveredTo: Object.fromEntries(
      twilioCodes.flatMap((code, index) => (code.startsWith('30') ? [[phoneOf(index), Number(code)]] : [])),
    ),
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

test('every explained Twilio error shows its sentence and next step, Retry only where it can help, the code in the details', async () => {
  expect(twilioCodes).toHaveLength(12)
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  for (const code of twilioCodes) {
    const explanation = explainFailure(code)!
    await rowNamed(page, nameOf(code)).click()
    const body = `Checking in (${code})`
    await composer.fill(body)
    await composer.press('Enter')
    const bubble = page.getByTestId('message').filter({ hasText: body })
    // A carrier's failure comes by status callback, then Realtime: give a busy machine time.
    await expect(bubble, code).toHaveAttribute('data-status', 'failed', { timeout: 20_000 })
    const note = bubble.getByTestId('failure')
    await expect(note.locator('.failure-sentence'), code).toHaveText(explanation.sentence)
    await expect(note.locator('.failure-next'), code).toHaveText(explanation.nextStep)
    await expect(note.getByRole('button', { name: 'Retry' }), code).toHaveCount(
      explanation.retryCanHelp ? 1 : 0,
    )
    const details = note.locator('details')
    await expect(details.getByText(`Twilio error ${code}`), code).toBeHidden()
    await details.locator('summary').click()
    await expect(details.getByText(`Twilio error ${code}`), code).toBeVisible()
  }
  // One send each: no explanation made anything try again by itself.
  const creates = stack.double.requests.filter(
    (request) => request.method === 'POST' && /Checking in/.test(String(request.params.Body)),
  )
  expect(creates).toHaveLength(12)

  // The last one (30034) is open with its details: readable in both themes.
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await expectAccessible(page, `failure note (${colorScheme})`)
    await page.screenshot({ path: `test-results/failure-note-${colorScheme}.png` })
  }
})

test('a customer’s STOP disables the composer with the reason, with 0 calls to Twilio; START re-enables it live', async () => {
  const phone = '+15558309999'
  await stack.inbound(phone, 'Where is my parcel?')
  await page.getByTestId('filter-All').click()
  const row = rows(page).filter({ hasText: 'Where is my parcel?' })
  await row.click()
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  const send = page.getByRole('button', { name: 'Send' })
  await composer.fill('It left the warehouse today.')
  const twilioCreates = () =>
    stack.double.requests.filter(
      (request) => request.method === 'POST' && request.path.endsWith('/Messages.json'),
    ).length
  const before = twilioCreates()

  await stack.inbound(phone, 'STOP')
  await expect(page.getByTestId('message').filter({ hasText: /^STOP/ })).toBeVisible()
  const reason = page.getByTestId('composer-opted-out')
  await expect(reason).toHaveText(/^.+ texted STOP to .+ on .+; they must text START to receive messages\.$/)
  await expect(composer).toBeDisabled()
  await expect(send).toBeDisabled()
  await expect(page.getByTestId('opted-out-mark')).toBeVisible()
  // The draft stays for later; nothing was sent, to the relay or to Twilio.
  await expect(composer).toHaveValue('It left the warehouse today.')
  expect(twilioCreates() - before).toBe(0)
  await expect(page.getByTestId('message').filter({ hasText: 'It left the warehouse today.' })).toHaveCount(0)

  await stack.inbound(phone, 'start')
  await expect(page.getByTestId('message').filter({ hasText: /^start/ })).toBeVisible()
  await expect(reason).toBeHidden()
  await expect(page.getByTestId('opted-out-mark')).toBeHidden()
  await expect(composer).toBeEnabled()
  await expect(composer).toHaveValue('It left the warehouse today.')
  await composer.fill('Welcome back: it arrives tomorrow.')
  await composer.press('Enter')
  const sent = page.getByTestId('message').filter({ hasText: 'Welcome back: it arrives tomorrow.' })
  await expect(sent).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 })
  expect(twilioCreates() - before).toBe(1)
})
