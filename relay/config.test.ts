import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'

const complete = {
  SUPABASE_URL: 'https://project.supabase.co',
  SUPABASE_SERVICE_ROLE_KEY: 'service-role-key',
  RELAY_PUBLIC_URL: 'https://relay.example.com/sms/',
  PORT: '8787',
}

describe('relay configuration', () => {
  it('reads a complete environment, with defaults for the optional variables', () => {
    expect(loadConfig(complete)).toEqual({
      supabaseUrl: 'https://project.supabase.co',
      serviceRoleKey: 'service-role-key',
      publicUrl: 'https://relay.example.com/sms',
      port: 8787,
      host: '127.0.0.1',
      trustProxy: false,
    })
    expect(loadConfig({ ...complete, HOST: '0.0.0.0', TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/', TRUST_PROXY: 'true' })).toMatchObject({
      host: '0.0.0.0',
      twilioApiBaseUrl: 'http://127.0.0.1:4010',
      trustProxy: true,
    })
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
    expect(message).not.toContain('service-role-key')
  })
})
