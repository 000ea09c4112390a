import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import twilio from 'twilio'
import { consentKeyword } from '../../src/shared/consent-keywords.ts'
import { e164Schema } from '../../src/shared/domain.ts'
import type { Logger } from '../../src/shared/log.ts'
import { postInboundSms, type InboundResult } from './inbound.ts'
import { openMessageJournal, type JournalEntry } from './message-journal.ts'
import { loadTwilioApi, type MatchedOperation, type TwilioApi } from './openapi.ts'

/**
 * A stand-in for api.twilio.com on 127.0.0.1, faithful where the relay depends
 * on Twilio: every request is checked against Twilio's own OpenAPI description,
 * accounts authenticate with SID and auth token, sends answer spec-shaped
 * Message resources, Twilio's magic test numbers fail as Twilio documents, and
 * status callbacks arrive signed with the account's token.
 */
export interface TwilioDoubleAccount {
  sid: string
  authToken: string
  /**
   * The numbers this account owns: it sends only from them and lists them as its
   * IncomingPhoneNumbers. Omitted means it may send from any and lists none.
   */
  numbers?: string[]
  /**
   * API keys (SK… SID and secret) that authenticate as this account, as a Main key does;
   * to a `standard` one the Account resource comes without its auth token, as Twilio may
   * answer a Standard key.
   */
  apiKeys?: { sid: string; secret: string; standard?: boolean }[]
  /** Where some of its numbers' webhooks point when the double starts (else nowhere). */
  webhooks?: Record<string, NumberWebhooks>
  /** Its Messaging Services and the numbers (of `numbers`) in each sender pool. */
  messagingServices?: { sid: string; friendlyName: string; numbers: string[] }[]
}

/** A number's "A message comes in" URL and its status callback, as IncomingPhoneNumbers holds them. */
export interface NumberWebhooks {
  smsUrl: string | null
  statusCallback: string | null
}

export interface TwilioDoubleOptions {
  port?: number
  accounts: TwilioDoubleAccount[]
  /** A recipient who replied STOP: sends to it fail with 21610. */
  optedOut?: string[]
  /** Recipients whose carrier drops the message: accepted, then `undelivered` with 30003. */
  undeliverable?: string[]
  logger: Logger
  /** Pause before each status callback; 0 disables callbacks (tests then post them with sendStatusCallback). */
  callbackDelayMs?: number
  /**
   * Where the double keeps its messages (message-journal.ts), so that when it is
   * restarted it still lists what it sent and goes on reporting their statuses.
   */
  journalFile?: string
}

export interface RecordedRequest {
  method: string
  path: string
  accountSid: string | undefined
  params: Record<string, string | string[]>
  /** The HTTP status answered; -1 when the connection was dropped instead. */
  status: number
}

export interface Faults {
  /** The next `count` sends answer `status` (500, 503, 429) without sending anything. */
  failNext?: { count: number; status: number }
  /** Every request has its connection dropped, as if Twilio were unreachable. */
  down?: boolean
  /**
   * The next `count` sends are carried out (the message exists, its callbacks follow)
   * but their answer is lost: a 5xx `status`, or the connection dropped (`'drop'`).
   * The one case where repeating a send would text the customer twice.
   */
  loseNextAnswers?: { count: number; answer: number | 'drop' }
  /**
   * Status callbacks as a bad network delivers them: each is lost with probability
   * `dropShare`, and those that get through are posted in a shuffled order once the
   * message has reached its final status. `random` decides (seeded, for a repeatable run).
   */
  unreliableCallbacks?: { dropShare: number; random: () => number }
  /** Sends to these recipients are refused with this Twilio error code (21408, 21612...), as the API answers them. */
  refuseTo?: Record<string, number>
  /** Sends to these recipients are accepted, then end `undelivered` with this error code (30003-30034). */
  undeliveredTo?: Record<string, number>
}

export interface CallbackDelivery {
  sid: string
  status: string
  url: string
  httpStatus: number | 'unreachable'
}

