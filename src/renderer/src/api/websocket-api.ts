import {
  events,
  requests,
  type AppApi,
  type EventChannel,
  type EventOf,
  type RequestChannel,
  type ResponseOf,
} from '../../../shared/contract.ts'
import { backoffDelay } from '../../../shared/backoff.ts'
import {
  hostFrameSchema,
  shellPaths,
  shellProtocol,
  tabSecretProtocolPrefix,
  type ClientFrame,
} from '../../../shared/browser-shell-protocol.ts'
import { err, type Result } from '../../../shared/errors.ts'

export type TransportStatus = 'connecting' | 'open' | 'closed' | 'refused'

interface Pending {
  channel: RequestChannel
  resolve: (result: Result<unknown>) => void
}

/**
 * The AppApi over the browser shell's WebSocket. The tab secret (tab-secret.ts),
 * offered as a subprotocol, authenticates the socket; the host checks Origin. While
 * the socket is down, requests wait for it, and it reconnects with backoff, because
 * the host may be restarting.
 */
export function createWebSocketApi(
  url: string,
  tabSecret: Promise<string | null>,
  onStatus: (status: TransportStatus) => void = () => {},
): AppApi & { close(): void } {
  let protocols = [shellProtocol]
  let socket: WebSocket | null = null
  let nextId = 1
  let attempt = 0
  let closed = false
  let everOpened = false
  const pending = new Map<number, Pending>()
  const waiting: ClientFrame[] = []
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>()

  const failAll = (message: string) => {
    for (const [id, entry] of pending) {
      pending.delete(id)
      entry.resolve(err('offline', message))
    }
  }

  const connect = () => {
    if (!everOpened && attempt === 0) onStatus('connecting')
    const ws = new WebSocket(url, protocols)
    socket = ws
    ws.addEventListener('open', () => {
      attempt = 0
      everOpened = true
      onStatus('open')
      for (const frame of waiting.splice(0)) ws.send(JSON.stringify(frame))
    })
    ws.addEventListener('message', (message) => {
      if (typeof message.data !== 'string') return
      let json: unknown
      try {
        json = JSON.parse(message.data)
      } catch {
        return
      }
      const frame = hostFrameSchema.safeParse(json)
      if (!frame.success) return
      if (frame.data.type === 'reply') {
        const entry = pending.get(frame.data.id)
        if (!entry) return
        pending.delete(frame.data.id)
        const reply = frame.data.reply
        if (!reply.ok) {
          entry.resolve(reply)
          return
        }
        const value = requests[entry.channel].response.safeParse(reply.value)
        entry.resolve(
          value.success
            ? { ok: true, value: value.data }
            : err('internal', 'The app sent a reply this page cannot read.'),
        )
        return
      }
      const channel = frame.data.event as EventChannel
      if (!Object.hasOwn(events, channel)) return
      const payload = events[channel].safeParse(frame.data.payload)
      if (!payload.success) return
      for (const listener of listeners.get(channel) ?? []) listener(payload.data as never)
    })
    ws.addEventListener('close', (event) => {
      socket = null
      failAll('The connection to the app was lost.')
      if (closed) return
      // 1008 is the host's refusal (bad token or origin): retrying cannot help.
      if (event.code === 1008 || (!everOpened && attempt >= 2)) {
        onStatus('refused')
        if (event.code === 1008) return
      } else {
        onStatus('closed')
      }
      attempt += 1
      // One page reconnecting to its own host has nobody to collide with: it waits the whole ceiling.
      setTimeout(connect, backoffDelay(attempt, { baseMs: 500, maxMs: 5000, random: () => 1 }))
    })
  }
  void tabSecret.then((secret) => {
    if (secret !== null) protocols = [shellProtocol, `${tabSecretProtocolPrefix}${secret}`]
    if (!closed) connect()
  })

  return {
    request<C extends RequestChannel>(channel: C, payload: unknown): Promise<Result<ResponseOf<C>>> {
      return new Promise((resolve) => {
        const id = nextId++
        pending.set(id, { channel, resolve: resolve as Pending['resolve'] })
        const frame: ClientFrame = { type: 'request', id, channel, payload }
        if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame))
        else if (!everOpened) waiting.push(frame)
        else {
          pending.delete(id)
          resolve(err('offline', 'The app is restarting; try again in a moment.') as Result<ResponseOf<C>>)
        }
      })
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void) {
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      const entry = listener as (payload: never) => void
      set.add(entry)
      return () => {
        set.delete(entry)
      }
    },
    close() {
      closed = true
      socket?.close()
    },
  }
}

export function shellSocketUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${shellPaths.socket}`
}
