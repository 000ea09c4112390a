import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logging/logger.ts'
import { relayErrorResponseSchema } from '../src/shared/relay-contract.ts'
import { createRelayApp } from './app.ts'
import { relayTimingDefaults } from './config.ts'
import { serviceClient } from './embedded.ts'
import { isLoopbackAddress, socketAddress } from './loopback.ts'
import { createTwilioClientFactory } from './twilio-client.ts'

describe('isLoopbackAddress: the decision, from the socket’s address alone', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.45.6.7', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['203.0.113.7', false],
    ['::ffff:203.0.113.7', false],
    ['fe80::1', false],
    // Names and empty values are what a header would carry, never a socket: not loopback.
    ['localhost', false],
    ['127.0.0.1, 203.0.113.7', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback)
  })

  it('reads the address from the Node adapter’s socket, and nothing from a request', () => {
    expect(socketAddress({ incoming: { socket: { remoteAddress: '203.0.113.7' } } })).toBe('203.0.113.7')
    expect(socketAddress(undefined)).toBeUndefined()
    expect(socketAddress({})).toBeUndefined()
  })
})

/*
 * Tests can only connect over loopback, so a connection from another machine is
 * the app called as the Node adapter calls it, with the bindings it builds from
 * the accepted socket (`env.incoming.socket`), here naming a remote peer. The same
 * app also runs on a real server on 127.0.0.1, reached with headers claiming the
 * opposite: what decides is the socket, in both directions.
 */
describe('a relay for this machine only', () => {
  const logs = createMemoryLogger('relay')
  const app = createRelayApp(
    {
      supabaseUrl: 'http://127.0.0.1:9',
      secretKey: 'unused-by-health',
      publicUrl: 'http://127.0.0.1:9/functions/v1/sms-relay',
      trustProxy: true,
      localOnly: true,
      ...relayTimingDefaults,
    },
    {
      supabase: serviceClient({ url: 'http://127.0.0.1:9', secretKey: 'unused-by-health' }),
      twilioClient: createTwilioClientFactory({ apiBaseUrl: 'http://127.0.0.1:9' }),
      logger: logs.logger,
    },
  )
  const forgedLocal = { 'X-Forwarded-For': '127.0.0.1', Host: 'localhost', 'X-Real-IP': '127.0.0.1' }
  let server: ServerType
  let url: string

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('refuses a remote peer that forges X-Forwarded-For: 127.0.0.1 and Host: localhost, on every route', async () => {
    const remote = { incoming: { socket: { remoteAddress: '203.0.113.7' } } }
    for (const [method, path] of [
      ['GET', '/health'],
      ['POST', '/numbers'],
      ['POST', '/messages'],
      ['POST', '/twilio/inbound'],
    ] as const) {
      const response = await app.fetch(
        new Request(`http://localhost${path}`, { method, headers: forgedLocal }),
        remote,
      )
      expect(response.status, path).toBe(403)
      expect(relayErrorResponseSchema.parse(await response.json()).error).toEqual({
        kind: 'forbidden',
        message: 'This relay answers only programs on the same machine.',
      })
    }
  })

  it('answers a real loopback connection whose headers claim a remote client and another host', async () => {
    const response = await fetch(`${url}/health`, {
      headers: { 'X-Forwarded-For': '203.0.113.7', Host: 'relay.example.com' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })
})
