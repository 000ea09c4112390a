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

test('no two agents answer blind: the second reply is held back, showing what came first, until its author edits it', async () => {
  const { ava, ben } = team
  for (const agent of [ava, ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
    await rowNamed(agent.page, 'Isabella Rossi').click()
    await expect(
      agent.page.getByRole('log', { name: 'Messages' }).getByTestId('message').first(),
    ).toBeVisible()
  }
  // Ben's screen lags: Ava's reply has not reached it when he answers.
  ben.screen.hold()
  const avaComposer = ava.page.getByRole('textbox', { name: /Reply to/ })
  await avaComposer.fill('Ava: your order ships today.')
  await avaComposer.press('Enter')
  await expect(
    ava.page.getByTestId('message').filter({ hasText: 'Ava: your order ships today.' }),
  ).toHaveAttribute('data-status', 'delivered')
  const benComposer = ben.page.getByRole('textbox', { name: /Reply to/ })
  await benComposer.fill('Ben: it ships next week.')
  await benComposer.press('Enter')
  await ben.screen.waitForHeld((frame) => frame.includes('messages.held'), 'the held reply')
  ben.screen.release()

  const notice = ben.page.getByTestId('held-reply')
  await expect(notice).toContainText('teammates sent 1 reply')
  await expect(notice.getByTestId('held-reply-arrived')).toHaveText([/Ava: your order ships today\./])
  await expect(notice).toContainText('Ben: it ships next week.')
  const benBubble = ben.page.getByTestId('message').filter({ hasText: 'Ben: it ships next week.' })
  await expect(benBubble).toHaveAttribute('data-status', 'failed')
  expect(
    team.double.requests.filter((request) => request.params.Body === 'Ben: it ships next week.'),
  ).toEqual([])
  await expect(ava.page.getByTestId('message').filter({ hasText: 'Ben: it ships next week.' })).toHaveCount(0)

  await notice.getByRole('button', { name: 'Edit' }).click()
  await expect(notice).toHaveCount(0)
  await expect(benBubble).toHaveCount(0)
  await expect(benComposer).toHaveValue('Ben: it ships next week.')
  // Now he has seen Ava's reply: his edited answer goes out.
  await benComposer.fill('Ben: as Ava said, it ships today.')
  await benComposer.press('Enter')
  await expect(
    ava.page.getByTestId('message').filter({ hasText: 'Ben: as Ava said, it ships today.' }),
  ).toHaveAttribute('data-status', 'delivered')
})
