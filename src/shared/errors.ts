import { z } from 'zod'

/**
 * Errors cross every boundary (IPC, WebSocket, HTTP) as values with a kind a
 * program can branch on and a message a person can act on. Never a stack trace.
 */
export const errorKinds = [
  'invalid_input',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  // A reply refused by the collision guard: something newer arrived in the conversation.
  'collision',
  // A send to a customer who opted out of texts from the sending number (STOP): nothing was sent.
  'opted_out',
  'rate_limited',
  'payload_too_large',
  'offline',
  'not_configured',
  'upstream',
  'internal',
] as const

export const appErrorSchema = z.object({
  kind: z.enum(errorKinds),
  message: z.string(),
})
export type AppError = z.infer<typeof appErrorSchema>
export type ErrorKind = AppError['kind']

export const appError = (kind: ErrorKind, message: string): AppError => ({ kind, message })

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError }
export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const err = <T = never>(kind: ErrorKind, message: string): Result<T> => ({
  ok: false,
  error: appError(kind, message),
})
