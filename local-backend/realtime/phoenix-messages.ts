import { z } from 'zod'

/**
 * Phoenix channel frames as @supabase/realtime-js speaks them. vsn 1.0.0 sends
 * one JSON object per frame; vsn 2.0.0 (the client's default) sends JSON arrays
 * `[join_ref, ref, topic, event, payload]`, plus a binary frame for user
 * broadcasts so that their payload is not parsed and re-encoded by the server.
 */
export type Vsn = '1.0.0' | '2.0.0'
export const supportedVsns: readonly Vsn[] = ['1.0.0', '2.0.0']

export interface PhoenixMessage {
  joinRef: string | null
  ref: string | null
  topic: string
  event: string
  payload: Record<string, unknown>
}

/** A user broadcast travelling as raw bytes (binary frames of vsn 2.0.0). */
export interface BinaryBroadcast {
  topic: string
  userEvent: string
  /** JSON metadata the client attached (e.g. persist), or undefined. */
  meta: Record<string, unknown> | undefined
  /** 0 = binary payload, 1 = JSON payload (as UTF-8 bytes). */
  encoding: 0 | 1
  payload: Uint8Array
}

export type Decoded =
  | {
      ok: true
      message: PhoenixMessage
      binary?: BinaryBroadcast
      joinRef: string | null
      ref: string | null
    }
  | { ok: false; reason: string; topic?: string; ref?: string | null; joinRef?: string | null }

const ref = z
  .union([z.string(), z.number().transform(String)])
  .nullable()
  .optional()
const payloadSchema = z.record(z.string(), z.unknown())

const objectFrame = z.object({
  join_ref: ref,
  ref,
  topic: z.string().min(1).max(255),
  event: z.string().min(1).max(255),
  payload: payloadSchema,
})

const arrayFrame = z.tuple([ref, ref, z.string().min(1).max(255), z.string().min(1).max(255), payloadSchema])

/** Client-to-server binary frame kind (userBroadcastPush) and server-to-client kind (userBroadcast). */
const KIND_USER_BROADCAST_PUSH = 3
const KIND_USER_BROADCAST = 4

function decodeBinary(data: Buffer): Decoded {
  if (data.length < 7 || data[0] !== KIND_USER_BROADCAST_PUSH)
    return { ok: false, reason: 'unsupported binary frame' }
  const lengths = [data[1]!, data[2]!, data[3]!, data[4]!, data[5]!]
  const encoding = data[6]!
  if (encoding !== 0 && encoding !== 1)
    return { ok: false, reason: 'unknown payload encoding in binary frame' }
  let offset = 7
  const fields: string[] = []
  for (const length of lengths) {
    if (offset + length > data.length) return { ok: false, reason: 'truncated binary frame' }
    fields.push(data.subarray(offset, offset + length).toString('utf8'))
    offset += length
  }
  const [joinRef, pushRef, topic, userEvent, metadata] = fields as [string, string, string, string, string]
  if (!topic || !userEvent) return { ok: false, reason: 'binary frame without topic or event' }
  let meta: Record<string, unknown> | undefined
  if (metadata) {
    try {
      meta = payloadSchema.parse(JSON.parse(metadata))
    } catch {
      return { ok: false, reason: 'binary frame metadata is not a JSON object', topic, ref: pushRef || null }
    }
  }
  const payload = new Uint8Array(data.subarray(offset))
  let userPayload: unknown = payload
  if (encoding === 1) {
    try {
      userPayload = JSON.parse(Buffer.from(payload).toString('utf8'))
    } catch {
      return { ok: false, reason: 'binary frame JSON payload does not parse', topic, ref: pushRef || null }
    }
  }
  const message: PhoenixMessage = {
    joinRef: joinRef || null,
    ref: pushRef || null,
    topic,
    event: 'broadcast',
    payload: { type: 'broadcast', event: userEvent, payload: userPayload, ...meta },
  }
  return {
    ok: true,
    message,
    binary: { topic, userEvent, meta, encoding, payload },
    joinRef: message.joinRef,
    ref: message.ref,
  }
}

