/// <reference lib="dom" />
import { expect, test } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { signIn } from './support/page.ts'

let stack: Stack
test.beforeAll(async () => {
  stack = await startStack()
})
test.afterAll(async () => {
  await stack?.close()
})

/** The page as a browser that already blocked notifications for it: it can no longer ask. */
const blockNotifications = () => {
  Object.defineProperty(Notification, 'permission', { get: () => 'denied', configurable: true })
}

const chrome = 'AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
const desktops = [
  {
    name: 'Windows',
    userAgent: `Mozilla/5.0 (Windows NT 10.0; Win64; x64) ${chrome}`,
    place: 'Settings › System › Notifications in Windows',
  },
  {
    name: 'macOS',
    userAgent: `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) ${chrome}`,
    place: 'System Settings › Notifications on your Mac',
  },
  {
    name: 'Linux',
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) ${chrome}`,
    place: 'your desktop’s notification settings (in GNOME: Settings › Notifications)',
  },
]

for (const desktop of desktops) {
  test(`blocked notifications on ${desktop.name}: the settings say where to allow them, and offer no prompt that cannot come`, async ({
    browser,
  }) => {
    const context = await browser.newContext({ userAgent: desktop.userAgent })
    await context.addInitScript(blockNotifications)
    const page = await context.newPage()
    await page.goto(stack.shell.url)
    // The core behind the shell is shared: a test before this one may have signed in already.
    const signInHeading = page.getByRole('heading', { name: 'Sign in to SMS Inbox' })
    await expect(signInHeading.or(page.getByRole('navigation', { name: 'Workspaces' }))).toBeVisible()
    if (await signInHeading.isVisible()) await signIn(page, stack.shell.url, 'ben@acme.test')
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await expect(dialog).toContainText('Notifications are blocked for this page.')
    await expect(dialog).toContainText(desktop.place)
    for (const other of desktops.filter((d) => d !== desktop))
      await expect(dialog).not.toContainText(other.place)
    await expect(dialog.getByRole('button', { name: 'Allow notifications' })).toHaveCount(0)
    await context.close()
  })
}
