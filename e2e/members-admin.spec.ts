import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { expectAccessible, expectSettled } from './support/page.ts'
import { root } from './support/stack.ts'
import { startTwoAgents, type TwoAgents } from './support/two-agents.ts'

const shots = join(root, 'test-results/members-admin')
let team: TwoAgents

test.beforeAll(async ({ browser }) => {
  mkdirSync(shots, { recursive: true })
  team = await startTwoAgents(browser)
})
test.afterAll(async () => {
  await team?.close()
})

async function capture(page: Page, screen: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' })
    await expectSettled(page, `${screen} (${colorScheme})`)
    await expectAccessible(page, `${screen} (${colorScheme})`)
    await page.screenshot({ path: join(shots, `${screen}-${colorScheme}.png`) })
  }
}

test('only owners and admins reach the admin screen, by its button or M', async () => {
  const { ava, ben } = team
  const admin = (page: Page) => page.getByRole('dialog', { name: 'Manage Acme Support' })

  await ava.page.getByRole('button', { name: 'Manage workspace' }).click()
  await expect(admin(ava.page)).toBeVisible()
  const members = admin(ava.page).getByRole('tabpanel', { name: 'Members' })
  await expect(members.getByRole('row', { name: /Ava Thompson/ })).toContainText('Owner')
  await expect(members.getByRole('row', { name: /Ben Okafor/ })).toContainText('Agent')
  await capture(ava.page, 'admin-members')
  await ava.page.keyboard.press('Escape')
  await expect(admin(ava.page)).toBeHidden()
  await ava.page.keyboard.press('m')
  await expect(admin(ava.page)).toBeVisible()
  await ava.page.keyboard.press('Escape')

  // Ben is an agent of Acme: no button, and the shortcut opens nothing.
  await expect(ben.page.getByRole('navigation', { name: 'Workspaces' })).toBeVisible()
  await expect(ben.page.getByRole('button', { name: 'Manage workspace' })).toHaveCount(0)
  await ben.page.keyboard.press('m')
  await ben.page.keyboard.press('?')
  await expect(ben.page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
  await expect(admin(ben.page)).toHaveCount(0)
})
