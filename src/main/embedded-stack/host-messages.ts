import { dirname, join } from 'node:path'
import { z } from 'zod'
import { appErrorSchema } from '../../shared/errors.ts'

/** Messages between the app and the embedded-stack child process (Node IPC, JSON). */
export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    supabaseUrl: z.url(),
    publishableKey: z.string().min(1),
    relayUrl: z.url(),
  }),
  /** `portInUse`: the port asked for is taken; the host never moves to another one. */
  z.object({ type: z.literal('failed'), message: z.string(), portInUse: z.number().int().nullable() }),
  z.object({ type: z.literal('result'), id: z.number().int(), error: appErrorSchema.nullable() }),
])
export type HostMessage = z.infer<typeof hostMessageSchema>

export const parentMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('simulateInbound'),
    id: z.number().int(),
    workspaceId: z.uuid(),
    from: z.string(),
    body: z.string(),
  }),
  /** The app's first sync is live: the reads that grew the heap are over, and it may shrink. */
  z.object({ type: z.literal('reclaimMemory') }),
  z.object({ type: z.literal('stop') }),
])
export type ParentMessage = z.infer<typeof parentMessageSchema>

/** The embedded Twilio double's messages, kept beside the backend's data folder: what it sent survives a crash of the child. */
export const twilioJournalFile = (dataDir: string) => join(dirname(dataDir), 'twilio-double-messages.jsonl')
