import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'

/** `npm run stack` and `npm run sms:inbound` as a developer runs them: real processes on 127.0.0.1. */
const root = join(import.meta.dirname, '..')
const node = join(root, 'node_modules/.bin/node')
/** Acme Support's number in the demo seed. */
const acmeNumber = '+15550100001'
const dataDir = mkdtempSync(join(tmpdir(), 'stack-cli-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('npm run stack', () => {
  it('mounts the relay, so an inbound SMS posted to it is stored, not answered 404; says it uses the demo keys and any origin', async () => {
    const stack = spawn(node, [join(root, 'scripts/stack.ts'), '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(stack, 'exit')
    try {
      const urls: Record<string, string> = {}
      const banner: string[] = []
      for await (const line of createInterface({ input: stack.stdout })) {
        banner.push(line)
        const found = /^\s+(API URL|SMS relay)\s+(\S+)$/.exec(line)
        if (found) urls[found[1]!] = found[2]!
        if (line.startsWith('Press Ctrl+C')) break
      }
      // Its log lines keep coming: drained, they never fill the pipe and stall it.
      stack.stdout.resume()
      expect(urls['SMS relay']).toBe(`${urls['API URL']}/functions/v1/sms-relay`)
      expect(banner.filter((line) => /public demo keys.*any browser origin/.test(line))).toHaveLength(1)
      // The developer stack, unlike the embedded default, answers a page of any origin.
      const fromPage = await fetch(`${urls['API URL']}/auth/v1/health`, {
        headers: { origin: 'http://evil.test' },
      })
      expect(fromPage.status).toBe(200)
      expect(fromPage.headers.get('access-control-allow-origin')).toBe('*')

      const inbound = spawn(
        node,
        [
          join(root, 'local-backend/twilio/inbound-cli.ts'),
          ...['--relay-url', urls['SMS relay']!, '--supabase-url', urls['API URL']!],
          ...['--to', acmeNumber, '--from', '+15557060001', '--body', 'Is the stack listening?'],
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      let answer = ''
      inbound.stdout.on('data', (chunk: Buffer) => (answer += chunk.toString()))
      const [code] = await once(inbound, 'exit')
      expect(answer).toMatch(/^200 SM[0-9a-f]{32} /)
      expect(code).toBe(0)
    } finally {
      stack.kill('SIGINT')
      await exited
    }
  })
})