/** Parses one client frame. Never throws: a bad frame becomes a reason the server can log and answer. */
export function decodeFrame(vsn: Vsn, data: Buffer, isBinary: boolean): Decoded {
  if (isBinary) {
    if (vsn !== '2.0.0') return { ok: false, reason: 'binary frames need vsn 2.0.0' }
    return decodeBinary(data)
  }
  let json: unknown
  try {
    json = JSON.parse(data.toString('utf8'))
  } catch {
    return { ok: false, reason: 'frame is not JSON' }
  }
  if (vsn === '1.0.0') {
    const parsed = objectFrame.safeParse(json)
    if (!parsed.success)
      return { ok: false, reason: 'frame is not a Phoenix message object', ...partialAddress(json) }
    const { join_ref, ref: pushRef, topic, event, payload } = parsed.data
    const message = { joinRef: join_ref ?? null, ref: pushRef ?? null, topic, event, payload }
    return { ok: true, message, joinRef: message.joinRef, ref: message.ref }
  }
  const parsed = arrayFrame.safeParse(json)
  if (!parsed.success)
    return { ok: false, reason: 'frame is not a Phoenix message array', ...partialAddress(json) }
  const [joinRef, pushRef, topic, event, payload] = parsed.data
  const message = { joinRef: joinRef ?? null, ref: pushRef ?? null, topic, event, payload }
  return { ok: true, message, joinRef: message.joinRef, ref: message.ref }
}

/** Where a malformed frame came from, when it says so, so that the error reply reaches the right push. */
function partialAddress(json: unknown): { topic?: string; ref?: string | null; joinRef?: string | null } {
  const text = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
  if (Array.isArray(json))
    return { joinRef: text(json[0]) ?? null, ref: text(json[1]) ?? null, topic: text(json[2]) }
  if (json && typeof json === 'object') {
    const record = json as Record<string, unknown>
    return {
      joinRef: text(record.join_ref) ?? null,
      ref: text(record.ref) ?? null,
      topic: text(record.topic),
    }
  }
  return {}
}

export function encodeMessage(vsn: Vsn, message: PhoenixMessage): string {
  if (vsn === '1.0.0') {
    return JSON.stringify({
      join_ref: message.joinRef,
      ref: message.ref,
      topic: message.topic,
      event: message.event,
      payload: message.payload,
    })
  }
  return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload])
}

/**
 * A `postgres_changes` push. The data is spliced in as JSON already serialised, so a
 * change is serialised once for all its subscribers.
 */
export function encodePostgresChanges(vsn: Vsn, topic: string, ids: number[], dataJson: string): string {
  const payload = `{"ids":${JSON.stringify(ids)},"data":${dataJson}}`
  return vsn === '1.0.0'
    ? `{"join_ref":null,"ref":null,"topic":${JSON.stringify(topic)},"event":"postgres_changes","payload":${payload}}`
    : `[null,null,${JSON.stringify(topic)},"postgres_changes",${payload}]`
}

/** A user broadcast for a vsn 2.0.0 client: the binary userBroadcast frame the client decodes. */
export function encodeBinaryBroadcast(broadcast: BinaryBroadcast): Buffer {
  const topic = Buffer.from(broadcast.topic, 'utf8')
  const userEvent = Buffer.from(broadcast.userEvent, 'utf8')
  const metadata = Buffer.from(
    broadcast.meta && Object.keys(broadcast.meta).length > 0 ? JSON.stringify(broadcast.meta) : '',
    'utf8',
  )
  if (topic.length > 255 || userEvent.length > 255 || metadata.length > 255) {
    throw new Error('broadcast header field longer than 255 bytes')
  }
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topic.length,
    userEvent.length,
    metadata.length,
    broadcast.encoding,
  ])
  return Buffer.concat([header, topic, userEvent, metadata, broadcast.payload])
}
