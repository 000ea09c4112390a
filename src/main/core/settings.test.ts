import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { backendFromEnv, defaultSettings, loadSettings, resolveBackend, saveSettings } from './settings.ts'

const key = 'sb_publishable_a-publishable-key_0123abcd'
const legacyAnonKey = 'eyJhbGciOiJIUzI1NiJ9.an-anon-key'

describe('backend configuration', () => {
  const table: [Record<string, string | undefined>, ReturnType<typeof backendFromEnv>][] = [
    [{}, { ok: true, backend: null }],
    [{ SUPABASE_URL: '  ' }, { ok: true, backend: null }],
    [
      { SUPABASE_URL: 'https://abc.supabase.co/', SUPABASE_PUBLISHABLE_KEY: key },
      {
        ok: true,
        backend: {
          mode: 'custom',
          supabaseUrl: 'https://abc.supabase.co',
          publishableKey: key,
          relayUrl: 'https://abc.supabase.co/functions/v1/sms-relay',
        },
      },
    ],
    [
      {
        SUPABASE_URL: 'https://abc.supabase.co',
        SUPABASE_PUBLISHABLE_KEY: key,
        RELAY_URL: 'https://relay.example.com/',
      },
      {
        ok: true,
        backend: {
          mode: 'custom',
          supabaseUrl: 'https://abc.supabase.co',
          publishableKey: key,
          relayUrl: 'https://relay.example.com',
        },
      },
    ],
    // A legacy anon key stands in for the publishable key, as hosted accepts it.
    [
      { SUPABASE_URL: 'https://abc.supabase.co', SUPABASE_ANON_KEY: legacyAnonKey },
      {
        ok: true,
        backend: {
          mode: 'custom',
          supabaseUrl: 'https://abc.supabase.co',
          publishableKey: legacyAnonKey,
          relayUrl: 'https://abc.supabase.co/functions/v1/sms-relay',
        },
      },
    ],
    [
      { SUPABASE_URL: 'https://abc.supabase.co' },
      {
        ok: false,
        message: 'SUPABASE_PUBLISHABLE_KEY is not valid: Too small: expected string to have >=20 characters',
      },
    ],
    [
      { SUPABASE_URL: 'ftp://abc', SUPABASE_PUBLISHABLE_KEY: key },
      { ok: false, message: 'SUPABASE_URL is not valid: Invalid URL' },
    ],
    [
      { SUPABASE_URL: 'https://abc.supabase.co', SUPABASE_PUBLISHABLE_KEY: key, RELAY_URL: 'file:///x' },
      { ok: false, message: 'RELAY_URL is not valid: Invalid URL' },
    ],
  ]
  for (const [env, expected] of table) {
    it(`${JSON.stringify(env)} → ${expected.ok ? (expected.backend?.mode ?? 'none') : 'error'}`, () =>
      expect(backendFromEnv(env)).toEqual(expected))
  }

  it('prefers a custom backend in the settings file, then the environment, then the embedded default', () => {
    const custom = {
      mode: 'custom' as const,
      supabaseUrl: 'https://x.supabase.co',
      publishableKey: key,
      relayUrl: 'https://x.supabase.co/r',
    }
    const env = { SUPABASE_URL: 'https://env.supabase.co', SUPABASE_PUBLISHABLE_KEY: key }
    expect(resolveBackend({ ...defaultSettings, backend: custom }, env)).toEqual({
      ok: true,
      backend: custom,
    })
    expect(resolveBackend(defaultSettings, env)).toMatchObject({
      ok: true,
      backend: { supabaseUrl: 'https://env.supabase.co' },
    })
    expect(resolveBackend(defaultSettings, {})).toEqual({ ok: true, backend: { mode: 'embedded' } })
  })

  it('round-trips the settings file and falls back to defaults for a damaged one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'settings-test-'))
    try {
      const file = join(dir, 'settings.json')
      const { logger, lines } = createMemoryLogger('settings')
      expect(loadSettings(file, logger)).toEqual(defaultSettings)
      const settings = {
        backend: { mode: 'embedded' as const },
        notifications: { w: { enabled: false, sound: true } },
        cacheRetentionDays: 365,
      }
      saveSettings(file, settings)
      expect(loadSettings(file, logger)).toEqual(settings)
      // A file written before retention was a setting keeps its choices and gets the default.
      writeFileSync(file, JSON.stringify({ backend: { mode: 'embedded' }, notifications: {} }))
      expect(loadSettings(file, logger)).toEqual({ ...defaultSettings, notifications: {} })
      writeFileSync(file, JSON.stringify({ ...settings, cacheRetentionDays: 2 }))
      expect(loadSettings(file, logger)).toEqual(defaultSettings)
      // A custom backend saved when the key was called anonKey keeps its key.
      const custom = {
        mode: 'custom',
        supabaseUrl: 'https://x.supabase.co',
        relayUrl: 'https://x.supabase.co/r',
      }
      writeFileSync(file, JSON.stringify({ ...settings, backend: { ...custom, anonKey: legacyAnonKey } }))
      expect(loadSettings(file, logger)).toEqual({
        ...settings,
        backend: { ...custom, publishableKey: legacyAnonKey },
      })
      writeFileSync(file, '{ not json')
      expect(loadSettings(file, logger)).toEqual(defaultSettings)
      writeFileSync(file, JSON.stringify({ backend: { mode: 'custom', supabaseUrl: 'javascript:x' } }))
      expect(loadSettings(file, logger)).toEqual(defaultSettings)
      expect(lines.length).toBe(3)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
