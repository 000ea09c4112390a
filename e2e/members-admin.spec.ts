import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { expectAccessible, expectSettled, rowNamed } from './support/page.ts'
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
  await ben.page.keyboard.press('Escape')
  await expect(ben.page.getByRole('dialog')).toHaveCount(0)
})

test('the owner invites by email, revokes an invitation and removes an agent, who receives nothing of it afterwards; the trail shows each', async () => {
  test.setTimeout(120_000)
  const { ava, ben, backend } = team
  const admin = ava.page.getByRole('dialog', { name: 'Manage Acme Support' })
  await ava.page.getByRole('button', { name: 'Manage workspace' }).click()
  await admin.getByRole('tab', { name: 'Members' }).click()

  await admin.getByLabel('Email').fill('dana@example.test')
  await admin.getByRole('button', { name: 'Invite' }).click()
  await expect(admin.getByRole('status')).toHaveText(
    'Invited dana@example.test. They join Acme Support when they first sign in.',
  )
  expect(backend.outbox.list('dana@example.test').map((mail) => mail.kind)).toEqual(['invite'])

  // Each invitation waits in the list until it is accepted or revoked; a revoked one leaves it.
  const pending = admin.getByTestId('pending-invitation')
  await expect(pending.filter({ hasText: 'dana@example.test' })).toContainText(
    'dana@example.testAgentAva Thompson',
  )
  await admin.getByLabel('Email').fill('erin@example.test')
  await admin.getByRole('form', { name: 'Invite a member' }).getByRole('combobox').selectOption('admin')
  await admin.getByRole('button', { name: 'Invite' }).click()
  await expect(pending).toHaveCount(2)
  await expect(pending.first()).toContainText('erin@example.testAdminAva Thompson')
  await capture(ava.page, 'admin-pending-invitations')
  await admin.getByRole('button', { name: 'Revoke the invitation of erin@example.test' }).click()
  await expect(admin.getByRole('status')).toHaveText('Revoked the invitation of erin@example.test.')
  await expect(pending).toHaveCount(1)
  await expect(pending).toContainText('dana@example.test')

  await expect(ben.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
  const bensAcme = ben.page
    .getByRole('navigation', { name: 'Workspaces' })
    .getByRole('button', { name: /^Acme Support/ })
  await expect(bensAcme).toHaveCount(1)
  await admin.getByRole('button', { name: 'Remove Ben Okafor…' }).click()
  await admin.getByRole('button', { name: 'Remove Ben Okafor', exact: true }).click()
  await expect(admin.getByRole('status')).toHaveText('Ben Okafor was removed from Acme Support.')
  await expect(admin.getByRole('row', { name: /Ben Okafor/ })).toHaveCount(0)
  // Ben's app hears its own removal (a DELETE carrying only the row's key) and drops the workspace.
  await expect(bensAcme).toHaveCount(0, { timeout: 10_000 })

  // A customer texts Acme: Ava sees it; nothing about it reaches Ben's screen.
  ben.screen.hold()
  await team.inbound('+15557770199', 'Is anyone there after the change?')
  await expect(ava.page.getByText('Is anyone there after the change?').first()).toBeVisible({
    timeout: 15_000,
  })
  const leaked = ben.screen
    .held()
    .filter((frame) => frame.includes('after the change') || frame.includes('+15557770199'))
  console.log(`frames about the new text delivered to the removed agent: ${leaked.length}`)
  expect(leaked).toEqual([])
  ben.screen.release()

  await admin.getByRole('tab', { name: 'Audit trail' }).click()
  const trail = admin.getByRole('list', { name: 'Audit trail entries' })
  // The removal also unassigns Ben's conversations, each its own entry.
  await expect(trail).toContainText('Ava Thompson removed Ben Okafor (Agent)')
  await expect(trail).toContainText('Ava Thompson unassigned')
  await expect(trail).toContainText('Ava Thompson invited dana@example.test as Agent')
  await expect(trail).toContainText('Ava Thompson revoked the invitation of erin@example.test as Admin')
  await capture(ava.page, 'admin-audit-trail')

  // Dana joins with the code from her invite email, in the app Ben left, and sees Acme at once.
  const page = ben.page
  const acme = page
    .getByRole('navigation', { name: 'Workspaces' })
    .getByRole('button', { name: /^Acme Support/ })
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('button', { name: 'I have an invite code' }).click()
  await page.getByLabel('Email').fill('dana@example.test')
  await page.getByLabel('Invite code').fill('000000')
  await page.getByLabel('Choose a password').fill('dana-chose-this-1')
  await page.getByRole('button', { name: 'Join your team' }).click()
  await expect(page.getByRole('alert')).toHaveText('That code is wrong or has expired. Ask for a new invite.')
  await capture(page, 'sign-in-invite-code')
  const [invite] = backend.outbox.list('dana@example.test')
  await page.getByLabel('Invite code').fill(invite!.otp)
  await page.getByRole('button', { name: 'Join your team' }).click()
  await expect(acme).toHaveCount(1)

  // The password she chose is hers from now on.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('Email').fill('dana@example.test')
  await page.getByLabel('Password').fill('dana-chose-this-1')
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(acme).toHaveCount(1)

  // Ben's removal moved Acme's private channel to a new key; Ava's app followed it, and Dana, who
  // joined since, meets her there: presence carries on for the team.
  await ava.page.keyboard.press('Escape')
  await expect(admin).toBeHidden()
  await rowNamed(ava.page, 'Victor Chen').click()
  await expect(rowNamed(page, 'Victor Chen').getByTestId('presence-avatar')).toHaveAttribute(
    'title',
    'Ava Thompson is viewing',
  )
})
