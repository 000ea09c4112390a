// Renders resources/icon.svg and resources/tray.svg into the PNGs electron-builder
// and the tray need, with the system Chromium (no image toolchain required).
// Run after editing the SVGs: node scripts/render-icons.ts
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { chromium } from '@playwright/test'
import { chromiumLaunchOptions } from '../playwright.config.ts'

const resources = resolve(import.meta.dirname, '../resources')
const browser = await chromium.launch(chromiumLaunchOptions)
const page = await browser.newPage()

async function render(svg: string, size: number, out: string): Promise<void> {
  await page.setViewportSize({ width: size, height: size })
  const markup = readFileSync(resolve(resources, svg), 'utf8').replace(
    '<svg ',
    `<svg width="${size}" height="${size}" `,
  )
  await page.setContent(`<html><body style="margin:0;background:transparent">${markup}</body></html>`)
  await page.screenshot({ path: resolve(resources, out), omitBackground: true })
}

await render('icon.svg', 1024, 'icon.png')
for (const size of [16, 32, 48, 64, 128, 256, 512])
  await render('icon.svg', size, `icons/${size}x${size}.png`)
await render('tray.svg', 16, 'trayTemplate.png')
await render('tray.svg', 32, 'trayTemplate@2x.png')
await browser.close()
