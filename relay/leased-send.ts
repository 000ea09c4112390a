import type { Logger } from '../src/shared/log.ts'
import type { RelayMessage } from '../src/shared/relay-contract.ts'
import { defaultRetry, type RelayConfig } from './config.ts'
import type { SendingConfig, Store } from './store.ts'
import type { TwilioClientFactory, TwilioAccountClient } from './twilio-client.ts'
import {
  acceptedOutcome,
  findLostSend,
  mayHaveSent,
  sendWithRetry,
  type SendOutcome,
  type SendParams,
} from './twilio-send.ts'

export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

/**
 * The points of a send where a test may freeze the relay (RELAY_FAULT_FREEZE_AT) to
 * kill it there: just after the message and its lease were stored, and just after
 * Twilio answered, before its answer is stored.
 */
export const faultPoints = ['after-insert', 'after-twilio'] as const
export type FaultPoint = (typeof faultPoints)[number]

/** What sending needs besides the store; the relay's other dependencies extend it. */
export interface SendDeps {
  twilioClient: TwilioClientFactory
  clock?: Clock
  random?: () => number
  /** Called at each fault point; only the fault tests' relay does anything there. */
  faultHook?: (point: FaultPoint) => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

/** Where a message goes: the workspace's Twilio account, the contact's number and the sending number. */
/** Where a reply goes and how: the sender as SendingConfig (store.ts) says, with the client to ask. */
export interface SendRoute extends Omit<SendingConfig, 'credentials'> {
  client: TwilioAccountClient
  to: string
}

export function sendRoute(sending: SendingConfig, client: TwilioAccountClient, to: string): SendRoute {
  const { credentials: _credentials, ...sender } = sending
  return { ...sender, client, to }
}

/** Twilio's "Attempt to send to unsubscribed recipient": the customer opted out at Twilio. */
const UNSUBSCRIBED_RECIPIENT = '21610'

export interface LeasedSend {
  /** Since when, by this relay's clock, it has held the lease: taken before the claim was asked for. */
  leaseFrom: number
  /** An earlier lease holder may have reached Twilio, so Twilio's list is asked before any send. */
  inDoubt: boolean
}

/**
 * Hands a message this relay holds the lease on to Twilio, exactly once, and stores
 * the outcome. Used by POST /messages and by the sweep alike.
 */
export function createLeasedSender(config: RelayConfig, deps: SendDeps, store: Store) {
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? Math.random
  const retry = config.retry ?? defaultRetry
  const faultHook = deps.faultHook ?? (() => {})

  // Twilio may post the first status callback before messages.create has answered,
  // so before the SID is stored. The callback URL names our message id (Twilio signs
  // the whole URL, query included), which lets such a callback find its message with
  // no waiting and no guessing; it stores the SID itself.
  const statusCallback = (messageId: string) =>
    `${config.publicUrl}/twilio/status?${new URLSearchParams({ message_id: messageId })}`

  /** Stores a send's outcome; `from`, the number Twilio was asked to send from, once it was asked. */
  const record = (id: string, outcome: Exclude<SendOutcome, { accepted: 'undecided' }>, from?: string) =>
    store.recordSend(id, {
      ...(outcome.accepted
        ? {
            twilio_sid: outcome.sid,
            status: outcome.status,
            error_code: outcome.errorCode,
            error_message: outcome.errorMessage,
          }
        : {
            twilio_sid: null,
            status: 'failed',
            error_code: outcome.errorCode,
            error_message: outcome.errorMessage,
          }),
      ...(from === undefined ? {} : { workspace_number: from }),
    })

  return {
    /**
     * The route of a stored message, from the number it was stored with (the agent's
     * choice), or the reason it can no longer be sent.
     */
    async route(message: RelayMessage): Promise<SendRoute | { problem: string }> {
      const [contact, sending] = await Promise.all([
        store.contact(message.workspace_id, message.contact_id),
        store.sendingConfig(message.workspace_id, message.workspace_number ?? undefined),
      ])
      if (!contact) return { problem: 'This contact does not belong to the workspace.' }
      if (sending === 'not_held')
        return { problem: `${message.workspace_number} is no longer a number of this workspace.` }
      if (!sending) return { problem: 'This workspace has no Twilio account or sending number configured.' }
      return sendRoute(sending, deps.twilioClient(sending.credentials), contact.phone_number)
    },

    /** Stores a message that can no longer be sent as failed, saying why. */
    fail(message: RelayMessage, problem: string): Promise<RelayMessage> {
      return record(message.id, { accepted: false, errorCode: null, errorMessage: problem })
    },

    async send(
      message: RelayMessage,
      route: SendRoute,
      lease: LeasedSend,
      logger: Logger,
    ): Promise<RelayMessage> {
      const params: SendParams = {
        to: route.to,
        from: route.from,
        body: message.content,
        statusCallback: statusCallback(message.id),
        ...(route.messagingServiceSid ? { messagingServiceSid: route.messagingServiceSid } : {}),
      }
      const boundElsewhere = async (sid: string) => {
        const owner = await store.messageBySid(sid)
        return owner !== null && owner.id !== message.id
      }
      if (lease.inDoubt) {
        let found
        try {
          found = await findLostSend(route.client, params, Date.parse(message.created_at), boundElsewhere)
        } catch {
          logger.warn('in-doubt send could not be looked up at Twilio')
          return record(message.id, {
            accepted: false,
            errorCode: null,
            errorMessage: mayHaveSent('Twilio could not be asked whether an earlier attempt reached it.'),
          })
        }
        if (found) {
          logger.info('in-doubt send found at Twilio')
          return record(message.id, acceptedOutcome(found))
        }
      }
      const outcome = await sendWithRetry(route.client, params, {
        policy: retry,
        sleep: clock.sleep,
        random,
        now: clock.now,
        logger,
        boundElsewhere,
        startBy: lease.leaseFrom + config.sendLeaseMs - config.twilioTimeoutMs,
      })
      faultHook('after-twilio')
      if (outcome.accepted === 'undecided') return store.outbound(message.id)
      const stored = await record(message.id, outcome, route.from)
      if (stored.error_code === UNSUBSCRIBED_RECIPIENT) {
        // Twilio knew of an opt-out the ledger did not (a keyword Twilio reads more
        // widely, or one sent before the ledger existed): no later reply tries again.
        await store.recordConsent({
          workspace_id: message.workspace_id,
          contact_id: message.contact_id,
          sender: route.consentSender,
          kind: 'opt_out',
          keyword: null,
          source: 'twilio_error_21610',
          message_id: message.id,
        })
        logger.info('opt-out recorded from Twilio error 21610')
      }
      logger.info('message sent to Twilio', {
        accepted: outcome.accepted,
        status: stored.status,
        twilioErrorCode: stored.error_code,
      })
      return stored
    },
  }
}

export type LeasedSender = ReturnType<typeof createLeasedSender>
