import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { expect, test } from '@playwright/test'
import { root } from './support/stack.ts'

/** Every line a stream has printed so far, and a way to wait for the first one matching. */
function collect(stream: Readable) {
  const lines: string[] = []
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = []
  createInterface({ input: stream }).on('line', (line) => {
    lines.push(line)
    for (const waiter of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  })
  const waitFor = (match: (line: string) => boolean) =>
    new Promise<string>((resolve) => {
      const seen = lines.find(match)
      if (seen !== undefined) resolve(seen)
      else waiters.push({ match, resolve })
    })
  return { lines, waitFor }
}

function logRecords(logDir: string): Record<string, unknown>[] {
  return readdirSync(logDir)
    .filter((name) => name.endsWith('.log'))
    .flatMap((name) => readFileSync(join(logDir, name), 'utf8').split('\n'))
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

test('npm run web: the terminal gets a few human lines, the log file gets the JSON', async ({ page }) => {
  test.setTimeout(180_000)
  const dataDir = mkdtempSync(join(tmpdir(), 'sms-inbox-web-'))
  const logDir = join(dataDir, 'logs')
  // Any free ports: the default ones may be held by another run, and a taken port is never swapped silently.
  const web = spawn(
    process.execPath,
    ['scripts/web.ts', '--port', '0', '--backend-port', '0', '--data-dir', dataDir],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const exited = once(web, 'exit')
  const stdout = collect(web.stdout)
  const stderr = collect(web.stderr)
  try {
    const url = (await stdout.waitFor((line) => line.includes('/?token='))).trim()
    await stdout.waitFor((line) => line.startsWith('The embedded backend is ready at'))

    // The agent works for a while, so the shell, the services and the backend child all log.
    await page.goto(url)
    await page.getByRole('button', { name: /ben@acme\.test/ }).click()
    await expect(page.getByTestId('conversation-row').first()).toBeVisible({ timeout: 60_000 })

    // The backend child dies: the terminal says so, and says when it is back.
    const ready = logRecords(logDir).find((record) => record.lifecycle === 'backend.ready')
    process.kill(Number(ready?.pid), 'SIGKILL')
    await stdout.waitFor((line) => line.startsWith('The embedded backend is running again at'))

    web.kill('SIGINT')
    expect((await exited)[0]).toBe(0)

    const printed = [...stdout.lines, ...stderr.lines].filter((line) => line.trim() !== '')
    expect(printed.filter((line) => line.trim().startsWith('{'))).toEqual([])
    expect(printed.length).toBeLessThanOrEqual(14)
    const human = [
      /^SMS Inbox is running\. Open this link in your browser/,
      /^ {2}http:\/\/127\.0\.0\.1:\d+\/\?token=/,
      new RegExp(`^Logs: ${logDir}$`),
      /^Press Ctrl\+C to stop\.$/,
      /^(Starting|Restarting) the embedded backend…$/,
      /^The embedded backend (is ready|is running again) at http:\/\/127\.0\.0\.1:\d+\.$/,
      /^The embedded backend stopped unexpectedly \(signal SIGKILL\)\.$/,
      /^Error: /,
    ]
    for (const line of printed)
      expect(
        human.some((pattern) => pattern.test(line)),
        line,
      ).toBe(true)
    expect(
      printed.filter((line) => /embedded backend/.test(line)).map((line) => line.split(' at ')[0]),
    ).toEqual([
      'Starting the embedded backend…',
      'The embedded backend is ready',
      'The embedded backend stopped unexpectedly (signal SIGKILL).',
      'Restarting the embedded backend…',
      'The embedded backend is running again',
    ])

    // The file has it all, as JSON: the shell's records and the backend child's, and no secret.
    const records = logRecords(logDir)
    expect(records.length).toBeGreaterThan(20)
    expect(
      records.filter((record) => record.lifecycle !== undefined).map((record) => record.lifecycle),
    ).toEqual(['backend.starting', 'backend.ready', 'backend.crashed', 'backend.starting', 'backend.ready'])
    expect(records.some((record) => record.process === 'embedded-stack' && record.msg === 'request')).toBe(
      true,
    )
    const text = readdirSync(logDir)
      .map((name) => readFileSync(join(logDir, name), 'utf8'))
      .join('')
    expect(text).not.toContain(new URL(url).searchParams.get('token'))
    expect(text).not.toContain('inbox-demo-1')
  } finally {
    if (web.exitCode === null) web.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
})
