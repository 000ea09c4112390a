import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A port someone else holds for the length of the test. */
async function takenPort(): Promise<number> {
  const holder: Server = createServer()
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done))
  cleanups.push(() => new Promise<void>((done) => holder.close(() => done())))
  return (holder.address() as { port: number }).port
}

/** Runs `npm run web` with `args` as a person would; resolves with its exit code and every line it printed. */
function runWeb(args: string[]): Promise<{ code: number | null; lines: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'web-cli-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const env: Record<string, string | undefined> = { ...process.env, SMS_INBOX_LOGS: undefined }
  const child = spawn(
    resolve(root, 'node_modules/.bin/node'),
    ['scripts/web.ts', '--data-dir', dataDir, ...args],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((done) =>
    child.on('close', (code) =>
      done({ code, lines: output.split('\n').filter((line) => line.trim() !== '') }),
    ),
  )
}

describe('npm run web on a taken port', () => {
  it('names the backend port and how to choose another in one line, and stops', async () => {
    const port = await takenPort()
    expect(await runWeb(['--port', '0', '--backend-port', String(port)])).toEqual({
      code: 1,
      // The backend's state line, then the problem: no stack trace, no log lines.
      lines: [
        'Starting the embedded backend…',
        `Port ${port} is already in use, so the embedded server cannot start. Choose another port with --backend-port <port> or SMS_INBOX_BACKEND_PORT=<port>.`,
      ],
    })
  }, 60_000)

  it('names the page port and how to choose another in one line, and stops', async () => {
    const port = await takenPort()
    expect(await runWeb(['--port', String(port), '--backend-port', '0'])).toEqual({
      code: 1,
      lines: [
        `Port ${port} is already in use, so SMS Inbox cannot serve its page there. Choose another port with --port <port> or SMS_INBOX_PORT=<port>.`,
      ],
    })
  }, 120_000)

  it('refuses a port that is not a number, naming the flag', async () => {
    expect(await runWeb(['--port', 'eighty'])).toEqual({
      code: 2,
      lines: ['--port must be a port number from 0 to 65535, not "eighty".'],
    })
  })
})
