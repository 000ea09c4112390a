import { describe, expect, it, vi } from 'vitest'
import { ipcChannels, type AppApi } from '../shared/contract.ts'

/** The preload against a test double of electron's contextBridge and ipcRenderer. */
const bridge = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  eventHandler: null as null | ((event: unknown, ...args: unknown[]) => void),
  invoke: null as null | ((channel: string, ...args: unknown[]) => Promise<unknown>),
}))

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => bridge.exposed.set(key, value) },
  ipcRenderer: {
    on: (channel: string, handler: (event: unknown, ...args: unknown[]) => void) => {
      if (channel === 'app:event') bridge.eventHandler = handler
    },
    invoke: (channel: string, ...args: unknown[]) => bridge.invoke!(channel, ...args),
  },
}))

await import('./index.ts')
const api = bridge.exposed.get('appApi') as AppApi

describe('preload', () => {
  it('exposes one frozen object with only request and on', () => {
    expect([...bridge.exposed.keys()]).toEqual(['appApi'])
    expect(Object.isFrozen(api)).toBe(true)
    expect(Object.keys(api).sort()).toEqual(['on', 'request'])
  })

  it('sends requests over the one request channel and checks the reply shape', async () => {
    const seen: unknown[][] = []
    bridge.invoke = async (...args) => {
      seen.push(args)
      return { ok: true, value: { status: 'offline', lastSyncAt: null } }
    }
    expect(await api.request('connection.get', {})).toEqual({
      ok: true,
      value: { status: 'offline', lastSyncAt: null },
    })
    expect(seen).toEqual([[ipcChannels.request, 'connection.get', {}]])
    bridge.invoke = async () => ({ stack: 'Error at main.ts:1' })
    expect(await api.request('connection.get', {})).toEqual({
      ok: false,
      error: { kind: 'internal', message: 'The app answered in an unexpected form.' },
    })
    bridge.invoke = async () => {
      throw new Error('Error invoking remote method: boom at /app/main.js:1')
    }
    expect(await api.request('connection.get', {})).toEqual({
      ok: false,
      error: { kind: 'internal', message: 'The app did not answer.' },
    })
  })

  it('delivers only valid events to their subscribers, and unsubscribes', () => {
    const got: unknown[] = []
    const off = api.on('badge.changed', (badge) => got.push(badge))
    bridge.eventHandler!({}, 'badge.changed', { total: 2, perWorkspace: {} })
    bridge.eventHandler!({}, 'badge.changed', { total: -1, perWorkspace: {} })
    bridge.eventHandler!({}, 'badge.changed', 'nonsense')
    bridge.eventHandler!({}, 'no.such.event', { total: 3 })
    bridge.eventHandler!({}, 'connection.changed', { status: 'live', lastSyncAt: null })
    expect(got).toEqual([{ total: 2, perWorkspace: {} }])
    off()
    bridge.eventHandler!({}, 'badge.changed', { total: 4, perWorkspace: {} })
    expect(got).toHaveLength(1)
    expect(api.on('nope' as never, () => {})).toBeTypeOf('function')
  })

  it('keeps delivering to other listeners when one throws', () => {
    const got: unknown[] = []
    const offA = api.on('navigation.open', () => {
      throw new Error('renderer bug')
    })
    const offB = api.on('navigation.open', (payload) => got.push(payload))
    const payload = { workspaceId: '7c2e9b14-3f6a-4d81-9e05-b8a1c4d2f637', contactId: null }
    bridge.eventHandler!({}, 'navigation.open', payload)
    expect(got).toEqual([payload])
    offA()
    offB()
  })
})
