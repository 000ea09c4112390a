import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { root, startStack, type Stack } from './support/stack.ts'

const version = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version
let stack: Stack

test.beforeAll(async () => {
  stack = await startStack()
})
test.afterAll(async () => {
  await stack?.close()
})

test('the built renderer loads through the browser shell and shows the app version and sign-in', async ({
  page,
}) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.goto(stack.shell.url)
  // The launch token leaves the address bar as soon as it is exchanged.
  expect(page.url()).toBe(`${stack.shell.origin}/`)
  await expect(page.getByRole('heading', { name: 'Sign in to SMS Inbox' })).toBeVisible()
  await expect(page.getByTestId('app-version')).toHaveText(`Version ${version}`)
  await expect(page.getByLabel('Email')).toBeFocused()
  await expect(page.getByLabel('Password')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Backend settings' })).toBeVisible()
  expect(errors).toEqual([])
})
