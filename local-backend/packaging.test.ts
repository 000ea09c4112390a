import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { startLocalBackend } from './index.ts'
import { loadTwilioApi } from './twilio/openapi.ts'

const scratch = mkdtempSync(join(tmpdir(), 'local-backend-packaging-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('a backend started away from the repository (the packaged app)', () => {
  it('reads migrations and seed from supabaseDir and caches its snapshot in snapshotDir', async () => {
    const supabaseDir = join(scratch, 'resources', 'supabase')
    const snapshotDir = join(scratch, 'snapshots')
    cpSync(resolve(import.meta.dirname, '../supabase/migrations'), join(supabaseDir, 'migrations'), {
      recursive: true,
    })
    cpSync(resolve(import.meta.dirname, '../supabase/seed.sql'), join(supabaseDir, 'seed.sql'))
    // Only this copy has it: finding the table proves the repository's folder was not read.
    writeFileSync(
      join(supabaseDir, 'migrations', '99991231000000_packaging_probe.sql'),
      'create table public.packaging_probe (id int primary key);',
    )

    const backend = await startLocalBackend({
      port: 0,
      seed: true,
      supabaseDir,
      snapshotDir,
      logger: createMemoryLogger('packaging').logger,
    })
    try {
      const probe = await backend.db.query<{ name: string | null }>(
        `select to_regclass('public.packaging_probe')::text as name`,
      )
      expect(probe.rows).toEqual([{ name: 'packaging_probe' }])
      const workspaces = await backend.db.query<{ count: number }>(
        'select count(*)::int as count from public.workspaces',
      )
      expect(workspaces.rows).toEqual([{ count: 2 }])
      const cached = readdirSync(snapshotDir)
      expect(cached.filter((file) => /^pglite-[0-9a-f]{16}\.tar$/.test(file))).toHaveLength(1)
      expect(cached.filter((file) => /^pglite-[0-9a-f]{16}\.array-types\.json$/.test(file))).toHaveLength(1)
      // Inflated extension bundles go to the same writable folder, never beside the app's files.
      expect(cached.filter((file) => file.startsWith('extension-'))).not.toHaveLength(0)
    } finally {
      await backend.stop()
    }
  }, 180_000)

  it('says which folder it looked in when the migrations are not there', async () => {
    const missing = join(scratch, 'nowhere', 'supabase')
    await expect(
      startLocalBackend({ port: 0, supabaseDir: missing, logger: createMemoryLogger('packaging').logger }),
    ).rejects.toThrow(`No Supabase migrations folder at ${join(missing, 'migrations')}`)
  })
})

describe('the Twilio double in a packaged app, which has no dev dependencies', () => {
  const shipped = 'node_modules/@twilio-alpha/mcp/twilio-oai/spec/json'
  const previous = process.env.EMBEDDED_TWILIO_SPEC
  afterAll(() => {
    if (previous === undefined) delete process.env.EMBEDDED_TWILIO_SPEC
    else process.env.EMBEDDED_TWILIO_SPEC = previous
  })

  it('is shipped the two API descriptions it validates against, as extra resources', () => {
    const builder = readFileSync(resolve(import.meta.dirname, '../electron-builder.yml'), 'utf8')
    expect(builder).toContain(
      `- from: ${shipped}\n    to: twilio-oai\n    filter: ['twilio_api_v2010.json', 'twilio_messaging_v1.json']`,
    )
    expect(existsSync(resolve(import.meta.dirname, '..', shipped, 'twilio_api_v2010.json'))).toBe(true)
    const electronMain = readFileSync(resolve(import.meta.dirname, '../src/main/electron/index.ts'), 'utf8')
    expect(electronMain).toContain(
      `process.env.EMBEDDED_TWILIO_SPEC ??= join(process.resourcesPath, 'twilio-oai', 'twilio_api_v2010.json')`,
    )
  })

  it('reads the description from EMBEDDED_TWILIO_SPEC', () => {
    const resources = join(scratch, 'resources', 'twilio-oai')
    for (const file of ['twilio_api_v2010.json', 'twilio_messaging_v1.json'])
      cpSync(resolve(import.meta.dirname, '..', shipped, file), join(resources, file))
    process.env.EMBEDDED_TWILIO_SPEC = join(resources, 'twilio_api_v2010.json')
    const api = loadTwilioApi()
    expect(
      api.match('POST', '/2010-04-01/Accounts/AC11111111111111111111111111111111/Messages.json')?.template,
    ).toBe('/2010-04-01/Accounts/{AccountSid}/Messages.json')
    expect(api.match('GET', '/v1/Services')?.template).toBe('/v1/Services')
  })

  it('names the file it could not read', () => {
    process.env.EMBEDDED_TWILIO_SPEC = join(scratch, 'resources', 'missing.json')
    expect(() => loadTwilioApi()).toThrow(
      `Twilio's OpenAPI description (${join(scratch, 'resources', 'missing.json')})`,
    )
  })
})
