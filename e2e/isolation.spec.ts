import { expect, test } from '@playwright/test'
import { startStack, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

let stack: Stack

test.beforeAll(async () => {
  stack = await startStack()
})
test.afterAll(async () => {
  await stack?.close()
})

test('5. an agent of the second workspace never sees the first one’s conversations', async ({ page }) => {
  const names = async (workspaceId: string) =>
    (
      await stack.backend.db.query<{ id: string; name: string | null }>(
        'select id, name from public.contacts where workspace_id = $1',
        [workspaceId],
      )
    ).rows
  const globex = await names(stack.demo.globex)
  const acme = await names(stack.demo.acme)
  expect(globex.length).toBeGreaterThan(0)

  await signIn(page, stack.shell.url, 'cleo@globex.test')
  const rail = page.getByRole('navigation', { name: 'Workspaces' })
  await expect(rail.getByRole('button', { name: /Globex Care/ })).toBeVisible()
  await expect(rail.getByRole('button', { name: /Acme Support/ })).toHaveCount(0)

  await page.getByTestId('filter-All').click()
  await expect(page.getByTestId('filter-All')).toContainText(String(globex.length))
  const shown = await rows(page).evaluateAll((elements) =>
    elements.map((element) => (element as HTMLElement).dataset.id),
  )
  expect(shown.length).toBe(globex.length)
  expect(new Set(shown)).toEqual(new Set(globex.map((contact) => contact.id)))

  // Search reads the offline cache: nothing of Acme is in it.
  const acmeName = acme.find((contact) => contact.name)!.name!
  await page.getByRole('searchbox', { name: 'Search conversations' }).fill(acmeName)
  await expect(page.getByText(`No cached conversation matches “${acmeName}”.`)).toBeVisible()
  await expect(page.getByTestId('search-hit')).toHaveCount(0)
})
