import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import { installedElectronBinary } from '../src/main/browser-shell/electron-binary.ts'
import { root } from './support/stack.ts'

const binary = installedElectronBinary(root)
const skipReason =
  'Electron’s binary is not installed on this machine (its download was skipped or blocked), so the Electron flows are skipped; the browser-shell specs cover the same flows.'
if (binary === null) console.log(`electron.spec.ts: ${skipReason}`)
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

test.describe('the real Electron app', () => {
  test.skip(binary === null, skipReason)

  test('flows 1–4: sign in, see badges, open a conversation, reply', async () => {
    test.setTimeout(180_000)
    const app = await electron.launch({
      executablePath: binary!,
      args: [join(root, 'out/main/index.js')],
      env: { ...process.env, SMS_INBOX_USER_DATA: join(root, '.local-data/e2e-electron') },
    })
    try {
      const window = await app.firstWindow()
      await expect(window.getByTestId('app-version')).toHaveText(`Version ${version}`)
      await window.getByRole('button', { name: /ben@acme\.test/ }).click()
      const rows = window.getByTestId('conversation-row')
      await expect(rows.first()).toBeVisible({ timeout: 60_000 })
      const unread = rows.filter({ has: window.getByTestId('unread-badge') }).first()
      await unread.click()
      await expect(unread.getByTestId('unread-badge')).toHaveCount(0)
      const composer = window.getByRole('textbox', { name: /Reply to/ })
      await composer.fill('Hello from Electron')
      await composer.press('Enter')
      await expect(window.getByTestId('message').filter({ hasText: 'Hello from Electron' })).toHaveAttribute(
        'data-status',
        'delivered',
        { timeout: 30_000 },
      )
    } finally {
      await app.close()
    }
  })

  test('the backend runs in a utility process, and a killed one is restarted on its port', async () => {
    test.setTimeout(180_000)
    const userData = mkdtempSync(join(tmpdir(), 'sms-inbox-e2e-electron-'))
    const app = await electron.launch({
      executablePath: binary!,
      args: [join(root, 'out/main/index.js')],
      env: { ...process.env, SMS_INBOX_USER_DATA: userData },
    })
    const readyPids = () =>
      readdirSync(join(userData, 'logs'))
        .filter((name) => name.endsWith('.log'))
        .flatMap((name) => readFileSync(join(userData, 'logs', name), 'utf8').split('\n'))
        .filter((line) => line.includes('"backend.ready"'))
        .map((line) => Number((JSON.parse(line) as { pid: number }).pid))
    try {
      const window = await app.firstWindow()
      await window.getByRole('button', { name: /ben@acme\.test/ }).click()
      const status = window.getByTestId('connection-status')
      await expect(status).toHaveText('Live', { timeout: 60_000 })
      const [backend] = readyPids()
      // Electron's binary cannot run as Node (its RunAsNode fuse is off when packaged): the child is a utility process.
      const utilityPids = await app.evaluate(({ app }) =>
        app
          .getAppMetrics()
          .filter((metric) => metric.type === 'Utility')
          .map((metric) => metric.pid),
      )
      expect(utilityPids).toContain(backend)
      process.kill(backend!, 'SIGKILL')
      await expect(status).not.toHaveText('Live')
      await expect(status).toHaveText('Live', { timeout: 60_000 })
      expect(readyPids()).toHaveLength(2)
    } finally {
      await app.close()
      rmSync(userData, { recursive: true, force: true })
    }
  })
})
