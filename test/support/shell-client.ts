import WebSocket from 'ws'
import {
  hostFrameSchema,
  sessionReplySchema,
  shellPaths,
  shellProtocol,
  tabSecretProtocolPrefix,
} from '../../src/shared/browser-shell-protocol.ts'
import type { EventChannel, EventOf, RequestChannel, ResponseOf } from '../../src/shared/contract.ts'
import type { Result } from '../../src/shared/errors.ts'
import { happenings } from './happenings.ts'

export interface ShellEvent {
  event: EventChannel
  payload: unknown
}

/**
 * A browser tab as the browser shell sees it, without a browser: it exchanges the
 * launch token for a tab secret, then speaks the contract over the real
 * WebSocket, recording every event the host pushes.
 */
export interface ShellClient {
  events: ReturnType<typeof happenings<ShellEvent>>
  secret: string
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

/** What the page at a launch link does: POSTs its token, from the shell's own origin, for a tab secret. */
export async function exchangeLaunchToken(url: string): Promise<string> {
  const { origin, searchParams } = new URL(url)
  const response = await fetch(`${origin}${shellPaths.session}`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ token: searchParams.get('token') }),
  })
  const body = (await response.json()) as { ok: boolean; value?: unknown }
  if (response.status !== 200 || !body.ok) throw new Error(`the launch link answered ${response.status}`)
  return sessionReplySchema.parse(body.value).secret
}

/** The subprotocols a tab offers: the app's, and its secret beside it. */
export const tabProtocols = (secret: string) => [shellProtocol, `${tabSecretProtocolPrefix}${secret}`]

export async function connectShellClient(origin: string, secret: string): Promise<ShellClient> {
  const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}${shellPaths.socket}`, tabProtocols(secret), {
    headers: { origin },
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
    secret,
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
