import { expect, it } from 'vitest'
import WebSocket from 'ws'
import {
  anonKey,
  contentsOf,
  handshakeStatus,
  harnessPerFile,
  startRealtimeHarness,
  subscribe,
  userToken,
  waitFor,
} from './test-support.ts'

const harness = harnessPerFile()
const demo = () => harness().demo

it('refuses the handshake without an API key, with a forged one, one claiming the postgres role, or with an unknown serializer', async () => {
  expect(await handshakeStatus(harness().socketUrl('vsn=2.0.0'))).toBe(401)
  const postgresKey = await userToken(demo().ben, { role: 'postgres' })
  expect(await handshakeStatus(harness().socketUrl(`apikey=${postgresKey}&vsn=2.0.0`))).toBe(401)
  expect(await handshakeStatus(harness().socketUrl(`apikey=${anonKey.slice(0, -4)}abcd&vsn=2.0.0`))).toBe(401)
  expect(await handshakeStatus(harness().socketUrl(`apikey=${anonKey}&vsn=9.9.9`))).toBe(400)
  expect(await handshakeStatus(harness().socketUrl(`apikey=${anonKey}&vsn=2.0.0`))).toBe(101)
})

it('rejoins by itself after the socket drops, and receives later events', async () => {
  const acme = await subscribe(await harness().connect(await userToken(demo().ben)), 'acme-reconnect', {
    event: 'INSERT',
    schema: 'public',
    table: 'messages',
  })
  harness().dropSockets()
  await waitFor(() => acme.statuses.includes('CHANNEL_ERROR'), 'the client to notice the drop')
  await waitFor(
    () => acme.statuses.lastIndexOf('SUBSCRIBED') > acme.statuses.indexOf('CHANNEL_ERROR'),
    'the rejoin',
  )
  const text = `after reconnect ${Date.now()}`
  await harness().insertMessage(demo().acme, demo().contact('Kenji Watanabe'), text)
  await waitFor(() => contentsOf(acme).includes(text), 'the insert after the rejoin')
})

it('closes a silent socket after the idle timeout, and closes every socket on close()', async () => {
  const own = await startRealtimeHarness({ idleTimeoutMs: 300 })
  const url = own.socketUrl(`apikey=${anonKey}&vsn=2.0.0`)
  const closeCode = (ws: WebSocket) =>
    new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  try {
    const silent = new WebSocket(url)
    expect(await closeCode(silent)).toBe(1000)
    expect(own.logLines.some((line) => line.includes('realtime socket idle, closing'))).toBe(true)

    const busy = new WebSocket(url)
    await new Promise((resolve) => busy.once('open', resolve))
    const closed = closeCode(busy)
    await own.realtime.close()
    expect(await closed).toBe(1001)
    expect(await handshakeStatus(url)).toBe(503)
  } finally {
    await own.stop()
  }
})
