import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { root, startStack, type Stack } from './support/stack.ts'
import { captureBothThemes, rows, signIn } from './support/page.ts'

const shots = join(root, 'test-results/segment-counter')
let stack: Stack

test.beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  // Acme's owner has lowered the limit to 2 segments; the counter reads it from the server.
  stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query('update public.workspaces set sms_segment_limit = 2 where id = $1', [demo.acme])
    },
  })
})
test.afterAll(async () => {
  await stack?.close()
})

const capture = (page: Page, screen: string) => captureBothThemes(page, shots, screen)

test('smart quotes force UCS-2 and are named; one click makes the reply GSM-7 in fewer segments; past the limit warns', async ({
  page,
}) => {
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await rows(page).first().click()
  const composer = page.getByRole('textbox', { name: /Reply to/ })
  const counter = page.getByTestId('sms-counter')

  // 135 characters: 135 UTF-16 units is 3 UCS-2 segments (2 × 67 = 134); as GSM-7 (the
  // ellipsis is three dots) 137 septets fit one.
  const filler = 'Thanks for waiting. '.repeat(5)
  const typed = 'It’s “ready” — pick it up at 10\u00A0am…'
  await composer.fill(filler)
  await composer.press('End')
  await composer.pressSequentially(typed)
  await expect(composer).toHaveValue(filler + typed)

  await expect(counter).toContainText('135 characters · 3 segments · UCS-2')
  const offending = page.getByRole('list', { name: 'Characters that force UCS-2' }).getByRole('listitem')
  await expect(offending).toHaveText(['’ U+2019', '“ U+201C', '” U+201D', '— U+2014', '␣ U+00A0', '… U+2026'])
  await expect(page.getByTestId('sms-over-limit')).toHaveText(
    '3 segments is over this workspace’s limit of 2: each segment is billed.',
  )
  const replace = page.getByRole('button', { name: 'Replace smart quotes' })
  await expect(page.getByTestId('sms-counter')).toContainText('Replace smart quotes (GSM-7, 1 segment)')
  await capture(page, 'ucs2-smart-quotes')

  await replace.click()
  const plain = `${filler}It's "ready" - pick it up at 10 am...`
  await expect(composer).toHaveValue(plain)
  await expect(composer).toBeFocused()
  await expect(counter).toContainText('137 characters · 1 segment · GSM-7')
  await expect(page.getByTestId('sms-offending')).toHaveCount(0)
  await expect(page.getByTestId('sms-over-limit')).toHaveCount(0)
  await expect(replace).toHaveCount(0)
  await capture(page, 'gsm7-after-replace')

  // An emoji keeps the reply in UCS-2 whatever the quotes are, so no replacement is offered.
  await composer.fill('It’s “ready” 👍')
  await expect(counter).toContainText('UCS-2')
  await expect(offending).toHaveText(['’ U+2019', '“ U+201C', '” U+201D', '👍 U+1F44D'])
  await expect(replace).toHaveCount(0)
})
