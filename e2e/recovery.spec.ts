import { expect, test } from '@playwright/test'
import { embeddedChildren, theEmbeddedChild } from '../test/support/embedded-children.ts'
import { expectAccessible, expectSettled, signIn } from './support/page.ts'
import { startEmbeddedShell, startStack } from './support/stack.ts'

test('an open tab gets back into the app after the app restarts, by itself and without a new link', async ({
  page,
}) => {
  const stack = await startStack()
  try {
    await signIn(page, stack.shell.url, 'ben@acme.test')
    await expect(page.getByTestId('connection-status')).toHaveText('Live')
    const address = page.url()

    await stack.stopShell()
    await expect(page.getByRole('status').filter({ hasText: 'Not connected to the app.' })).toContainText(
      'Trying again…',
    )
    await stack.startShell()
    // The browser shell keeps no session without an OS key store, so the agent signs in
    // again, on the same page: its cookie got it back in, no launch link was needed.
    await expect(page.getByRole('heading', { name: 'Sign in to SMS Inbox' })).toBeVisible({ timeout: 30_000 })
    await expect(page.getByText('Not connected to the app.')).toHaveCount(0)
    expect(page.url()).toBe(address)
    await page.getByLabel('Email').fill('ben@acme.test')
    await page.getByLabel('Password').fill('inbox-demo-1')
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await expect(page.getByTestId('connection-status')).toHaveText('Live')
  } finally {
    await stack.close()
  }
})

test('past the crash limit the banner says so and offers Restart backend, which brings it back', async ({
  page,
}) => {
  test.setTimeout(240_000)
  const app = await startEmbeddedShell()
  try {
    await signIn(page, app.shell.url, 'cleo@globex.test')
    const status = page.getByTestId('connection-status')
    await expect(status).toHaveText('Live')

    // Three crashes are restarted on the same port, the agent signed in throughout; the fourth is not.
    for (let crash = 1; crash <= 4; crash += 1) {
      process.kill(theEmbeddedChild(), 'SIGKILL')
      await expect(status).not.toHaveText('Live')
      if (crash < 4) await expect(status).toHaveText('Live', { timeout: 60_000 })
    }
    const banner = page.getByTestId('embedded-stopped')
    await expect(banner).toContainText('The backend has stopped.')
    await expect(banner).toContainText('stopped 4 times within 5 minutes')
    await expect(status).not.toHaveText('Live')
    expect(embeddedChildren()).toEqual([])
    await expectSettled(page, 'embedded server stopped')
    await expectAccessible(page, 'embedded server stopped')

    await banner.getByRole('button', { name: 'Restart backend' }).click()
    await expect(banner).toHaveCount(0, { timeout: 60_000 })
    await expect(status).toHaveText('Live', { timeout: 60_000 })
    await expect(page.getByRole('navigation', { name: 'Workspaces' })).toBeVisible()
  } finally {
    await app.close()
  }
})
