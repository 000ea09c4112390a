import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { startLocalBackend, type LocalBackend } from '../local-backend/index.ts'
import { startTwilioDouble, type TwilioDouble } from '../local-backend/twilio/double.ts'
import { mountRelay } from '../relay/embedded.ts'
import type { BrowserShell } from '../src/main/browser-shell/launch.ts'
import { expectAccessible, expectSettled, rows, signIn } from './support/page.ts'
import { ACME, GLOBEX, capturingLogger, launchAppShell, root } from './support/stack.ts'

/*
 * Issue 20, parts 3 and 4, end to end: Ava (Acme's owner) connects Acme's Twilio account
 * with an API key (a wrong secret first), lists its numbers, imports one whose SMS
 * webhook still points at the old helpdesk, points it at the relay through Twilio's API,
 * and the next text to that number reaches her inbox by the URL Twilio now holds.
 */
/** A Standard key: Twilio shows it no auth token, so the admin enters the token beside it. */
const API_KEY = {
  sid: `SK${'a1'.repeat(16)}`,
  secret: 'test_key_secret_acme_not_a_secret',
  standard: true,
}
const NEW_LINE = '+15550100041'
const NEW_LINE_SHOWN = '+1 555 010 0041'
const OLD_HELPDESK = 'https://old-helpdesk.example/sms'
const shots = join(root, 'test-results/twilio-connect')

let dir: string
let backend: LocalBackend
let double: TwilioDouble
let relayUrl: string
let shell: BrowserShell
const logs: string[] = []

test.beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  dir = mkdtempSync(join(tmpdir(), 'sms-inbox-e2e-twilio-'))
  const logger = capturingLogger(logs)
  backend = await startLocalBackend({ port: 0, dataDir: join(dir, 'backend'), seed: true, logger })
  double = await startTwilioDouble({
    accounts: [
      {
        sid: ACME.accountSid,
        authToken: ACME.authToken,
        numbers: [ACME.number, NEW_LINE],
        apiKeys: [API_KEY],
        webhooks: { [NEW_LINE]: { smsUrl: OLD_HELPDESK, statusCallback: null } },
      },
      { sid: GLOBEX.accountSid, authToken: GLOBEX.authToken },
    ],
    logger,
  })
  relayUrl = mountRelay(backend, { twilioApiBaseUrl: double.url, logger }).relayUrl
  shell = await launchAppShell({
    supabaseUrl: backend.url,
    publishableKey: backend.publishableKey,
    relayUrl,
    userDataDir: join(dir, 'user-data'),
    logger,
    port: 0,
  })
})

test.afterAll(async () => {
  await shell?.close()
  await double?.stop()
  await backend?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function capture(page: Page, screen: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' })
    await expectSettled(page, `${screen} (${colorScheme})`)
    await expectAccessible(page, `${screen} (${colorScheme})`)
    await page.screenshot({ path: join(shots, `${screen}-${colorScheme}.png`), fullPage: true })
  }
}

test('an admin connects Twilio, imports a number, points its webhook at the relay, and its texts arrive', async ({
  page,
}) => {
  await signIn(page, shell.url, 'ava@acme.test')
  await page.getByRole('button', { name: 'Manage workspace' }).click()
  const admin = page.getByRole('dialog', { name: 'Manage Acme Support' })
  await admin.getByRole('tab', { name: 'Twilio' }).click()
  const panel = admin.getByRole('tabpanel', { name: 'Twilio' })

  // The seed connected Acme with its auth token; Ava moves it onto an API key.
  await expect(panel).toContainText(`Connected to account ${ACME.accountSid} with its auth token.`)
  await panel.getByRole('button', { name: 'Change credentials' }).click()
  await panel.getByLabel('Account SID').fill(ACME.accountSid)
  await panel.getByLabel('API key SID (leave empty to use the auth token)').fill(API_KEY.sid)
  await panel.getByLabel('API key secret').fill('not-the-secret')
  await panel.getByRole('button', { name: 'Connect' }).click()
  await expect(panel.getByRole('alert')).toHaveText(
    'Twilio refused this Account SID, API key SID and secret. Check that the key belongs to this account and copy its secret again.',
  )
  await capture(page, 'twilio-refused')
  await panel.getByLabel('API key secret').fill(API_KEY.secret)
  await panel.getByRole('button', { name: 'Connect' }).click()
  await expect(panel.getByRole('alert')).toContainText('Fill in Auth token as well')
  await panel.getByLabel('Auth token (optional)').fill(ACME.authToken)
  await panel.getByRole('button', { name: 'Connect' }).click()
  await expect(panel).toContainText(`Connected to account ${ACME.accountSid} with API key ${API_KEY.sid}.`)

  // The account's numbers: the seeded one is Acme's; the new line still texts the old helpdesk.
  const newLine = panel.getByRole('row').filter({ hasText: NEW_LINE_SHOWN })
  await expect(newLine).toContainText(`Points elsewhere: ${OLD_HELPDESK}`)
  await expect(newLine).toContainText('Not imported')
  await expect(panel.getByRole('row').filter({ hasText: '+1 555 010 0001' })).toContainText('Imported')
  await capture(page, 'twilio-numbers')

  await newLine.getByRole('checkbox').check()
  await panel.getByRole('button', { name: 'Import selected' }).click()
  await expect(panel.getByRole('status')).toHaveText('Imported 1 number.')
  await expect(newLine).toContainText('Imported')
  await expect(newLine).toContainText(`Points elsewhere: ${OLD_HELPDESK}`)

  await newLine.getByRole('button', { name: `Configure ${NEW_LINE_SHOWN}` }).click()
  const confirm = panel.getByRole('group', { name: `Configure ${NEW_LINE_SHOWN}` })
  await expect(confirm).toContainText(`SMS webhook now${OLD_HELPDESK}Will be${relayUrl}/twilio/inbound`)
  await capture(page, 'twilio-configure')
  await confirm.getByRole('button', { name: 'Point at the relay' }).click()
  await expect(newLine).toContainText('This relay')
  await expect(panel.getByRole('status')).toContainText(`it was ${OLD_HELPDESK}`)
  expect(double.webhooksOf(ACME.accountSid, NEW_LINE)).toEqual({
    smsUrl: `${relayUrl}/twilio/inbound`,
    statusCallback: `${relayUrl}/twilio/status`,
  })
  await capture(page, 'twilio-configured')

  // Twilio posts the next text to the URL the number now holds: the relay, into Acme's inbox.
  await page.keyboard.press('Escape')
  await expect(admin).toBeHidden()
  const text = await double.receiveSms({
    accountSid: ACME.accountSid,
    from: '+15557654321',
    to: NEW_LINE,
    body: 'Hello from the new line',
  })
  expect(text.status).toBe(200)
  await expect(rows(page).filter({ hasText: 'Hello from the new line' })).toHaveCount(1)

  // No secret reached a log line on the way.
  for (const secret of [API_KEY.secret, ACME.authToken]) {
    expect(logs.filter((line) => line.includes(secret))).toEqual([])
  }
})
