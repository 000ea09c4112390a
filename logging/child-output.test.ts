import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REDACTED } from '../src/shared/log.ts'
import { logChildOutput } from './child-output.ts'
import { createMemoryLogger } from './logger.ts'

/** A real child process logging through createStdoutLogger, as the embedded stack does, then crashing. */
const childScript = `
import { createStdoutLogger } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'logger.ts')).href)}
const logger = createStdoutLogger('embedded-stack').child({ part: 'relay' })
logger.debug('request', { path: '/rest/v1/messages', status: 201 })
logger.warn('preferred port taken, using a free one', { port: 54321 })
logger.error('send failed', { body: 'Your order shipped today.', error: new Error('twilio refused') })
process.stdout.write("No Wasm PGO data found: Cannot open file 'profile-wasm-00ad0bc6'\\n")
process.stdout.write("Loading Wasm PGO data from file 'profile-wasm-025aee86' (13796 bytes)\\n")
process.stderr.write('Error: boom\\n    at crash (host.ts:1:1)\\n')
process.exit(3)
`

describe('a child process’s output in the parent’s log', () => {
  it('keeps each record’s level, message and fields, and crash text as text', async () => {
    const { logger, lines } = createMemoryLogger('browser-shell')
    const child = spawn(process.execPath, ['--input-type=module', '--eval', childScript], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const childLogger = logger.child({ process: 'embedded-stack' })
    await Promise.all([logChildOutput(child.stdout, childLogger), logChildOutput(child.stderr, childLogger)])

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records.filter((record) => 'part' in record)).toEqual([
      expect.objectContaining({
        level: 'debug',
        component: 'browser-shell',
        process: 'embedded-stack',
        part: 'relay',
        msg: 'request',
        status: 201,
      }),
      expect.objectContaining({ level: 'warn', msg: 'preferred port taken, using a free one', port: 54321 }),
      expect.objectContaining({
        level: 'error',
        msg: 'send failed',
        body: REDACTED,
        error: { name: 'Error', message: 'twilio refused' },
      }),
    ])
    expect(
      records.filter((record) => record.msg === 'child process output').map((record) => record.text),
    ).toEqual(['Error: boom', '    at crash (host.ts:1:1)'])
    expect(records.filter((record) => record.msg === 'v8 wasm profile')).toEqual([
      expect.objectContaining({
        level: 'debug',
        text: "No Wasm PGO data found: Cannot open file 'profile-wasm-00ad0bc6'",
      }),
      expect.objectContaining({
        level: 'info',
        text: "Loading Wasm PGO data from file 'profile-wasm-025aee86' (13796 bytes)",
      }),
    ])
    // One component and one time per line: what the parent adds is not repeated from the child.
    for (const line of lines) expect(line.match(/"component"/g)).toHaveLength(1)
    for (const line of lines) expect(line.match(/"time"/g)).toHaveLength(1)
  })
})