/** A text from a customer's phone to one of an account's numbers. */
export interface CustomerText {
  accountSid: string
  from: string
  to: string
  body: string
  /**
   * The relay whose /twilio/inbound is the number's "A message comes in" webhook.
   * Omitted, the text goes where the number's SmsUrl points, as set through the API.
   */
  relayUrl?: string
}

/** A reply Twilio itself sends to a keyword (its default Advanced Opt-Out replies); no API request makes it. */
export interface AutoReply {
  from: string
  to: string
  body: string
}

export interface TwilioDouble {
  url: string
  /**
   * A customer texts an account's number. As at Twilio, an opt-out keyword blocks
   * later sends from that number to the customer (21610) and START lifts the block;
   * keywords get Twilio's default auto-reply; then the text is posted, signed, to
   * the number's webhook like any other.
   */
  receiveSms(text: CustomerText): Promise<InboundResult>
  autoReplies: AutoReply[]
  requests: RecordedRequest[]
  callbacks: CallbackDelivery[]
  /** The status callbacks `unreliableCallbacks` lost. */
  droppedCallbacks: { sid: string; status: string }[]
  /** Stored Message resources by SID, as the API would return them. */
  messages: Map<string, Record<string, unknown>>
  setFaults(faults: Faults): void
  /** Posts one signed status callback for a sent message, as Twilio would (for replaying duplicates or reordering). */
  sendStatusCallback(sid: string, status: string, errorCode?: string): Promise<CallbackDelivery>
  /** Resolves when every scheduled status callback has been delivered. */
  settled(): Promise<void>
  /** Where an account's number's webhooks point now. */
  webhooksOf(accountSid: string, number: string): NumberWebhooks
  api: TwilioApi
  stop(): Promise<void>
}

/** The messages Twilio's API gives with the refusals the double can be told to make. */
const refusalMessages: Record<number, string> = {
  21211: "Invalid 'To' Phone Number",
  21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  21610: 'Attempt to send to unsubscribed recipient',
  21612: "The 'To' phone number is not currently reachable via SMS",
  21614: "'To' number is not a valid mobile number",
}

/** Twilio's documented test numbers and the errors they produce. */
const magicRecipients: Record<string, number> = {
  '+15005550001': 21211,
  '+15005550009': 21614,
}

/**
 * Twilio's default replies to the keywords on a long code (help.twilio.com, "Twilio
 * support for opt-out keywords"). An opted-out customer's HELP gets no reply.
 */
const keywordReplies = {
  opt_out:
    'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.',
  opt_in:
    'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
  help: 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
}

const MESSAGES = '/2010-04-01/Accounts/{AccountSid}/Messages.json'
const MESSAGE = '/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json'
const INCOMING_NUMBERS = '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json'
const INCOMING_NUMBER = '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json'
const ACCOUNT = '/2010-04-01/Accounts/{Sid}.json'
const SERVICES = '/v1/Services'
const SERVICE_NUMBERS = '/v1/Services/{ServiceSid}/PhoneNumbers'
const MESSAGING_ORIGIN = 'https://messaging.twilio.com'

