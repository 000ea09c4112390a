/// <reference lib="dom" />
import { expect, test, type Page } from '@playwright/test'
import { theEmbeddedChild } from '../test/support/embedded-children.ts'
import { rows, signIn } from './support/page.ts'
import { startEmbeddedShell } from './support/stack.ts'

/**
 * What the page showed, in order, recorded as the DOM changes so that a state shown
 * for one frame counts: each connection status, each delivery label of a reply, and
 * every time the sign-in form came up.
 */
const recordTimeline = () => {
  const seen: string[] = []
  const last = new Map<string, string>()
  ;(window as unknown as { __timeline: string[] }).__timeline = seen
  const note = (kind: string, value: string) => {
    if (last.get(kind) === value) return
    last.set(kind, value)
    seen.push(`${kind}: ${value}`)
  }
  const record = () => {
    const status = document.querySelector('[data-testid="connection-status"]')
    if (status) note('status', status.textContent ?? '')
    for (const message of document.querySelectorAll('[data-testid="message"]')) {
      const label = message.querySelector('[data-testid="delivery-status"]')
      if (label && message.querySelector('.bubble-text')?.textContent === 'Typed while the backend restarts')
        note('reply', (label.textContent ?? '').replace(/^\W+/, ''))
    }
    const signInForm = [...document.querySelectorAll('h1, h2')].some(
      (heading) => heading.textContent === 'Sign in to SMS Inbox',
    )
    note('sign-in form', signInForm ? 'shown' : 'gone')
  }
  new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true })
}

const timeline = (page: Page) =>
  page.evaluate(() => (window as unknown as { __timeline: string[] }).__timeline)

test('a reply typed while the crashed backend restarts is delivered exactly once, the agent signed in throughout', async ({
  browser,
}) => {
  test.setTimeout(180_000)
  const body = 'Typed while the backend restarts'
  const app = await startEmbeddedShell()
  const context = await browser.newContext()
  try {
    await context.addInitScript(recordTimeline)
    const page = await context.newPage()
    await signIn(page, app.shell.url, 'cleo@globex.test')
    const status = page.getByTestId('connection-status')
    await expect(status).toHaveText('Live')
    await rows(page).first().click()
    const log = page.getByRole('log', { name: 'Messages' })
    await expect(log.getByTestId('message').first()).toBeVisible()
    const signedIn = (await timeline(page)).length

    process.kill(theEmbeddedChild(), 'SIGKILL')
    await expect(status).not.toHaveText('Live')
    const composer = page.getByRole('textbox', { name: /Reply to/ })
    await composer.fill(body)
    await composer.press('Enter')
    const reply = log.getByTestId('message').filter({ hasText: body })
    await expect(reply).toHaveCount(1)

    await expect(status).toHaveText('Live', { timeout: 90_000 })
    await expect(reply).toHaveAttribute('data-status', 'delivered', { timeout: 60_000 })
    await expect(reply.getByTestId('delivery-status')).toContainText('Delivered')
    await expect(reply).toHaveCount(1)
    await expect(page.getByRole('navigation', { name: 'Workspaces' })).toBeVisible()

    const atTwilio = app.twilioMessages().filter((message) => message.body === body)
    console.log(`crash-reply Twilio: ${atTwilio.length} message(s) with the reply's body`)
    expect(atTwilio).toHaveLength(1)

    const after = (await timeline(page)).slice(signedIn)
    console.log(`crash-reply timeline: ${after.join(' → ')}`)
    // The reply waited for the backend (typed while the app was cut off), and the connection
    // went down and came back; the sign-in form never came up again.
    expect(after).toContain('reply: Queued, sends when online')
    const down = after.findIndex((entry) => entry.startsWith('status: ') && entry !== 'status: Live')
    expect(down).toBeGreaterThanOrEqual(0)
    expect(after.slice(down)).toContain('status: Live')
    expect(after).not.toContain('sign-in form: shown')
    expect(after.filter((entry) => entry.startsWith('reply: ')).at(-1)).toBe('reply: Delivered')
  } finally {
    await context.close()
    await app.close()
  }
})
