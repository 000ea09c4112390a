import { z } from 'zod'
import { replySchema } from './contract.ts'

/**
 * The browser shell's WebSocket frames. They carry the same requests, replies and
 * events as Electron IPC; only the envelope differs, because a socket has no
 * invoke/handle pairing of its own.
 */

export const shellPaths = {
  /** The page exchanges the launch token here for a session cookie. */
  socket: '/api',
  cookie: 'shell_session',
} as const

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
