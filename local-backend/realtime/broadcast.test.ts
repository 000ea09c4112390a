import type { RealtimeChannel } from '@supabase/supabase-js'
import { expect, it } from 'vitest'
import { anonKey, harnessPerFile, waitFor } from './test-support.ts'

const harness = harnessPerFile()

const joined = (channel: RealtimeChannel) =>
  new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()))

it('relays broadcasts between a vsn 2.0.0 and a vsn 1.0.0 client, with ack', async () => {
  const receivedBy2: unknown[] = []
  const receivedBy1: unknown[] = []
  const two = (await harness().connect(anonKey, '2.0.0')).channel('room', {
    config: { broadcast: { ack: true } },
  })
  const one = (await harness().connect(anonKey, '1.0.0')).channel('room')
  two.on('broadcast', { event: 'typing' }, (message) => receivedBy2.push(message))
  one.on('broadcast', { event: 'typing' }, (message) => receivedBy1.push(message))
  await Promise.all([joined(two), joined(one)])
  expect(await two.send({ type: 'broadcast', event: 'typing', payload: { who: 'ben' } })).toBe('ok')
  await one.send({ type: 'broadcast', event: 'typing', payload: { who: 'ava' } })
  await waitFor(() => receivedBy1.length === 1 && receivedBy2.length === 1, 'both broadcasts')
  expect(receivedBy1[0]).toMatchObject({ type: 'broadcast', event: 'typing', payload: { who: 'ben' } })
  expect(receivedBy2[0]).toMatchObject({ type: 'broadcast', event: 'typing', payload: { who: 'ava' } })
})

it('echoes a broadcast to its sender only when the channel asked for self', async () => {
  const bySelf: unknown[] = []
  const byQuiet: unknown[] = []
  const self = (await harness().connect(anonKey)).channel('echo', { config: { broadcast: { self: true } } })
  const quiet = (await harness().connect(anonKey)).channel('echo', { config: { broadcast: { ack: true } } })
  self.on('broadcast', { event: 'ping' }, (message) => bySelf.push(message.payload))
  quiet.on('broadcast', { event: 'ping' }, (message) => byQuiet.push(message.payload))
  await Promise.all([joined(self), joined(quiet)])
  // The ack follows the relay on the sender's socket: an echo to `quiet` would be in before it.
  expect(await quiet.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } })).toBe('ok')
  await self.send({ type: 'broadcast', event: 'ping', payload: { n: 2 } })
  await waitFor(() => bySelf.length === 2 && byQuiet.length > 0, 'the pings')
  expect(bySelf).toEqual([{ n: 1 }, { n: 2 }])
  expect(byQuiet).toEqual([{ n: 2 }])
})
