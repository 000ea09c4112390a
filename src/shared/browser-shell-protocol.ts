import { z } from 'zod'
import { replySchema } from './contract.ts'

/**
 * The browser shell's WebSocket frames. They carry the same requests, replies and
 * events as Electron IPC; only the envelope differs, because a socket has no
 * invoke/handle pairing of its own.
 */

export const shellPaths = {
  socket: '/api',
  /** The page exchanges the launch token here (POST) for its tab secret. */
  session: '/session',
} as const

/**
 * The socket's subprotocols: the host answers with `shellProtocol`; the tab's secret
 * rides in a second one, as a browser's WebSocket can set no other header.
 */
export const shellProtocol = 'sms-inbox.v1'
export const tabSecretProtocolPrefix = 'sms-inbox.tab.'

/** Where a tab keeps its secret: sessionStorage, which no other origin (so no other port) can read. */
export const tabSecretStorageKey = 'sms-inbox.tab-secret'

/** Launch tokens and tab secrets are 32 random bytes, base64url: also valid subprotocol characters. */
const secretSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/)

export const sessionRequestSchema = z.object({ token: secretSchema }).strict()
export const sessionReplySchema = z.object({ secret: secretSchema }).strict()

export const clientFrameSchema = z
  .object({
    type: z.literal('request'),
    id: z.number().int().nonnegative(),
    channel: z.string().max(64),
    payload: z.unknown(),
  })
  .strict()
export type ClientFrame = z.infer<typeof clientFrameSchema>

export const hostFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('reply'), id: z.number().int().nonnegative(), reply: replySchema }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
])
export type HostFrame = z.infer<typeof hostFrameSchema>
