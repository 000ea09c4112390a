import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cliDemoKeys } from '../local-backend/cli-demo-keys.ts'
import { generateProjectKeys } from '../local-backend/keys.ts'

/** `npm run scan:secrets` as `npm test` runs it after the build, on folders laid out like out/. */
const root = join(import.meta.dirname, '..')
const node = join(root, 'node_modules/.bin/node')
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function builtApp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'secret-scan-test-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

async function scan(dir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(node, [join(root, 'scripts/secret-scan.ts'), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output }
}

const bundle = (secret: string) =>
  `const config={url:"http://127.0.0.1:54321",key:"${secret}"};export{config};`

describe('the secret scan of the built app', () => {
  it('passes a build holding only code and publishable or anon keys, and the bare prefix that mints secret keys', async () => {
    const { anonKey, publishableKeys } = await generateProjectKeys()
    const result = await scan(
      builtApp({
        'main/index.js': bundle(anonKey),
        'main/chunks/settings.js': bundle(publishableKeys[0]!),
        'renderer/assets/index.js': 'export const x = 1',
        // The embedded backend generates each install's keys, so its bundle names the prefix.
        'main/embedded-stack.js': `const secretKeyPrefix = "sb_secret_"; export { secretKeyPrefix };`,
      }),
    )
    expect(result).toEqual({ code: 0, output: expect.stringMatching(/4 files .* no key or secret/) })
  })

  it.each([
    ['the Supabase CLI demo JWT secret', cliDemoKeys.jwtSecret],
    ['the Supabase CLI demo anon key', cliDemoKeys.anonKey],
    ['the Supabase CLI demo service_role key', cliDemoKeys.serviceRoleKey],
    ['the Supabase CLI demo publishable key', cliDemoKeys.publishableKeys[0]!],
    ['the Supabase CLI demo secret key', cliDemoKeys.secretKeys[0]!],
    ['the demo signing key', cliDemoKeys.signingKeys[0]!.privateJwk.d],
    ['a Supabase secret key', 'generated secret'],
    ['a service_role JWT', 'generated'],
    ["Acme's seeded Twilio auth token", 'test_token_acme_not_a_secret_0001'],
  ])('fails a build holding %s, and names the file', async (what, planted) => {
    const generated = await generateProjectKeys()
    const secret =
      planted === 'generated'
        ? generated.serviceRoleKey
        : planted === 'generated secret'
          ? generated.secretKeys[0]!
          : planted
    const result = await scan(
      builtApp({ 'main/index.js': 'export {}', 'main/chunks/embedded-stack.js': bundle(secret) }),
    )
    expect(result.code).toBe(1)
    expect(result.output).toContain(`main/chunks/embedded-stack.js: ${what}`)
  })

  it('fails when there is no build to scan', async () => {
    expect((await scan(builtApp({}))).code).toBe(2)
  })
})
