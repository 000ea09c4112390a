import { expect, test } from '@playwright/test'
import { rowNamed } from './support/page.ts'
import { startTwoAgents, type TwoAgents } from './support/two-agents.ts'

// Issue 18: two agents of Acme Support at two desks, each with their own app and browser.
let team: TwoAgents

test.beforeAll(async ({ browser }) => {
  team = await startTwoAgents(browser)
})
test.afterAll(async () => {
  await team?.close()
})

test('two agents of one workspace: a reply by one reaches the other’s open thread live', async () => {
  const { ava, ben } = team
  for (const agent of [ava, ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
    await rowNamed(agent.page, 'Carlos Mendes').click()
  }
  const composer = ava.page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Ava here: your exchange is approved.')
  await composer.press('Enter')
  const onBen = ben.page.getByTestId('message').filter({ hasText: 'Ava here: your exchange is approved.' })
  await expect(onBen).toHaveAttribute('data-status', 'delivered')
  expect(
    team.double.requests.filter((request) => request.params.Body === 'Ava here: your exchange is approved.'),
  ).toHaveLength(1)
})
