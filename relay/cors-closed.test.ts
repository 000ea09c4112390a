import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalBackend, type LocalBackend } from '../local-backend/index.ts'
import { createMemoryLogger } from '../logging/logger.ts'
import { mountRelay } from './embedded.ts'

let backend: LocalBackend
let relayUrl: string
const origin = 'https://evil.example'

beforeAll(async () => {
  backend = await startLocalBackend({
    port: 0,
    seed: false,
    logger: createMemoryLogger('local-backend').logger,
    // The developer stack's setting: the only one where a browser's request reaches the relay at all.
    browserOrigins: 'any',
  })
  // No send reaches Twilio in these tests, so the API base URL is never dialled.
  relayUrl = mountRelay(backend, {
    twilioApiBaseUrl: 'http://127.0.0.1:9',
    logger: createMemoryLogger('relay').logger,
  }).relayUrl
})
afterAll(async () => {
  await backend.stop()
})

const corsHeaders = (response: Response) =>
  [...response.headers.keys()].filter((name) => name.startsWith('access-control-'))

describe('CORS stays closed for the relay mounted in a backend that answers browsers (npm run stack)', () => {
  it('a preflight for /messages gets no Access-Control-Allow-* headers', async () => {
    const response = await fetch(`${relayUrl}/messages`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    await response.arrayBuffer()
    expect(corsHeaders(response)).toEqual([])
    expect(response.status).toBe(404)
  })

  it('a cross-origin POST to /messages gets no Access-Control-Allow-* headers', async () => {
    const response = await fetch(`${relayUrl}/messages`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: { kind: 'unauthorized' } })
    expect(corsHeaders(response)).toEqual([])
  })

  it('the Supabase API itself answers CORS there, for supabase-js in a browser', async () => {
    const response = await fetch(`${backend.url}/rest/v1/workspaces`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET' },
    })
    await response.arrayBuffer()
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
  })
})
