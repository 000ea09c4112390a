/// <reference lib="dom" />
import { join } from 'node:path'
import { expect, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { DEMO_PASSWORD } from './stack.ts'

/**
 * Replaces the page's Notification with a recorder, so a test can assert on what
 * the browser shell's page showed. Permission is granted, as after the prompt.
 */
export const recordNotifications = () => {
  const shown: { title: string; body?: string; tag?: string; silent?: boolean }[] = []
  ;(window as unknown as { __notifications: typeof shown }).__notifications = shown
  class RecordingNotification extends EventTarget {
    static permission = 'granted'
    static requestPermission = () => Promise.resolve('granted')
    constructor(title: string, options: NotificationOptions = {}) {
      super()
      shown.push({ title, body: options.body, tag: options.tag, silent: options.silent ?? undefined })
    }
    close() {}
  }
  Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true })
}

export async function notifications(page: Page) {
  return page.evaluate(
    () => (window as unknown as { __notifications: { title: string; body?: string }[] }).__notifications,
  )
}

/** `timeout`: how long the inbox may take to appear (a large first sync shares this machine's cores). */
export async function signIn(page: Page, url: string, email: string, timeout?: number) {
  await page.goto(url)
  await page.getByRole('heading', { name: 'Sign in to SMS Inbox' }).waitFor()
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(page.getByRole('navigation', { name: 'Workspaces' })).toBeVisible({ timeout })
}

export const rows = (page: Page) => page.getByTestId('conversation-row')
export const rowNamed = (page: Page, name: string) =>
  rows(page).filter({ has: page.locator('.row-name', { hasText: name }) })

/**
 * The page has nothing in motion: no CSS transition or animation is running and the
 * fonts are in. `getAnimations()` flushes style first, so a transition started by the
 * media change that preceded this call is already listed.
 */
export async function expectSettled(page: Page, screen: string) {
  await page.evaluate(() => document.fonts.ready)
  const moving = await page.evaluate(() =>
    document.getAnimations().map((animation) => {
      const target = (animation.effect as KeyframeEffect | null)?.target
      return `${animation.constructor.name} on ${target instanceof Element ? target.className || target.tagName : '?'}`
    }),
  )
  expect(moving, `${screen}: still moving`).toEqual([])
}

/** Axe on the current screen: no serious or critical violations. */
export async function expectAccessible(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).analyze()
  const bad = results.violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  )
  expect(
    bad.map(
      (violation) =>
        `${screen}: ${violation.id} (${violation.impact}) ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([])
}

/**
 * Axe in both themes (contrast differs), and a screenshot of each into `dir`. Reduced
 * motion must mean that the theme swap settles at once: a colour transition still running
 * when axe reads the page is what made the screens test flaky, with white text on a
 * half-faded button.
 */
export async function captureBothThemes(page: Page, dir: string, screen: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' })
    await expectSettled(page, `${screen} (${colorScheme})`)
    await expectAccessible(page, `${screen} (${colorScheme})`)
    await page.screenshot({ path: join(dir, `${screen}-${colorScheme}.png`) })
  }
}
