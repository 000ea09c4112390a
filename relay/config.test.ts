import { execFile, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, edgeSecrets, loadConfig, loadEdgeConfig } from './config.ts'

const complete = {
  SUPABASE_URL: 'https://project.supabase.co',
  SUPABASE_SECRET_KEY: 'sb_secret_relay-config-test',
  RELAY_PUBLIC_URL: 'https://relay.example.com/sms/',
  PORT: '8787',
}

describe('relay configuration', () => {
  it('reads a complete environment, with defaults for the optional variables', () => {
    expect(loadConfig(complete)).toEqual({
      supabaseUrl: 'https://project.supabase.co',
      secretKey: 'sb_secret_relay-config-test',
      publicUrl: 'https://relay.example.com/sms',
      port: 8787,
      host: '127.0.0.1',
      trustProxy: false,
      localOnly: false,
      sendLeaseMs: 30_000,
      twilioTimeoutMs: 10_000,
      sweepIntervalMs: 10_000,
      statusCheckAfterMs: 300_000,
    })
    expect(
      loadConfig({
        ...complete,
        HOST: '0.0.0.0',
        TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/',
        TRUST_PROXY: 'true',
        RELAY_LOCAL_ONLY: 'true',
        RELAY_SEND_LEASE_MS: '3000',
        TWILIO_TIMEOUT_MS: '1000',
        RELAY_SWEEP_INTERVAL_MS: '200',
        RELAY_STATUS_CHECK_AFTER_MS: '500',
      }),
    ).toMatchObject({
      host: '0.0.0.0',
      twilioApiBaseUrl: 'http://127.0.0.1:4010',
      trustProxy: true,
      localOnly: true,
      sendLeaseMs: 3000,
      twilioTimeoutMs: 1000,
      sweepIntervalMs: 200,
      statusCheckAfterMs: 500,
    })
  })

  it('refuses a send lease no longer than a Twilio request, since no send may start that late', () => {
    expect(() => loadConfig({ ...complete, RELAY_SEND_LEASE_MS: '5000' })).toThrow(
      'TWILIO_TIMEOUT_MS must be shorter than RELAY_SEND_LEASE_MS',
    )
    expect(() =>
      loadConfig({ ...complete, RELAY_SEND_LEASE_MS: '5000', TWILIO_TIMEOUT_MS: '4999' }),
    ).not.toThrow()
  })

  it.each(Object.keys(complete))('stops with a message naming %s when it is missing or empty', (name) => {
    for (const value of [undefined, '']) {
      const env = { ...complete, [name]: value }
      expect(() => loadConfig(env)).toThrow(ConfigError)
      expect(() => loadConfig(env)).toThrow(`${name} is missing`)
    }
  })

  it('names a malformed variable and never echoes the service key', () => {
    let message = ''
    try {
      loadConfig({ ...complete, RELAY_PUBLIC_URL: 'relay.example.com', PORT: 'eighty' })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('RELAY_PUBLIC_URL must be an http(s) URL')
    expect(message).toContain('PORT')
    expect(message).not.toContain('sb_secret_relay-config-test')
  })
})

describe('relay configuration as an Edge Function', () => {
  // What hosted Supabase sets in every function's environment (the keys are JSON dictionaries).
  const hosted = {
    SUPABASE_URL: 'https://abcdefghijklmnop.supabase.co',
    SUPABASE_SECRET_KEYS: '{"default":"sb_secret_edge-default","ci":"sb_secret_edge-ci"}',
    SUPABASE_SERVICE_ROLE_KEY: 'legacy.service.role',
  }

  it('takes the default secret key, and as its public URL the project’s functions URL that Twilio signs', () => {
    expect(loadEdgeConfig(hosted, 'relay')).toMatchObject({
      supabaseUrl: 'https://abcdefghijklmnop.supabase.co',
      secretKey: 'sb_secret_edge-default',
      publicUrl: 'https://abcdefghijklmnop.supabase.co/functions/v1/relay',
      edgeFunction: true,
      trustProxy: true,
      localOnly: false,
    })
    expect(
      loadEdgeConfig({ ...hosted, RELAY_PUBLIC_URL: 'https://sms.example.com/hooks/' }, 'relay').publicUrl,
    ).toBe('https://sms.example.com/hooks')
  })

  it('falls back to the legacy service_role key, and a key set by hand wins over both', () => {
    const { SUPABASE_SECRET_KEYS: _keys, ...legacyOnly } = hosted
    expect(loadEdgeConfig(legacyOnly, 'relay').secretKey).toBe('legacy.service.role')
    expect(loadEdgeConfig({ ...hosted, SUPABASE_SECRET_KEY: 'sb_secret_by-hand' }, 'relay').secretKey).toBe(
      'sb_secret_by-hand',
    )
  })

  it('names what is wrong: no key at all, keys that are not JSON, never echoing a key', () => {
    expect(() => loadEdgeConfig({ SUPABASE_URL: hosted.SUPABASE_URL }, 'relay')).toThrow(
      /SUPABASE_SECRET_KEYS has no "default" key, and neither SUPABASE_SECRET_KEY nor SUPABASE_SERVICE_ROLE_KEY is set/,
    )
    let message = ''
    try {
      loadEdgeConfig({ ...hosted, SUPABASE_SECRET_KEYS: 'sb_secret_pasted-bare' }, 'relay')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('SUPABASE_SECRET_KEYS must be a JSON object of key names to keys')
    expect(message).not.toContain('sb_secret_pasted-bare')
  })

  it('reads back as the same configuration the secrets it is deployed with (edgeSecrets)', () => {
    const config = loadEdgeConfig(
      {
        ...hosted,
        RELAY_PUBLIC_URL: 'https://sms.example.com',
        TWILIO_API_BASE_URL: 'http://127.0.0.1:4010',
        TWILIO_SEND_ATTEMPTS: '2',
        RELAY_AGENT_BURST: '5',
        RELAY_IP_PER_SECOND: '0.5',
      },
      'relay',
    )
    expect(config).toMatchObject({
      retry: { attempts: 2, baseDelayMs: 250 },
      rateLimits: { perAgent: { burst: 5, perSecond: 1 }, perIp: { burst: 120, perSecond: 0.5 } },
    })
    expect(loadEdgeConfig({ ...hosted, ...edgeSecrets(config) }, 'relay')).toEqual(config)
  })
})

describe('npm run relay', () => {
  const node = resolve(import.meta.dirname, '../node_modules/.bin/node')
  const cli = resolve(import.meta.dirname, 'cli.ts')
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !['SUPABASE_URL', 'SUPABASE_SECRET_KEY', 'RELAY_PUBLIC_URL', 'PORT', 'HOST'].includes(name),
    ),
  )

  it('refuses to start without its configuration, naming what is missing', async () => {
    const failure = (await promisify(execFile)(node, [cli], { env: { ...cleanEnv, PORT: '0' } }).catch(
      (error: unknown) => error,
    )) as {
      code: number
      stderr: string
    }
    expect(failure.code).toBe(1)
    expect(failure.stderr).toContain('SUPABASE_URL is missing')
    expect(failure.stderr).toContain('SUPABASE_SECRET_KEY is missing')
    expect(failure.stderr).toContain('RELAY_PUBLIC_URL is missing')
  })

  it('refuses an unknown fault point, so a mistyped crash test cannot run without its fault', async () => {
    const failure = (await promisify(execFile)(node, [cli], {
      env: { ...cleanEnv, ...complete, PORT: '0', RELAY_FAULT_FREEZE_AT: 'after-everything' },
    }).catch((error: unknown) => error)) as { code: number; stderr: string }
    expect(failure.code).toBe(1)
    expect(failure.stderr).toContain('RELAY_FAULT_FREEZE_AT must be one of after-insert, after-twilio')
  })

  it('starts on 127.0.0.1, answers /health, logs JSON without the key, and stops on SIGTERM', async () => {
    const child = spawn(node, [cli], {
      env: {
        ...cleanEnv,
        ...complete,
        SUPABASE_SECRET_KEY: 'sb_secret_must-not-be-logged',
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const listening = new Promise<{ host: string; port: number }>((resolvePort, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8')
        for (const line of output.split('\n')) {
          if (!line.includes('relay listening')) continue
          const parsed = JSON.parse(line) as { host: string; port: number }
          resolvePort(parsed)
        }
      })
      child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)))
    })
    const { host, port } = await listening
    expect(host).toBe('127.0.0.1')
    const health = await fetch(`http://127.0.0.1:${port}/health`)
    expect(await health.json()).toEqual({ status: 'ok' })
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output).not.toContain('sb_secret_must-not-be-logged')
    for (const line of output.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow()
  })
})
