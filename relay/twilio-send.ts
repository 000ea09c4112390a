import twilio from 'twilio'
import { backoffDelay } from '../src/shared/backoff.ts'
import type { Logger } from '../src/shared/log.ts'
import type { DeliveryStatus } from '../src/shared/rows/messages.ts'
import type { StatusChange } from './store.ts'
import type { TwilioAccountClient } from './twilio-client.ts'

/**
 * Twilio's message statuses folded onto the four the database keeps. Anything
 * still on its way is pending; the terminal failures are failed.
 */
export function mapTwilioStatus(status: string): DeliveryStatus | undefined {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return 'pending'
    case 'sent':
      return 'sent'
    case 'delivered':
    case 'read':
      return 'delivered'
    case 'failed':
    case 'undelivered':
    case 'canceled':
      return 'failed'
    default:
      return undefined
  }
}

export interface RetryPolicy {
  /** Calls to Twilio at most, the first included. */
  attempts: number
  /** The first pause; each later one doubles (src/shared/backoff.ts). */
  baseDelayMs: number
}

export type SendOutcome =
  | {
      accepted: true
      sid: string
      status: DeliveryStatus
      errorCode: string | null
      errorMessage: string | null
    }
  | { accepted: false; errorCode: string | null; errorMessage: string }
  /** The lease ran out before a send could start: the message stays in doubt for the next holder. */
  | { accepted: 'undecided'; reason: string }

/** The change a Twilio status makes; undefined for a status Twilio does not have. */
export function statusChange(twilioStatus: string, errorCode: string | null): StatusChange | undefined {
  const status = mapTwilioStatus(twilioStatus)
  if (status !== 'failed') return status && { status }
  return {
    status,
    error_code: errorCode,
    error_message: errorCode
      ? `Twilio reported the message ${twilioStatus} (error ${errorCode}).`
      : `Twilio reported the message ${twilioStatus}.`,
  }
}

export interface SendParams {
  to: string
  from: string
  body: string
  statusCallback: string
  /** With `from`, Twilio sends from that number under the service's settings. */
  messagingServiceSid?: string
}

const retryableStatus = (status: number) => status === 429 || status >= 500

/** Network failures that happen before a request leaves: Twilio cannot have acted on it. */
const neverSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'])

/**
 * A 5xx, a reset or a timeout may come after Twilio created the message: its
 * answer is lost, not the send. 429 and a refused connection are never acted on.
 */
function answerMayBeLost(error: unknown): boolean {
  if (error instanceof twilio.RestException) return error.status >= 500
  return !neverSent.has(String((error as { code?: unknown }).code))
}

/** The reason kept on a message Twilio could not be asked about. */
export const mayHaveSent = (problem: string) =>
  `${problem} Twilio may have sent it: check the conversation before sending again.`

/**
 * How far before our first attempt a listed message may be dated and still be
 * ours: Twilio dates to the second, and its clock is not ours.
 */
const CLOCK_SLACK_MS = 30_000

export interface AcceptedMessage {
  sid: string
  status: string
  errorCode?: number | null
  errorMessage?: string | null
}

export const acceptedOutcome = (message: AcceptedMessage): Extract<SendOutcome, { accepted: true }> => ({
  accepted: true,
  sid: message.sid,
  status: mapTwilioStatus(message.status) ?? 'pending',
  errorCode: message.errorCode === null || message.errorCode === undefined ? null : String(message.errorCode),
  errorMessage: message.errorMessage ?? null,
})

/**
 * The message an attempt whose answer was lost created, if any: Twilio's newest
 * messages between the same numbers, with the same body, dated from `since` (our
 * first attempt, or the row's creation) on, and not already bound to another of
 * our messages (an identical text sent a moment earlier).
 */
export async function findLostSend(
  client: TwilioAccountClient,
  params: SendParams,
  since: number,
  boundElsewhere: (sid: string) => Promise<boolean>,
): Promise<AcceptedMessage | null> {
  const recent = await client.messages.list({ to: params.to, from: params.from, limit: 20 })
  for (const message of recent) {
    if (message.body !== params.body || message.dateCreated.getTime() < since - CLOCK_SLACK_MS) continue
    if (!(await boundElsewhere(message.sid))) return message
  }
  return null
}

/**
 * One messages.create, repeated on 429, 5xx and network failures a bounded
 * number of times. A 4xx is Twilio's final word (21610, 21211...) and is kept.
 * Twilio's API has no idempotency key, so after a failure that may have lost
 * the answer of a send Twilio carried out, Twilio is asked for that message
 * before anything is sent again: the customer is never texted twice. If Twilio
 * cannot be asked, the send stops as failed, saying why.
 */
export async function sendWithRetry(
  client: TwilioAccountClient,
  params: SendParams,
  options: {
    policy: RetryPolicy
    sleep: (ms: number) => Promise<void>
    random: () => number
    now: () => number
    logger: Logger
    /** True when a SID is already bound to another of our messages. */
    boundElsewhere: (sid: string) => Promise<boolean>
    /**
     * No messages.create starts after this time: one that did could reach Twilio after
     * the caller's lease ran out, when another relay may already have looked for it.
     */
    startBy: number
  },
): Promise<SendOutcome> {
  const firstAttemptAt = options.now()
  let lastProblem = 'Twilio could not be reached.'
  for (let attempt = 1; attempt <= options.policy.attempts; attempt += 1) {
    if (options.now() > options.startBy) {
      options.logger.warn('twilio send left to the next lease holder', { attempt })
      return { accepted: 'undecided', reason: `The send lease ran out before attempt ${attempt}.` }
    }
    try {
      return acceptedOutcome(await client.messages.create(params))
    } catch (error) {
      if (error instanceof twilio.RestException && !retryableStatus(error.status)) {
        return {
          accepted: false,
          errorCode: error.code === undefined ? null : String(error.code),
          errorMessage: error.message,
        }
      }
      lastProblem =
        error instanceof twilio.RestException
          ? `Twilio answered ${error.status} after ${attempt} attempts.`
          : `Twilio could not be reached after ${attempt} attempts.`
      options.logger.warn('twilio send attempt failed', {
        attempt,
        httpStatus: error instanceof twilio.RestException ? error.status : undefined,
        networkError: error instanceof twilio.RestException ? undefined : (error as { code?: unknown }).code,
      })
      if (attempt < options.policy.attempts) {
        // The attempts bound the wait, so no cap.
        await options.sleep(
          backoffDelay(attempt, {
            baseMs: options.policy.baseDelayMs,
            maxMs: Infinity,
            random: options.random,
          }),
        )
      }
      if (answerMayBeLost(error)) {
        let lost: AcceptedMessage | null
        try {
          lost = await findLostSend(client, params, firstAttemptAt, options.boundElsewhere)
        } catch {
          options.logger.warn('twilio send outcome unknown', { attempt })
          return {
            accepted: false,
            errorCode: null,
            errorMessage: mayHaveSent(lastProblem),
          }
        }
        if (lost) {
          options.logger.info('twilio send found after a lost answer', { attempt })
          return acceptedOutcome(lost)
        }
      }
    }
  }
  return { accepted: false, errorCode: null, errorMessage: lastProblem }
}
