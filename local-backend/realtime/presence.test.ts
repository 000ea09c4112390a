import type { RealtimeChannel } from '@supabase/supabase-js'
import { expect, it } from 'vitest'
import { anonKey, harnessPerFile, waitFor } from './test-support.ts'

const harness = harnessPerFile()

const joined = (channel: RealtimeChannel) =>
  new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()))

it('syncs presence between two clients', async () => {
  const first = (await harness().connect(anonKey)).channel('lobby', { config: { presence: { key: 'ben' } } })
  const second = (await harness().connect(anonKey, '1.0.0')).channel('lobby', {
    config: { presence: { key: 'ava' } },
  })
  first.on('presence', { event: 'sync' }, () => {})
  second.on('presence', { event: 'sync' }, () => {})
  await Promise.all([joined(first), joined(second)])
  await first.track({ online_at: 'now' })
  await second.track({ online_at: 'later' })
  await waitFor(() => Object.keys(first.presenceState()).length === 2, 'both presences at the first client')
  await waitFor(() => Object.keys(second.presenceState()).length === 2, 'both presences at the second client')
  expect(first.presenceState().ava?.[0]).toMatchObject({ online_at: 'later' })
  await second.untrack()
  await waitFor(() => Object.keys(first.presenceState()).length === 1, 'the untrack')
})

it('shows a newcomer who is already there, and drops a member whose socket closes', async () => {
  const stayer = (await harness().connect(anonKey)).channel('hall', { config: { presence: { key: 'ben' } } })
  stayer.on('presence', { event: 'sync' }, () => {})
  await joined(stayer)
  await stayer.track({ at: 'desk' })

  const leaverClient = await harness().connect(anonKey)
  const leaver = leaverClient.channel('hall', { config: { presence: { key: 'ava' } } })
  leaver.on('presence', { event: 'sync' }, () => {})
  await joined(leaver)
  await waitFor(() => leaver.presenceState().ben?.length === 1, 'the presence state on join')
  expect(leaver.presenceState().ben?.[0]).toMatchObject({ at: 'desk' })
  await leaver.track({ at: 'door' })
  await waitFor(() => Object.keys(stayer.presenceState()).length === 2, 'the second member')

  leaverClient.realtime.disconnect()
  await waitFor(() => Object.keys(stayer.presenceState()).length === 1, 'the leave on socket close')
  expect(Object.keys(stayer.presenceState())).toEqual(['ben'])
})
