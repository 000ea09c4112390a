import WebSocket from 'ws'
import { hostFrameSchema, shellPaths } from '../../src/shared/browser-shell-protocol.ts'
import type { EventChannel, EventOf, RequestChannel, ResponseOf } from '../../src/shared/contract.ts'
import type { Result } from '../../src/shared/errors.ts'
import { happenings } from './happenings.ts'

export interface ShellEvent {
  event: EventChannel
  payload: unknown
}

/**
 * A browser tab as the browser shell sees it, without a browser: it exchanges the
 * launch token for the session cookie, then speaks the contract over the real
 * WebSocket, recording every event the host pushes.
 */
export interface ShellClient {
  events: ReturnType<typeof happenings<ShellEvent>>
  cookie: string
  request<C extends RequestChannel>(channel: C, payload: unknown): Promise<Result<ResponseOf<C>>>
  /** The value of a successful reply; a failed one throws with its kind and message. */
  value<C extends RequestChannel>(channel: C, payload: unknown): Promise<ResponseOf<C>>
  waitForEvent<E extends EventChannel>(
    event: E,
    accept: (payload: EventOf<E>) => boolean,
    what: string,
    options?: { since?: number; ms?: number },
  ): Promise<EventOf<E>>
  /** Resolves when the host closes the socket. */
  closed: Promise<void>
  close(): void
}

/** The session cookie the shell sets for its launch link. */
export async function exchangeLaunchToken(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' })
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (response.status !== 303 || !cookie) throw new Error(`the launch link answered ${response.status}`)
  return cookie
}

export async function connectShellClient(origin: string, cookie: string): Promise<ShellClient> {
  const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}${shellPaths.socket}`, {
    headers: { cookie, origin },
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  const events = happenings<ShellEvent>()
  const replies = new Map<number, (reply: Result<unknown>) => void>()
  let nextId = 1
  socket.on('message', (data) => {
    const frame = hostFrameSchema.parse(JSON.parse(String(data)))
    if (frame.type === 'reply') replies.get(frame.id)?.(frame.reply)
    else events.push({ event: frame.event as EventChannel, payload: frame.payload })
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const request = <C extends RequestChannel>(channel: C, payload: unknown) =>
    new Promise<Result<ResponseOf<C>>>((resolve) => {
      const id = nextId++
      replies.set(id, (reply) => {
        replies.delete(id)
        resolve(reply as Result<ResponseOf<C>>)
      })
      socket.send(JSON.stringify({ type: 'request', id, channel, payload }))
    })
  return {
    events,
    cookie,
    request,
    async value(channel, payload) {
      const reply = await request(channel, payload)
      if (!reply.ok) throw new Error(`${channel}: ${reply.error.kind} ${reply.error.message}`)
      return reply.value
    },
    async waitForEvent(event, accept, what, options) {
      const found = await events.waitFor(
        (record) => record.event === event && accept(record.payload as EventOf<typeof event>),
        what,
        options,
      )
      return found.payload as EventOf<typeof event>
    },
    closed,
    close: () => socket.close(),
  }
}
