import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REDACTED } from '../src/shared/log.ts'
import { openLogFile, type LogFile } from './log-file.ts'
import { createLogger } from './logger.ts'

let dir: string
const open: LogFile[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sms-inbox-logs-'))
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((file) => (file.end(), once(file, 'close'))))
  rmSync(dir, { recursive: true, force: true })
})

async function logFile(options: { maxKilobytes: number; files: number }): Promise<LogFile> {
  const file = await openLogFile({ dir, name: 'app', ...options })
  open.push(file)
  return file
}

/** The files in the folder, oldest first, with their numbers. */
function logFiles(): { name: string; number: number }[] {
  return readdirSync(dir)
    .map((name) => ({ name, number: Number(/^app\.(\d+)\.log$/.exec(name)?.[1]) }))
    .sort((a, b) => a.number - b.number)
}

const records = (name: string) =>
  readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)

describe('the rotating log file', () => {
  it('holds JSON lines with every secret and message body replaced, in fields and in child bindings', async () => {
    const logger = createLogger('test', await logFile({ maxKilobytes: 64, files: 2 }))
    const agent = logger.child({ accessToken: 'eyJ-child-binding', workspaceId: 'w1' })
    agent.info('message sent', {
      body: 'Your order shipped today.',
      nested: { authToken: 'twilio-secret', preview: 'See you at 5' },
      rows: [{ content: 'row content', id: 7 }],
      error: new Error('relay refused'),
    })
    logger.warn('sign-in failed', { password: 'inbox-demo-1', email: 'ben@acme.test' })

    const [file] = logFiles()
    const text = readFileSync(join(dir, file!.name), 'utf8')
    for (const secret of [
      'eyJ-child-binding',
      'Your order shipped',
      'twilio-secret',
      'See you at 5',
      'row content',
      'inbox-demo-1',
    ])
      expect(text).not.toContain(secret)
    const [sent, failed] = records(file!.name)
    expect(sent).toMatchObject({
      level: 'info',
      component: 'test',
      msg: 'message sent',
      accessToken: REDACTED,
      workspaceId: 'w1',
      body: REDACTED,
      nested: { authToken: REDACTED, preview: REDACTED },
      rows: [{ content: REDACTED, id: 7 }],
      error: { name: 'Error', message: 'relay refused' },
    })
    expect(Date.parse(String(sent!.time))).not.toBeNaN()
    expect(failed).toMatchObject({ level: 'warn', password: REDACTED, email: 'ben@acme.test' })
  })

  it('rolls at the configured size and keeps a bounded number of files, across restarts too', async () => {
    const maxBytes = 1024
    const file = await logFile({ maxKilobytes: 1, files: 2 })
    const logger = createLogger('test', file)
    let written = 0
    const fillAndRoll = async (to: LogFile, log: typeof logger) => {
      const current = to.file
      // Writes are synchronous, so the size on disk is exact after each line.
      while (statSync(current).size < maxBytes) log.info('line', { n: ++written, padding: 'x'.repeat(80) })
      await once(to, 'cleanup-complete')
      return current
    }
    const rolled: string[] = []
    for (let roll = 0; roll < 5; roll++) rolled.push(await fillAndRoll(file, logger))

    expect(rolled).toEqual([1, 2, 3, 4, 5].map((n) => join(dir, `app.${n}.log`)))
    expect(logFiles().map((f) => f.number)).toEqual([5, 6])
    // Rolled on the line that reached the limit: never short of it, never a line past it.
    const lastLines = readFileSync(rolled[4]!, 'utf8').trimEnd().split('\n')
    const lastLine = Buffer.byteLength(lastLines.at(-1)!) + 1
    expect(statSync(rolled[4]!).size).toBeGreaterThanOrEqual(maxBytes)
    expect(statSync(rolled[4]!).size - lastLine).toBeLessThan(maxBytes)
    // Every kept line parses, and none is lost between the rolled file and the next.
    expect(records('app.5.log').map((record) => record.n)).toEqual(
      lastLines.map((_, i) => written - lastLines.length + 1 + i),
    )
    expect(records('app.6.log')).toEqual([])

    // A restart writes on in the newest file, and its next roll still leaves two files.
    file.end()
    await once(file, 'close')
    open.splice(open.indexOf(file), 1)
    const again = await logFile({ maxKilobytes: 1, files: 2 })
    expect(again.file).toBe(join(dir, 'app.6.log'))
    expect(await fillAndRoll(again, createLogger('test', again))).toBe(join(dir, 'app.6.log'))
    expect(logFiles().map((f) => f.number)).toEqual([6, 7])
  })
})
