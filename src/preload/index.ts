import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  events,
  ipcChannels,
  isEventChannel,
  replySchema,
  type AppApi,
  type EventChannel,
} from '../shared/contract.ts'
import { err, type Result } from '../shared/errors.ts'

/**
 * The renderer's only door to the app: `request` and `on`, frozen, carrying nothing
 * of ipcRenderer itself. Replies and events are checked against the contract here
 * too, so a compromised or buggy main cannot hand the page something malformed.
 */
type Listener = (payload: unknown) => void
const listeners = new Map<EventChannel, Set<Listener>>()

ipcRenderer.on(ipcChannels.event, (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
  if (!isEventChannel(name)) return
  const parsed = events[name].safeParse(payload)
  if (!parsed.success) return
  for (const listener of listeners.get(name) ?? []) {
    try {
      listener(parsed.data)
    } catch {
      // One listener's bug must not keep the event from the others.
    }
  }
})

async function request(channel: string, payload: unknown): Promise<Result<unknown>> {
  try {
    const reply = replySchema.safeParse(await ipcRenderer.invoke(ipcChannels.request, channel, payload))
    return reply.success ? reply.data : err('internal', 'The app answered in an unexpected form.')
  } catch {
    return err('internal', 'The app did not answer.')
  }
}

const api: AppApi = {
  // Main validated the value against the channel's response schema before sending it.
  request: request as AppApi['request'],
  on(event, listener) {
    if (!isEventChannel(event) || typeof listener !== 'function') return () => {}
    const set = listeners.get(event) ?? new Set<Listener>()
    listeners.set(event, set)
    const wrapped: Listener = (payload) => (listener as Listener)(payload)
    set.add(wrapped)
    return () => {
      set.delete(wrapped)
    }
  },
}

contextBridge.exposeInMainWorld('appApi', Object.freeze(api))
