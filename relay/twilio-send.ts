import twilio from 'twilio'
import type { MessageStatus } from '../src/shared/relay-contract.ts'
import type { Logger } from '../src/shared/log.ts'
import type { TwilioMessagesClient } from './twilio-client.ts'

/**
 * Twilio's message statuses folded onto the four the database keeps. Anything
 * still on its way is pending; the terminal failures are failed.
 */
export function mapTwilioStatus(status: string): MessageStatus | undefined {
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
  /** The first pause; each later one doubles, with full jitter. */
  baseDelayMs: number
}

export type SendOutcome =
  | {
      accepted: true
      sid: string
      status: MessageStatus
      errorCode: string | null
      errorMessage: string | null
    }
  | { accepted: false; errorCode: string | null; errorMessage: string }

export interface SendParams {
  to: string
  from: string
  body: string
  statusCallback: string
}

const retryableStatus = (status: number) => status === 429 || status >= 500

/**
 * One messages.create, repeated on 429, 5xx and network failures a bounded
 * number of times. A 4xx is Twilio's final word (21610, 21211...) and is kept.
 */
export async function sendWithRetry(
  client: TwilioMessagesClient,
  params: SendParams,
  options: {
    policy: RetryPolicy
    sleep: (ms: number) => Promise<void>
    random: () => number
    logger: Logger
  },
): Promise<SendOutcome> {
  let lastProblem = 'Twilio could not be reached.'
  for (let attempt = 1; attempt <= options.policy.attempts; attempt += 1) {
    try {
      const message = await client.messages.create(params)
      return {
        accepted: true,
        sid: message.sid,
        status: mapTwilioStatus(message.status) ?? 'pending',
        errorCode:
          message.errorCode === null || message.errorCode === undefined ? null : String(message.errorCode),
        errorMessage: message.errorMessage ?? null,
      }
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
        const ceiling = options.policy.baseDelayMs * 2 ** (attempt - 1)
        await options.sleep(ceiling / 2 + options.random() * (ceiling / 2))
      }
    }
  }
  return { accepted: false, errorCode: null, errorMessage: lastProblem }
}
