import { defineConfig } from '@playwright/test'

/** Debian's Chromium with the flags this closed network needs; Playwright never downloads a browser here. */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
}

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  workers: 1,
  reporter: process.env.CI ? 'list' : 'list',
  use: { launchOptions: chromiumLaunchOptions, trace: 'off' },
})
