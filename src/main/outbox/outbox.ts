import { randomUUID } from 'node:crypto'
import { backoffDelay } from '../../shared/backoff.ts'
import type { Message } from '../../shared/domain.ts'
import { appError, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import {
  relayErrorResponseSchema,
  sendCollisionResponseSchema,
  sendMessageResponseSchema,
  sendSettled,
  type ArrivedMessage,
  type SendMessageRequest,
} from '../../shared/relay-contract.ts'
import type { Cache, OutboxEntry, ReplyGuard } from '../cache/cache.ts'
import { nowTimestamp } from '../cache/time.ts'
import { toMessage } from '../sync/rows.ts'

/**
 * Sends leave through here. A send is in the cache (`queued`) before anything touches
 * the network, so it survives a crash or a restart; the relay's idempotency on
 * client_message_id (which is also the message id) makes every re-delivery harmless,
 * and an entry stays until the relay answers that Twilio has the message or it failed.
 * Per conversation only the oldest entry is in flight, so a thread keeps its order.
 */
export interface OutboxOptions {
  cache: Cache
  /** The relay's base URL, e.g. http://127.0.0.1:54321/functions/v1/sms-relay */
  relayUrl: string
  accessToken(): Promise<string | null>
  /** Called after a 401, before the next attempt. */
  refreshSession(): Promise<boolean>
  onMessage(message: Message): void
  /** The collision guard held a reply back (it is `failed`, errorCode `collision`): what arrived meanwhile. */
  onCollision?(message: Message, arrived: ArrivedMessage[]): void
  logger: Logger
  fetch?: typeof fetch
  random?: () => number
  now?: () => number
  baseDelayMs?: number
  maxDelayMs?: number
}

export interface Outbox {
  send(input: {
    workspaceId: string
    contactId: string
    body: string
    userId: string
    guard?: ReplyGuard
    /** The workspace number it leaves from; absent, the relay picks the workspace's first. */
    fromNumber?: string | null
  }): Message
  retry(messageId: string): Result<Message>
  /** A reply the collision guard held back goes out after all, under its own id. */
  sendAnyway(messageId: string): Result<Message>
  /** A reply the collision guard held back is taken back to be edited: it leaves the cache (the relay never stored it). */
  withdraw(messageId: string): Result<Message>
  /** Try everything now: the network came back, the machine woke up, the session changed. */
  kick(): void
  /** Resolves when nothing is left to deliver (failed messages are not left: they wait for Retry). */
  drained(): Promise<void>
  stop(): Promise<void>
}

type Attempt =
  | { kind: 'done'; message: Message; arrived?: ArrivedMessage[] }
  | { kind: 'transient'; reason: string; refresh?: boolean }

/** The fields of a send that ask for the collision guard, as the relay reads them. */
function guardFields(guard: ReplyGuard): Pick<SendMessageRequest, 'seen_message_id' | 'send_anyway'> {
  if (guard.kind === 'seen') return { seen_message_id: guard.seenMessageId }
  return guard.kind === 'anyway' ? { send_anyway: true } : {}
}

const heldByGuard = (message: Message) => message.status === 'failed' && message.errorCode === 'collision'

export function createOutbox(options: OutboxOptions): Outbox {
  const { cache, logger } = options
  const doFetch = options.fetch ?? fetch
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const baseDelayMs = options.baseDelayMs ?? 1000
  const maxDelayMs = options.maxDelayMs ?? 60_000
  const endpoint = `${options.relayUrl.replace(/\/+$/, '')}/messages`
  let stopped = false
  let pumping: Promise<void> | null = null
  let again = false
  let timer: ReturnType<typeof setTimeout> | null = null
  let drainWaiters: (() => void)[] = []

  const notifyDrained = () => {
    if (cache.outboxSize() > 0) return
    const waiters = drainWaiters
    drainWaiters = []
    for (const resolve of waiters) resolve()
  }

  async function attempt(entry: OutboxEntry): Promise<Attempt> {
    const token = await options.accessToken()
    if (!token) return { kind: 'transient', reason: 'signed out' }
    const body: SendMessageRequest = {
      workspace_id: entry.workspaceId,
      contact_id: entry.contactId,
      body: entry.body,
      client_message_id: entry.messageId,
      ...(entry.retry ? { retry: true } : {}),
      ...(entry.fromNumber === null ? {} : { from_number: entry.fromNumber }),
      ...guardFields(entry.guard),
    }
    let response: Response
    try {
      response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
    } catch (error) {
      return { kind: 'transient', reason: error instanceof Error ? error.message : 'network error' }
    }
    const text = await response.text().catch(() => '')
    if (response.ok) {
      const parsed = sendMessageResponseSchema.safeParse(safeJson(text))
      // A message the relay stored but has not handed to Twilio yet (its relay may have
      // died mid-send) is not done: the repeat is what drives it to an end.
      if (parsed.success && !sendSettled(parsed.data.message)) {
        return { kind: 'transient', reason: 'the relay has not handed it to Twilio yet' }
      }
      if (parsed.success) return { kind: 'done', message: toMessage(parsed.data.message) }
      return { kind: 'transient', reason: `relay answered ${response.status} with an unexpected body` }
    }
    if (response.status === 401) return { kind: 'transient', reason: 'relay said 401', refresh: true }
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      return { kind: 'transient', reason: `relay answered ${response.status}` }
    }
    const local = cache.getMessage(entry.messageId)
    if (!local) return { kind: 'transient', reason: 'message vanished from the cache' }
    const collision = sendCollisionResponseSchema.safeParse(safeJson(text))
    if (response.status === 409 && collision.success) {
      const { kind, message } = collision.data.error
      return {
        kind: 'done',
        message: { ...local, status: 'failed', errorCode: kind, errorMessage: message },
        arrived: collision.data.arrived,
      }
    }
    const error = relayErrorResponseSchema.safeParse(safeJson(text))
    return {
      kind: 'done',
      message: {
        ...local,
        status: 'failed',
        errorCode: error.success ? error.data.error.kind : String(response.status),
        errorMessage: error.success
          ? error.data.error.message
          : `The relay refused the message (HTTP ${response.status}).`,
      },
    }
  }

  async function deliver(entry: OutboxEntry): Promise<void> {
    const result = await attempt(entry)
    if (stopped) return
    if (result.kind === 'done') {
      const outcome = cache.completeOutbox(entry.messageId, result.message)
      // An answer older than what the agent already sees would only move the bubble back.
      if (outcome !== null && outcome !== 'unchanged') {
        options.onMessage(result.message)
        if (result.arrived) options.onCollision?.(result.message, result.arrived)
      }
      return
    }
    if (result.refresh) await options.refreshSession()
    const attempts = entry.attempts + 1
    const delay = backoffDelay(attempts, { baseMs: baseDelayMs, maxMs: maxDelayMs, random })
    logger.info('send deferred', {
      messageId: entry.messageId,
      attempts,
      reason: result.reason,
      delay: Math.round(delay),
    })
    cache.scheduleOutboxRetry(entry.messageId, attempts, now() + delay)
  }

  async function pump(): Promise<void> {
    while (again && !stopped) {
      again = false
      const heads = cache.outboxHeads()
      const due = heads.filter((entry) => entry.nextAttemptAt <= now())
      if (due.length > 0) {
        await Promise.all(
          due.map((entry) =>
            deliver(entry).catch((error: unknown) => logger.error('delivery crashed', { error })),
          ),
        )
        again = true
      } else if (heads.length > 0 && !stopped) {
        const next = Math.min(...heads.map((entry) => entry.nextAttemptAt))
        if (timer) clearTimeout(timer)
        timer = setTimeout(kick, Math.max(0, next - now()))
      }
      notifyDrained()
    }
  }

  function kick(): void {
    if (stopped) return
    again = true
    if (pumping) return
    pumping = pump().finally(() => {
      pumping = null
      // A kick that landed after the loop's last check must not be lost.
      if (again) kick()
    })
  }

  const outbox: Outbox = {
    send({ workspaceId, contactId, body, userId, guard, fromNumber = null }) {
      const at = nowTimestamp(now())
      const message: Message = {
        id: randomUUID(),
        workspaceId,
        contactId,
        direction: 'outbound',
        content: body,
        status: 'queued',
        errorCode: null,
        errorMessage: null,
        createdAt: at,
        updatedAt: at,
        createdBy: userId,
        workspaceNumber: fromNumber,
      }
      cache.enqueue(message, { retry: false, guard })
      kick()
      return message
    },
    retry(messageId) {
      const message = cache.getMessage(messageId)
      if (!message || message.direction !== 'outbound')
        return { ok: false, error: appError('not_found', 'No such sent message.') }
      if (message.status !== 'failed') {
        return { ok: false, error: appError('conflict', 'Only a failed message can be retried.') }
      }
      // A plain retry would send it unguarded: the author chooses between sending anyway and editing.
      if (heldByGuard(message)) {
        return {
          ok: false,
          error: appError('conflict', 'New messages arrived before this reply: send it anyway or edit it.'),
        }
      }
      // Twilio took it and a carrier failed it (30xxx): the relay keeps Twilio's SID on
      // that row and will not send it again under its id, so Retry sends the text anew.
      if (message.errorCode !== null && carrierFailure.test(message.errorCode)) {
        if (message.createdBy === null)
          return { ok: false, error: appError('conflict', 'This message has no author to send it again as.') }
        return {
          ok: true,
          value: outbox.send({
            workspaceId: message.workspaceId,
            contactId: message.contactId,
            body: message.content,
            userId: message.createdBy,
            fromNumber: message.workspaceNumber,
          }),
        }
      }
      const queued: Message = { ...message, status: 'queued', errorCode: null, errorMessage: null }
      cache.enqueue(queued, { retry: true })
      kick()
      return { ok: true, value: queued }
    },
    sendAnyway(messageId) {
      const message = cache.getMessage(messageId)
      if (!message || !heldByGuard(message))
        return { ok: false, error: appError('not_found', 'No reply is held back by the collision guard.') }
      const queued: Message = { ...message, status: 'queued', errorCode: null, errorMessage: null }
      cache.enqueue(queued, { retry: false, guard: { kind: 'anyway' } })
      kick()
      return { ok: true, value: queued }
    },
    withdraw(messageId) {
      const message = cache.getMessage(messageId)
      if (!message || !heldByGuard(message))
        return { ok: false, error: appError('not_found', 'No reply is held back by the collision guard.') }
      cache.deleteMessage(messageId)
      return { ok: true, value: message }
    },
    kick() {
      cache.resetOutboxBackoff()
      kick()
    },
    drained() {
      if (cache.outboxSize() === 0) return Promise.resolve()
      return new Promise((resolve) => drainWaiters.push(resolve))
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await pumping
    },
  }
  return outbox
}

/** Twilio's delivery errors, reported after it accepted a message (30001-30999). */
const carrierFailure = /^30\d{3}$/

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