const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000')
const newSid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`
/** The same number of the same account keeps its SID across starts, as on Twilio. */
const numberSid = (accountSid: string, number: string) =>
  `PN${createHash('sha256').update(`${accountSid}/${number}`).digest('hex').slice(0, 32)}`

/** Twilio's PhoneNumber filter: a part of the number, `*` standing for any digit. */
function phoneNumberFilter(pattern: string | null): (number: string) => boolean {
  if (pattern === null) return () => true
  const regex = new RegExp(
    pattern.replace(/[.*+?^${}()|[\]\\]/g, (char) => (char === '*' ? '[0-9]' : `\\${char}`)),
  )
  return (number) => regex.test(number)
}

/** Which page of a list a request asks for: PageSize (50 by default, at most 1000) and Page, from 0. */
function pageOf(query: URLSearchParams) {
  const pageSize = Math.min(Math.max(Number(query.get('PageSize') ?? 50) || 50, 1), 1000)
  const page = Math.max(Number(query.get('Page') ?? 0) || 0, 0)
  return { pageSize, page, start: page * pageSize }
}

/**
 * One page of a 2010-04-01 list as Twilio shapes it: its items under `key`, and the
 * path of the next page (with the request's filters and a PageToken) while more follow.
 */
function listPage<Key extends string>(path: string, key: Key, all: unknown[], query: URLSearchParams) {
  const { pageSize, page, start } = pageOf(query)
  const items = all.slice(start, start + pageSize)
  const uriOf = (target: number) => {
    const params = new URLSearchParams(query)
    params.set('PageSize', String(pageSize))
    params.set('Page', String(target))
    if (target > 0) params.set('PageToken', `PA${target * pageSize}`)
    else params.delete('PageToken')
    return `${path}?${params.toString()}`
  }
  return {
    [key]: items,
    page,
    page_size: pageSize,
    start,
    end: start + Math.max(0, items.length - 1),
    uri: uriOf(page),
    first_page_uri: uriOf(0),
    next_page_uri: start + pageSize < all.length ? uriOf(page + 1) : null,
    previous_page_uri: page > 0 ? uriOf(page - 1) : null,
  } as Record<Key, unknown[]> & Record<string, unknown>
}

/** One page of a v1 list (messaging.twilio.com) as Twilio shapes it: full URLs under `meta`. */
function v1Page<Key extends string>(path: string, key: Key, all: unknown[], query: URLSearchParams) {
  const { pageSize, page, start } = pageOf(query)
  const urlOf = (target: number) =>
    `${MESSAGING_ORIGIN}${path}?PageSize=${pageSize}&Page=${target}${target > 0 ? `&PageToken=PA${target * pageSize}` : ''}`
  return {
    [key]: all.slice(start, start + pageSize),
    meta: {
      first_page_url: urlOf(0),
      key,
      next_page_url: start + pageSize < all.length ? urlOf(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_url: page > 0 ? urlOf(page - 1) : null,
      url: urlOf(page),
    },
  } as Record<Key, unknown[]> & Record<string, unknown>
}

function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }
}

function sameSecret(a: string, b: string) {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Fisher-Yates: every order equally likely. */
function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items]
  for (let index = out.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1))
    ;[out[index], out[other]] = [out[other]!, out[index]!]
  }
  return out
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startTwilioDouble(options: TwilioDoubleOptions): Promise<TwilioDouble> {
  const api = loadTwilioApi()
  const accounts = new Map(options.accounts.map((account) => [account.sid, account]))
  const apiKeys = new Map(
    options.accounts.flatMap((account) =>
      (account.apiKeys ?? []).map(
        (key) => [key.sid, { account, secret: key.secret, showsAuthToken: !key.standard }] as const,
      ),
    ),
  )
  /** Each number's webhooks by `account/number`, changed by POST …/IncomingPhoneNumbers/{Sid}.json. */
  const webhooks = new Map<string, NumberWebhooks>(
    options.accounts.flatMap((account) =>
      Object.entries(account.webhooks ?? {}).map(
        ([number, set]) => [`${account.sid}/${number}`, { ...set }] as const,
      ),
    ),
  )
  const webhooksOf = (accountSid: string, number: string): NumberWebhooks =>
    webhooks.get(`${accountSid}/${number}`) ?? { smsUrl: null, statusCallback: null }
  const optedOut = new Set(options.optedOut ?? [])
  /** Opt-outs by keyword, per (account number, customer): Twilio blocks only the number the customer texted. */
  const blocked = new Set<string>()
  const pair = (number: string, customer: string) => `${number}>${customer}`
  const autoReplies: AutoReply[] = []
  const undeliverable = new Set(options.undeliverable ?? [])
  const callbackDelayMs = options.callbackDelayMs ?? 50
  const logger = options.logger
  const requests: RecordedRequest[] = []
  const callbacks: CallbackDelivery[] = []
  const droppedCallbacks: { sid: string; status: string }[] = []
  const messages = new Map<string, Record<string, unknown>>()
  const statusCallbacks = new Map<string, string>()
  const reported = new Map<string, string>()
  const journal = options.journalFile ? openMessageJournal(options.journalFile) : null
  const remember = (sid: string) => {
    const message = messages.get(sid)
    if (!journal || !message) return
    journal.record({
      message: message as JournalEntry['message'],
      statusCallback: statusCallbacks.get(sid) ?? null,
      reported: reported.get(sid) ?? null,
    })
  }
  const pending = new Set<Promise<unknown>>()
  const timers = new Set<NodeJS.Timeout>()
  let faults: Faults = {}
  let stopped = false

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const sendStatusCallback = async (
    sid: string,
    status: string,
    errorCode?: string,
  ): Promise<CallbackDelivery> => {
    const message = messages.get(sid)
    const url = statusCallbacks.get(sid)
    const account = message ? accounts.get(String(message.account_sid)) : undefined
    if (!message || !url || !account) throw new Error(`No message ${sid} with a status callback`)
    const params: Record<string, string> = {
      AccountSid: account.sid,
      ApiVersion: '2010-04-01',
      From: String(message.from),
      To: String(message.to),
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: status,
      SmsStatus: status,
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    }
    let httpStatus: CallbackDelivery['httpStatus']
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          'User-Agent': 'TwilioProxy/1.1',
          'X-Twilio-Signature': twilio.getExpectedTwilioSignature(account.authToken, url, params),
          'I-Twilio-Idempotency-Token': randomBytes(16).toString('hex'),
        },
        body: new URLSearchParams(params),
      })
      await response.arrayBuffer()
      httpStatus = response.status
    } catch {
      httpStatus = 'unreachable'
    }
    const delivery = { sid, status, url, httpStatus }
    callbacks.push(delivery)
    if (typeof httpStatus === 'number' && httpStatus < 300) {
      reported.set(sid, status)
      remember(sid)
    }
    logger.debug('status callback delivered', { sid, status: String(status), httpStatus })
    return delivery
  }

  /** Moves a message through its statuses, posting each callback; a restored one resumes after its last acknowledged status. */
  const runLifecycle = (sid: string, to: string, after: string | null = null) => {
    const carrierError = faults.undeliveredTo?.[to] ?? (undeliverable.has(to) ? 30003 : undefined)
    const lifecycle: [string, string?][] =
      carrierError === undefined
        ? [['queued'], ['sent'], ['delivered']]
        : [['queued'], ['sent'], ['undelivered', String(carrierError)]]
    const rank = (status: unknown) => lifecycle.findIndex(([step]) => step === status)
    const steps = lifecycle.slice(rank(after) + 1)
    const unreliable = faults.unreliableCallbacks
    const run = (async () => {
      const held: [string, string?][] = []
      for (const [status, errorCode] of steps) {
        await sleep(callbackDelayMs)
        if (stopped) return
        const message = messages.get(sid)
        if (message && rank(status) > rank(message.status)) {
          const now = new Date()
          message.status = status
          message.date_updated = rfc2822(now)
          if (status === 'sent') message.date_sent = rfc2822(now)
          if (errorCode) {
            message.error_code = Number(errorCode)
            message.error_message = errorCode === '30003' ? 'Unreachable destination handset' : null
          }
          remember(sid)
        }
        if (!unreliable) await sendStatusCallback(sid, status, errorCode)
        else if (unreliable.random() < unreliable.dropShare) droppedCallbacks.push({ sid, status })
        else held.push([status, errorCode])
      }
      for (const [status, errorCode] of unreliable ? shuffled(held, unreliable.random) : held) {
        if (stopped) return
        await sendStatusCallback(sid, status, errorCode)
      }
    })()
    pending.add(run)
    void run.finally(() => pending.delete(run))
  }

  const createMessage = (account: TwilioDoubleAccount, params: Record<string, unknown>) => {
    const to = String(params.To)
    const from = params.From === undefined ? undefined : String(params.From)
    const body = params.Body === undefined ? undefined : String(params.Body)
    if (!from && !params.MessagingServiceSid)
      return { status: 400, body: twilioError(400, 21603, "A 'From' phone number is required.") }
    if (body === undefined && !params.MediaUrl && !params.ContentSid) {
      return { status: 400, body: twilioError(400, 21602, 'Message body is required.') }
    }
    if (body !== undefined && body.length > 1600) {
      return {
        status: 400,
        body: twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
      }
    }
    if (from && account.numbers && !account.numbers.includes(from)) {
      return {
        status: 400,
        body: twilioError(
          400,
          21606,
          `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
        ),
      }
    }
    const refusal = faults.refuseTo?.[to] ?? magicRecipients[to]
    if (refusal !== undefined)
      return {
        status: 400,
        body: twilioError(400, refusal, refusalMessages[refusal] ?? 'The message cannot be sent'),
      }
    if (!e164Schema.safeParse(to).success)
      return { status: 400, body: twilioError(400, 21211, refusalMessages[21211]!) }
    if (optedOut.has(to) || (from !== undefined && blocked.has(pair(from, to))))
      return { status: 400, body: twilioError(400, 21610, refusalMessages[21610]!) }

    const sid = newSid('SM')
    const now = rfc2822(new Date())
    const uri = `/2010-04-01/Accounts/${account.sid}/Messages/${sid}.json`
    const message: Record<string, unknown> = {
      account_sid: account.sid,
      api_version: '2010-04-01',
      body: body ?? '',
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: params.MessagingServiceSid ?? null,
      num_media: '0',
      num_segments: String(Math.max(1, Math.ceil((body ?? '').length / 153))),
      price: null,
      price_unit: 'USD',
      sid,
      status: 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${account.sid}/Messages/${sid}/Media.json` },
      to,
      uri,
    }
    messages.set(sid, message)
    if (typeof params.StatusCallback === 'string') statusCallbacks.set(sid, params.StatusCallback)
    remember(sid)
    if (statusCallbacks.has(sid) && callbackDelayMs > 0) runLifecycle(sid, to)
    return { status: 201, body: message }
  }

  /**
   * Basic auth as the account SID and its auth token, or as one of its API keys' SID and
   * secret: the account, and whether these credentials are shown its auth token.
   */
  const authenticate = (
    request: IncomingMessage,
  ): { account: TwilioDoubleAccount; showsAuthToken: boolean } | undefined => {
    const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')
    if (!match?.[1]) return undefined
    const decoded = Buffer.from(match[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const user = decoded.slice(0, colon)
    const secret = decoded.slice(colon + 1)
    const account = accounts.get(user)
    if (account) return sameSecret(secret, account.authToken) ? { account, showsAuthToken: true } : undefined
    const key = apiKeys.get(user)
    return key && sameSecret(secret, key.secret) ? key : undefined
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (faults.down) {
      request.socket.destroy()
      return
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const method = request.method ?? 'GET'
    const raw = await readBody(request)
    const form = new URLSearchParams(raw)
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      accountSid: undefined,
      params: Object.fromEntries(
        [...new Set(form.keys())].map((key) => {
          const values = form.getAll(key)
          return [key, values.length === 1 ? values[0]! : values]
        }),
      ),
      status: 0,
    }
    requests.push(record)
    const answer = (status: number, body: unknown) => {
      record.status = status
      response.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Twilio-Request-Id': newSid('RQ'),
      })
      response.end(JSON.stringify(body))
      logger.info('twilio api request', { method, path: url.pathname, status })
    }

    const matched = api.match(method, url.pathname)
    if (!matched) return answer(404, twilioError(404, 20404, 'The requested resource was not found'))
    const credentials = authenticate(request)
    const account = credentials?.account
    // The account a path names (none on messaging.twilio.com: the credentials say whose).
    const pathAccount = matched.template === ACCOUNT ? matched.pathParams.Sid : matched.pathParams.AccountSid
    if (!account || (pathAccount !== undefined && pathAccount !== account.sid)) {
      return answer(401, twilioError(401, 20003, 'Authenticate'))
    }
    record.accountSid = account.sid
    if (
      method === 'POST' &&
      !(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    ) {
      return answer(400, twilioError(400, 20001, 'Requests must be application/x-www-form-urlencoded'))
    }
    if (matched.template === MESSAGES && method === 'POST' && !form.get('To')) {
      return answer(400, twilioError(400, 21604, "A 'To' phone number is required."))
    }
    const validation = api.validateRequest(matched, url.searchParams, form)
    if (!validation.ok)
      return answer(400, twilioError(400, 20001, `Invalid parameters: ${validation.errors.join('; ')}`))
    return route(matched, credentials, validation.value, url.searchParams, answer, () => {
      record.status = -1
      request.socket.destroy()
    })
  }

  /** Newest first, as Twilio lists them, filtered by To and From; paged. */
  const listMessages = (account: TwilioDoubleAccount, query: URLSearchParams) => {
    const to = query.get('To')
    const from = query.get('From')
    const found = [...messages.values()]
      .reverse()
      .filter(
        (message) =>
          message.account_sid === account.sid &&
          (to === null || message.to === to) &&
          (from === null || message.from === from),
      )
    return listPage(`/2010-04-01/Accounts/${account.sid}/Messages.json`, 'messages', found, query)
  }

  /** The account's own numbers matching the PhoneNumber and FriendlyName filters; paged. */
  const listIncomingNumbers = (account: TwilioDoubleAccount, query: URLSearchParams) => {
    const matches = phoneNumberFilter(query.get('PhoneNumber'))
    const friendlyName = query.get('FriendlyName')
    const found = (account.numbers ?? [])
      .filter((number) => matches(number) && (friendlyName === null || friendlyName === number))
      .map((number) => incomingNumber(account, number))
    return listPage(
      `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`,
      'incoming_phone_numbers',
      found,
      query,
    )
  }

  /** An IncomingPhoneNumber resource as Twilio answers it, with the webhooks set on it now. */
  const incomingNumber = (account: TwilioDoubleAccount, number: string) => {
    const sid = numberSid(account.sid, number)
    const now = rfc2822(new Date())
    const { smsUrl, statusCallback } = webhooksOf(account.sid, number)
    return {
      account_sid: account.sid,
      address_requirements: 'none',
      address_sid: null,
      api_version: '2010-04-01',
      beta: false,
      bundle_sid: null,
      capabilities: { voice: false, sms: true, mms: true, fax: false },
      date_created: now,
      date_updated: now,
      emergency_address_sid: null,
      emergency_address_status: 'unregistered',
      emergency_status: 'Inactive',
      friendly_name: number,
      identity_sid: null,
      origin: 'twilio',
      phone_number: number,
      sid,
      sms_application_sid: null,
      sms_fallback_method: 'POST',
      sms_fallback_url: null,
      sms_method: 'POST',
      sms_url: smsUrl,
      status: 'in-use',
      status_callback: statusCallback,
      status_callback_method: 'POST',
      subresource_uris: {
        assigned_add_ons: `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers/${sid}/AssignedAddOns.json`,
      },
      trunk_sid: null,
      uri: `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers/${sid}.json`,
      voice_application_sid: null,
      voice_caller_id_lookup: false,
      voice_fallback_method: 'POST',
      voice_fallback_url: null,
      voice_method: 'POST',
      voice_receive_mode: 'voice',
      voice_url: null,
    }
  }

  /** POST …/IncomingPhoneNumbers/{Sid}.json: sets what the form names, as Twilio does; the rest stays. */
  const updateIncomingNumber = (
    account: TwilioDoubleAccount,
    sid: string,
    params: Record<string, unknown>,
  ) => {
    const number = (account.numbers ?? []).find((owned) => numberSid(account.sid, owned) === sid)
    if (!number) return { status: 404, body: twilioError(404, 20404, 'The requested resource was not found') }
    const current = webhooksOf(account.sid, number)
    const text = (name: string, fallback: string | null) =>
      params[name] === undefined ? fallback : String(params[name]) || null
    webhooks.set(`${account.sid}/${number}`, {
      smsUrl: text('SmsUrl', current.smsUrl),
      statusCallback: text('StatusCallback', current.statusCallback),
    })
    return { status: 200, body: incomingNumber(account, number) }
  }

  /** The Account resource as Twilio answers it: the auth token included only for credentials shown it. */
  const accountResource = (account: TwilioDoubleAccount, showsAuthToken: boolean) => {
    const now = rfc2822(new Date())
    const uri = `/2010-04-01/Accounts/${account.sid}.json`
    return {
      ...(showsAuthToken ? { auth_token: account.authToken } : {}),
      date_created: now,
      date_updated: now,
      friendly_name: `Account ${account.sid.slice(-4)}`,
      owner_account_sid: account.sid,
      sid: account.sid,
      status: 'active',
      subresource_uris: { incoming_phone_numbers: uri.replace('.json', '/IncomingPhoneNumbers.json') },
      type: 'Full',
      uri,
    }
  }

  const messagingServiceResource = (account: TwilioDoubleAccount, sid: string, friendlyName: string) => {
    const now = new Date().toISOString()
    const url = `${MESSAGING_ORIGIN}/v1/Services/${sid}`
    return {
      sid,
      account_sid: account.sid,
      friendly_name: friendlyName,
      date_created: now,
      date_updated: now,
      inbound_request_url: null,
      inbound_method: 'POST',
      fallback_url: null,
      fallback_method: 'POST',
      status_callback: null,
      sticky_sender: true,
      mms_converter: true,
      smart_encoding: true,
      scan_message_content: 'inherit',
      fallback_to_long_code: false,
      area_code_geomatch: true,
      synchronous_validation: false,
      validity_period: 36000,
      url,
      links: { phone_numbers: `${url}/PhoneNumbers` },
      usecase: 'customer_support',
      us_app_to_person_registered: false,
      use_inbound_webhook_on_number: true,
    }
  }

  const listServiceNumbers = (account: TwilioDoubleAccount, serviceSid: string, query: URLSearchParams) => {
    const service = account.messagingServices?.find((entry) => entry.sid === serviceSid)
    if (!service)
      return { status: 404, body: twilioError(404, 20404, 'The requested resource was not found') }
    const now = new Date().toISOString()
    const numbers = service.numbers.map((number) => {
      const sid = numberSid(account.sid, number)
      return {
        sid,
        account_sid: account.sid,
        service_sid: service.sid,
        date_created: now,
        date_updated: now,
        phone_number: number,
        country_code: 'US',
        capabilities: ['SMS', 'MMS'],
        url: `${MESSAGING_ORIGIN}/v1/Services/${service.sid}/PhoneNumbers/${sid}`,
      }
    })
    return {
      status: 200,
      body: v1Page(`/v1/Services/${service.sid}/PhoneNumbers`, 'phone_numbers', numbers, query),
    }
  }

  const route = (
    matched: MatchedOperation,
    { account, showsAuthToken }: { account: TwilioDoubleAccount; showsAuthToken: boolean },
    params: Record<string, unknown>,
    query: URLSearchParams,
    answer: (status: number, body: unknown) => void,
    drop: () => void,
  ) => {
    const key = `${matched.method} ${matched.template}`
    if (key === `post ${MESSAGES}`) {
      const failed = faults.failNext
      if (failed && failed.count > 0) {
        failed.count -= 1
        const throttled = failed.status === 429
        return answer(
          failed.status,
          twilioError(
            failed.status,
            throttled ? 20429 : 20500,
            throttled ? 'Too Many Requests' : 'Internal Server Error',
          ),
        )
      }
      const result = createMessage(account, params)
      const lost = faults.loseNextAnswers
      if (result.status === 201 && lost && lost.count > 0) {
        lost.count -= 1
        if (lost.answer === 'drop') return drop()
        return answer(lost.answer, twilioError(lost.answer, 20500, 'Internal Server Error'))
      }
      return answer(result.status, result.body)
    }
    if (key === `get ${MESSAGES}`) return answer(200, listMessages(account, query))
    if (key === `get ${INCOMING_NUMBERS}`) return answer(200, listIncomingNumbers(account, query))
    if (key === `get ${INCOMING_NUMBER}` || key === `post ${INCOMING_NUMBER}`) {
      const updated = updateIncomingNumber(
        account,
        matched.pathParams.Sid ?? '',
        key.startsWith('post') ? params : {},
      )
      return answer(updated.status, updated.body)
    }
    if (key === `get ${ACCOUNT}`) return answer(200, accountResource(account, showsAuthToken))
    if (key === `get ${SERVICES}`) {
      const services = (account.messagingServices ?? []).map((service) =>
        messagingServiceResource(account, service.sid, service.friendlyName),
      )
      return answer(200, v1Page(SERVICES, 'services', services, query))
    }
    if (key === `get ${SERVICE_NUMBERS}`) {
      const listed = listServiceNumbers(account, matched.pathParams.ServiceSid ?? '', query)
      return answer(listed.status, listed.body)
    }
    if (key === `get ${MESSAGE}`) {
      const message = messages.get(matched.pathParams.Sid ?? '')
      if (!message || message.account_sid !== account.sid) {
        return answer(404, twilioError(404, 20404, 'The requested resource was not found'))
      }
      return answer(200, message)
    }
    return answer(
      501,
      twilioError(
        501,
        20501,
        `The Twilio double does not implement ${matched.method.toUpperCase()} ${matched.template}`,
      ),
    )
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('twilio double failed', { error })
      if (!response.headersSent) response.writeHead(500).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  for (const entry of journal?.restored ?? []) {
    const { sid } = entry.message
    messages.set(sid, entry.message)
    if (entry.reported) reported.set(sid, entry.reported)
    if (entry.statusCallback === null) continue
    statusCallbacks.set(sid, entry.statusCallback)
    if (callbackDelayMs > 0) runLifecycle(sid, String(entry.message.to), entry.reported)
  }

  const receiveSms = async (text: CustomerText): Promise<InboundResult> => {
    const account = accounts.get(text.accountSid)
    if (!account) throw new Error(`The double holds no account ${text.accountSid}`)
    const keyword = consentKeyword(text.body)
    const key = pair(text.to, text.from)
    const wasBlocked = blocked.has(key)
    if (keyword?.kind === 'opt_out') blocked.add(key)
    if (keyword?.kind === 'opt_in') blocked.delete(key)
    if (keyword && !(keyword.kind === 'help' && wasBlocked))
      autoReplies.push({ from: text.to, to: text.from, body: keywordReplies[keyword.kind] })
    logger.info('customer text received', { keyword: keyword?.kind })
    const { smsUrl } = webhooksOf(account.sid, text.to)
    if (text.relayUrl === undefined && smsUrl === null)
      throw new Error(`${text.to} has no SmsUrl: Twilio would post the text nowhere`)
    return postInboundSms({
      ...(text.relayUrl === undefined ? { webhookUrl: smsUrl ?? '' } : { relayUrl: text.relayUrl }),
      accountSid: account.sid,
      authToken: account.authToken,
      to: text.to,
      from: text.from,
      body: text.body,
    })
  }

  return {
    url: `http://127.0.0.1:${port}`,
    receiveSms,
    autoReplies,
    requests,
    callbacks,
    droppedCallbacks,
    messages,
    api,
    setFaults(next) {
      faults = {
        ...next,
        ...(next.failNext ? { failNext: { ...next.failNext } } : {}),
        ...(next.loseNextAnswers ? { loseNextAnswers: { ...next.loseNextAnswers } } : {}),
        ...(next.unreliableCallbacks ? { unreliableCallbacks: { ...next.unreliableCallbacks } } : {}),
        ...(next.refuseTo ? { refuseTo: { ...next.refuseTo } } : {}),
        ...(next.undeliveredTo ? { undeliveredTo: { ...next.undeliveredTo } } : {}),
      }
    },
    sendStatusCallback,
    webhooksOf,
    async settled() {
      while (pending.size > 0) await Promise.all([...pending])
    },
    async stop() {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
