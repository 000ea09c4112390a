import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { backendV8Flags, wasmProfileDir } from '../src/main/embedded-stack/wasm-tiering.ts'

/** `npm run stack` and `npm run sms:inbound` as a developer runs them: real processes on 127.0.0.1. */
const root = join(import.meta.dirname, '..')
const node = join(root, 'node_modules/.bin/node')
/** Acme Support's number in the demo seed. */
const acmeNumber = '+15550100001'
const dataDir = mkdtempSync(join(tmpdir(), 'stack-cli-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('npm run stack', () => {
  it('prints its keys as supabase status does; mounts the relay and serves the relay Edge Function under Deno, so an inbound SMS posted to either is stored; says it uses the demo keys and any origin', async () => {
    // The data folder as a person types it, relative to where they are.
    const stack = spawn(
      node,
      [join(root, 'scripts/stack.ts'), '--port', '0', '--data-dir', basename(dataDir)],
      { cwd: dirname(dataDir), stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = once(stack, 'exit')
    try {
      const urls: Record<string, string> = {}
      const banner: string[] = []
      for await (const line of createInterface({ input: stack.stdout })) {
        banner.push(line)
        const found =
          /^\s+(API URL|SMS relay|Edge Function|JWKS URL|Publishable key|Secret key|anon key)\s+(\S+)( \(Deno\))?$/.exec(
            line,
          )
        if (found) urls[found[1]!] = found[2]!
        if (line.startsWith('Press Ctrl+C')) break
      }
      // Its log lines keep coming: drained, they never fill the pipe and stall it.
      stack.stdout.resume()
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true)
      // Its Postgres runs as the app's child runs it (scripts/as-the-backend-runs.ts): V8's
      // flags, in the profile's folder. On Linux the process restarted itself in place.
      if (process.platform === 'linux') {
        const commandLine = readFileSync(`/proc/${stack.pid}/cmdline`, 'utf8').split('\0')
        expect(commandLine).toEqual(expect.arrayContaining(backendV8Flags))
        expect(readlinkSync(`/proc/${stack.pid}/cwd`)).toBe(wasmProfileDir())
      }
      expect(urls['SMS relay']).toBe(`${urls['API URL']}/functions/v1/sms-relay`)
      expect(urls['Publishable key']).toMatch(/^sb_publishable_/)
      expect(urls['Secret key']).toMatch(/^sb_secret_/)
      expect(urls['JWKS URL']).toBe(`${urls['API URL']}/auth/v1/.well-known/jwks.json`)
      const jwks = (await (await fetch(urls['JWKS URL']!)).json()) as { keys: { alg: string }[] }
      expect(jwks.keys.map((key) => key.alg)).toEqual(['ES256'])
      // The printed keys reach the database as their roles: anon, which the schema grants
      // nothing, and the secret key's service role, which sees every workspace.
      const asKey = (key: string) =>
        fetch(`${urls['API URL']}/rest/v1/workspaces?select=name`, { headers: { apikey: key } })
      for (const key of [urls['Publishable key']!, urls['anon key']!])
        expect(await (await asKey(key)).json()).toMatchObject({ code: '42501' })
      expect(await (await asKey(urls['Secret key']!)).json()).toHaveLength(2)
      // The developer stack, unlike the embedded default, answers a page of any origin.
      const fromPage = await fetch(`${urls['API URL']}/auth/v1/health`, {
        headers: { origin: 'http://evil.test' },
      })
      expect(fromPage.status).toBe(200)
      expect(fromPage.headers.get('access-control-allow-origin')).toBe('*')

      // The Edge Function under Deno, configured only as the platform configures one
      // (SUPABASE_URL, SUPABASE_SECRET_KEYS) and the double's URL as a secret, answers
      // for itself: the gateway adds no CORS header to a page's request.
      expect(urls['Edge Function']).toBe(`${urls['API URL']}/functions/v1/relay`)
      const edgeHealth = await fetch(`${urls['Edge Function']}/health`, {
        headers: { origin: 'http://evil.test' },
      })
      expect(await edgeHealth.json()).toEqual({ status: 'ok' })
      expect(edgeHealth.headers.get('access-control-allow-origin')).toBeNull()

      // A text through each relay, signed for the URL it is posted to, as Twilio signs it.
      for (const [relayUrl, from] of [
        [urls['SMS relay']!, '+15557060001'],
        [urls['Edge Function']!, '+15557060002'],
      ] as const) {
        const inbound = spawn(
          node,
          [
            join(root, 'local-backend/twilio/inbound-cli.ts'),
            ...['--relay-url', relayUrl, '--supabase-url', urls['API URL']!],
            ...['--to', acmeNumber, '--from', from, '--body', 'Is the stack listening?'],
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        )
        let answer = ''
        inbound.stdout.on('data', (chunk: Buffer) => (answer += chunk.toString()))
        const [code] = await once(inbound, 'exit')
        expect(answer, relayUrl).toMatch(/^200 SM[0-9a-f]{32} /)
        expect(code).toBe(0)
      }
    } finally {
      stack.kill('SIGINT')
      await exited
    }
  }, 120_000)
})
