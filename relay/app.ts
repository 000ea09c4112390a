import type { SupabaseClient } from '@supabase/supabase-js'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import twilio from 'twilio'
import { z } from 'zod'
import { consentKeyword } from '../src/shared/consent-keywords.ts'
import { e164Schema as e164 } from '../src/shared/domain.ts'
import { appError, type ErrorKind } from '../src/shared/errors.ts'
import type { Logger } from '../src/shared/log.ts'
import {
  claimNumberRequestSchema,
  configureNumberRequestSchema,
  connectTwilioRequestSchema,
  importNumbersRequestSchema,
  workspaceRequestSchema,
  type AccountNumbersResponse,
  type ConfigureNumberResponse,
  type TwilioConnectionResponse,
  relayMessageSchema,
  SMS_BODY_MAX,
  sendMessageRequestSchema,
  sendSettled,
  startConversationRequestSchema,
  type ArrivedMessage,
  type ClaimNumberResponse,
  type SendCollisionResponse,
  type SendMessageRequest,
  type SendMessageResponse,
  type StartConversationResponse,
  type SweepCounts,
} from '../src/shared/relay-contract.ts'
import { parseTextablePhone } from '../src/shared/phone.ts'
import { createAgentVerifier } from './agent-token.ts'
import { defaultRateLimits, type RelayConfig } from './config.ts'
import { createLeasedSender, sendRoute, systemClock, type SendDeps } from './leased-send.ts'
import { isLoopbackAddress, socketAddress } from './loopback.ts'
import { createMemberActions } from './member-actions.ts'
import {
  changeMemberRoleRequestSchema,
  inviteMemberRequestSchema,
  removeMemberRequestSchema,
  revokeInvitationRequestSchema,
} from '../src/shared/member-admin-contract.ts'
import type { Result } from '../src/shared/errors.ts'
import { provenNumber } from './number-ownership.ts'
import type { RateDecision } from '../src/shared/rate-limit.ts'
import { createStore, StoreError, type ReplyGuard } from './store.ts'
import { createSweep } from './sweeper.ts'
import { statusChange } from './twilio-send.ts'
import { createTwilioSetup } from './twilio-setup.ts'

export interface RelayDeps extends SendDeps {
  /** A supabase-js client holding the secret key. */
  supabase: SupabaseClient
  logger: Logger
  /** The calling IP when the server knows it (the Node and Deno adapters pass their socket in `env`). */
  clientIp?: (request: Request, env: unknown) => string | undefined
}

type HonoEnv = { Variables: { requestId: string; logger: Logger } }

/** A JSON body (a send, a number) is tiny; Twilio's webhooks are forms of a few kilobytes. */
const JSON_BODY_LIMIT = 16 * 1024
const WEBHOOK_BODY_LIMIT = 64 * 1024

const httpStatus: Record<ErrorKind, 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  collision: 409,
  opted_out: 409,
  not_configured: 409,
  payload_too_large: 413,
  rate_limited: 429,
  offline: 503,
  upstream: 502,
  internal: 500,
}

class HttpError extends Error {
  readonly kind: ErrorKind
  readonly status: number
  /** Fields the answer carries beside `error`, as its contract schema names them. */
  readonly extra: Record<string, unknown>

  constructor(
    kind: ErrorKind,
    message: string,
    status: number = httpStatus[kind],
    extra: Record<string, unknown> = {},
  ) {
    super(message)
    this.kind = kind
    this.status = status
    this.extra = extra
  }
}

function fail(kind: ErrorKind, message: string, status?: number): never {
  throw new HttpError(kind, message, status)
}

/** The guard a send asks for: none when it predates the guard or its author sends anyway. */
function replyGuard(request: SendMessageRequest): ReplyGuard | null {
  if (request.send_anyway === true || request.seen_message_id === undefined) return null
  return { seenMessageId: request.seen_message_id }
}

/** Refuses a reply the guard stopped, naming what arrived (SendCollisionResponse). */
function failCollision(arrived: ArrivedMessage[]): never {
  const fromCustomer = arrived.filter((message) => message.direction === 'inbound').length
  const fromTeam = arrived.length - fromCustomer
  const what = [
    fromCustomer > 0 ? `the customer sent ${fromCustomer} message${fromCustomer === 1 ? '' : 's'}` : null,
    fromTeam > 0 ? `teammates sent ${fromTeam} repl${fromTeam === 1 ? 'y' : 'ies'}` : null,
  ]
    .filter(Boolean)
    .join(' and ')
  const body: Omit<SendCollisionResponse, 'error'> = { arrived }
  throw new HttpError(
    'collision',
    `Not sent: since the last message you saw, ${what}. Read them, then edit your reply or send it anyway.`,
    httpStatus.collision,
    body,
  )
}

const inboundSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a Twilio message SID'),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID'),
  From: e164,
  To: e164,
  Body: z.string().max(SMS_BODY_MAX).default(''),
  NumMedia: z.coerce.number().int().min(0).default(0),
})

const statusSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a Twilio message SID'),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID'),
  MessageStatus: z.string().min(1),
  ErrorCode: z.string().optional(),
})

const issuesText = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

/**
 * The SMS relay: the only holder of Twilio credentials and the secret key.
 * Stateless, so any number of replicas may run behind a load balancer; the
 * database's constraints and triggers make concurrent requests safe.
 */
export function createRelayApp(config: RelayConfig, deps: RelayDeps): Hono<HonoEnv> {
  const clock = deps.clock ?? systemClock
  const limits = config.rateLimits ?? defaultRateLimits
  const store = createStore(deps.supabase)
  const verifyAgent = createAgentVerifier({ supabaseUrl: config.supabaseUrl, supabase: deps.supabase })
  const sender = createLeasedSender(config, deps, store)
  const twilioSetup = createTwilioSetup({
    store,
    twilioClient: deps.twilioClient,
    publicUrl: config.publicUrl,
  })
  const clientIp = deps.clientIp ?? defaultClientIp(config.trustProxy)
  // A proxy or the embedded backend may hand the request on with the public path
  // still in front; routes are matched on what follows it. An Edge Function runtime
  // hands it on as /<function name>/…, whatever name the function was deployed under.
  const mountPath = new URL(config.publicUrl).pathname.replace(/\/+$/, '')

  const app = new Hono<HonoEnv>({
    getPath: (request) => {
      const { pathname } = new URL(request.url)
      if (mountPath && (pathname === mountPath || pathname.startsWith(`${mountPath}/`))) {
        return pathname.slice(mountPath.length) || '/'
      }
      if (config.edgeFunction) return pathname.replace(/^\/[^/]+/, '') || '/'
      return pathname
    },
  })

  app.use(async (c, next) => {
    const requestId = crypto.randomUUID()
    const logger = deps.logger.child({ requestId })
    c.set('requestId', requestId)
    c.set('logger', logger)
    const started = clock.now()
    await next()
    c.header('X-Request-Id', requestId)
    logger.info('request', {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: clock.now() - started,
    })
  })

  // A relay for programs on this machine only (the desktop's embedded one) asks the
  // socket who is calling, never a header, which the caller writes itself.
  if (config.localOnly) {
    app.use(async (c, next) => {
      if (!isLoopbackAddress(socketAddress(c.env)))
        fail('forbidden', 'This relay answers only programs on the same machine.')
      await next()
    })
  }

  app.onError((error, c) => {
    if (error instanceof HttpError)
      return errorResponse(c, error.kind, error.message, error.status, error.extra)
    c.get('logger').error('unhandled error', { error, code: (error as { code?: unknown }).code })
    return errorResponse(c, 'internal', 'The relay could not complete the request.')
  })
  app.notFound((c) => errorResponse(c, 'not_found', 'No such endpoint.'))

  const limitBody = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) =>
        errorResponse(c, 'payload_too_large', `The request body is larger than ${maxSize} bytes.`),
    })

  app.get('/health', (c) => c.json({ status: 'ok' }))

  /**
   * The agent behind the request's Bearer token, within the per-IP and per-agent
   * limits, and its JSON body as `schema` reads it.
   */
  const agentRequest = async <T>(c: Context<HonoEnv>, schema: z.ZodType<T>) => {
    const ip = clientIp(c.req.raw, c.env) ?? 'unknown'
    enforce(c, await store.takeRateToken(`ip:${ip}`, limits.perIp))

    const header = c.req.header('authorization') ?? ''
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1]
    if (!token) fail('unauthorized', 'A Bearer access token is required.')
    const agent = await verifyAgent(token)
    if (!agent.ok) {
      if (agent.kind === 'unauthorized') fail('unauthorized', 'The access token is invalid or expired.')
      c.get('logger').error('token verification unavailable', { detail: agent.detail })
      fail('offline', 'The token could not be verified right now.')
    }
    const { userId } = agent
    enforce(c, await store.takeRateToken(`agent:${userId}`, limits.perAgent))

    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      fail('invalid_input', 'The body must be application/json.', 415)
    }
    const raw: unknown = await c.req.json().catch(() => fail('invalid_input', 'The body is not valid JSON.'))
    const parsed = schema.safeParse(raw)
    if (!parsed.success) fail('invalid_input', issuesText(parsed.error))
    return { userId, request: parsed.data }
  }

  app.post('/messages', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await agentRequest(c, sendMessageRequestSchema)

    // Independent reads, in one round trip's time; the membership answer still decides first.
    const [role, contact, sending] = await Promise.all([
      store.memberRole(request.workspace_id, userId),
      store.contact(request.workspace_id, request.contact_id),
      store.sendingConfig(request.workspace_id, request.from_number),
    ])
    if (!role) fail('forbidden', 'You are not a member of this workspace.')
    if (!contact) fail('not_found', 'This contact does not belong to the workspace.')
    if (sending === 'not_held')
      fail('invalid_input', `${request.from_number} is not a number of this workspace.`, 422)
    if (!sending) fail('not_configured', 'This workspace has no Twilio account or sending number configured.')
    if (await store.optedOut(request.contact_id, sending.consentSender)) {
      // A reply Twilio already has stays answered as it is; nothing new goes to an opted-out customer.
      const stored = relayMessageSchema.safeParse(await store.message(request.client_message_id))
      if (
        stored.success &&
        request.retry !== true &&
        sendSettled(stored.data) &&
        stored.data.created_by === userId
      )
        return c.json({ message: stored.data, created: false } satisfies SendMessageResponse, 200)
      c.get('logger').info('send refused: the customer opted out', { workspaceId: request.workspace_id })
      fail(
        'opted_out',
        `Not sent: this customer texted STOP to ${sending.from}. They receive no texts from it until they text START.`,
      )
    }

    const logger = c
      .get('logger')
      .child({ workspaceId: request.workspace_id, messageId: request.client_message_id })
    let leaseFrom = clock.now()
    const guard = replyGuard(request)
    const outcome = await store.insertOutbound(
      {
        id: request.client_message_id,
        workspace_id: request.workspace_id,
        contact_id: request.contact_id,
        content: request.body,
        created_by: userId,
        workspace_number: sending.from,
      },
      config.sendLeaseMs,
      guard,
    )
    if (outcome.kind === 'collision') {
      logger.info('reply refused by the collision guard', { arrived: outcome.arrived.length })
      failCollision(outcome.arrived)
    }
    if (outcome.kind === 'note')
      fail('invalid_input', 'This id is an internal note: notes are never sent as SMS.', 422)
    if (outcome.kind === 'seen_elsewhere')
      fail('invalid_input', 'seen_message_id is not a message of this conversation.', 422)
    const inserted = outcome.kind === 'inserted' ? outcome.message : null
    if (inserted && request.send_anyway === true) logger.info('reply sent past the collision guard')
    deps.faultHook?.('after-insert')

    let message = inserted
    if (!message) {
      const existing = relayMessageSchema.safeParse(await store.message(request.client_message_id))
      const same =
        existing.success &&
        existing.data.workspace_id === request.workspace_id &&
        existing.data.contact_id === request.contact_id &&
        existing.data.created_by === userId
      if (!same) fail('conflict', 'This client_message_id already belongs to another message.')
      const stored = existing.data
      // A repeat drives a send left in doubt (its relay died before storing Twilio's
      // answer) to an end, as the sweep would; the desktop repeats until it has ended.
      const reopen = request.retry === true && stored.status === 'failed' && stored.twilio_sid === null
      if (!reopen && sendSettled(stored)) {
        logger.info('repeated send answered from the stored message', { status: stored.status })
        return c.json({ message: stored, created: false } satisfies SendMessageResponse, 200)
      }
      leaseFrom = clock.now()
      if (!(await store.claimSend(stored.id, config.sendLeaseMs, reopen))) {
        logger.info('repeated send answered while another relay holds it')
        const current = await store.outbound(stored.id)
        return c.json({ message: current, created: false } satisfies SendMessageResponse, 200)
      }
      logger.info(reopen ? 'retrying a send Twilio never accepted' : 'resolving a send left in doubt')
      message = stored
    }

    const sent = await sender.send(
      message,
      sendRoute(sending, deps.twilioClient(sending.credentials), contact.phone_number),
      { leaseFrom, inDoubt: inserted === null },
      logger,
    )
    return c.json(
      { message: sent, created: inserted !== null } satisfies SendMessageResponse,
      inserted ? 201 : 200,
    )
  })

  /** An agent request (see agentRequest) from an owner or admin of the workspace its body names. */
  const adminRequest = async <T extends { workspace_id: string }>(
    c: Context<HonoEnv>,
    schema: z.ZodType<T>,
    /** What only they may do, for the refusal. */
    what = 'manages its Twilio account and numbers',
  ) => {
    const { userId, request } = await agentRequest(c, schema)
    const role = await store.memberRole(request.workspace_id, userId)
    if (role !== 'owner' && role !== 'admin')
      fail('forbidden', `Only the workspace's owner or an admin ${what}.`)
    return { userId, request }
  }
  const answered = <T>(result: Result<T>): T => {
    if (!result.ok) fail(result.error.kind, result.error.message)
    return result.value
  }

  app.post('/admin/twilio/connection', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { request } = await adminRequest(c, workspaceRequestSchema)
    const connection = await twilioSetup.connection(request.workspace_id)
    return c.json({ connection } satisfies TwilioConnectionResponse)
  })

  app.post('/admin/twilio/connect', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await adminRequest(c, connectTwilioRequestSchema)
    const connection = answered(await twilioSetup.connect(request.workspace_id, userId, request))
    c.get('logger').info('Twilio account connected', {
      workspaceId: request.workspace_id,
      withApiKey: connection.api_key_sid !== null,
    })
    return c.json({ connection } satisfies TwilioConnectionResponse)
  })

  app.post('/admin/twilio/numbers', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { request } = await adminRequest(c, workspaceRequestSchema)
    return c.json(answered(await twilioSetup.numbers(request.workspace_id)) satisfies AccountNumbersResponse)
  })

  app.post('/admin/twilio/import', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await adminRequest(c, importNumbersRequestSchema)
    const numbers = answered(
      await twilioSetup.importNumbers(request.workspace_id, userId, request.number_sids),
    )
    return c.json(numbers satisfies AccountNumbersResponse)
  })

  app.post('/admin/twilio/configure', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await adminRequest(c, configureNumberRequestSchema)
    const configured = answered(
      await twilioSetup.configureNumber(request.workspace_id, userId, request.number_sid),
    )
    return c.json(configured satisfies ConfigureNumberResponse)
  })

  /**
   * A conversation an agent starts (issue 19): the number is checked here as the desktop
   * checked it, since only the relay may create contacts (RLS), and a number is texted
   * wherever its contact row says.
   */
  app.post('/contacts', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await agentRequest(c, startConversationRequestSchema)
    if (!(await store.memberRole(request.workspace_id, userId)))
      fail('forbidden', 'You are not a member of this workspace.')
    const phone = parseTextablePhone(request.phone_number, null)
    if (!phone.ok) fail('invalid_input', phone.error.message, 422)
    let outcome: Awaited<ReturnType<typeof store.upsertContact>>
    try {
      outcome = await store.upsertContact(request.workspace_id, phone.value.e164, request.contact_id)
    } catch (error) {
      // The id names a contact of another number (or workspace): never rebind it.
      if (error instanceof StoreError && error.code === '23505')
        fail('conflict', 'This contact_id already belongs to another contact.')
      throw error
    }
    c.get('logger').info('conversation started', {
      workspaceId: request.workspace_id,
      contactId: outcome.contact.id,
      created: outcome.created,
    })
    return c.json(outcome satisfies StartConversationResponse, outcome.created ? 201 : 200)
  })

  /**
   * A number routes the texts sent to it into the workspace holding it, so it is
   * stored only once Twilio shows that the workspace's own account owns it (RLS
   * lets no agent insert one).
   */
  app.post('/numbers', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { request } = await adminRequest(c, claimNumberRequestSchema, 'adds numbers')
    const credentials = await store.credentials(request.workspace_id)
    if (!credentials)
      fail('not_configured', 'Connect the workspace to its Twilio account before adding numbers.')

    const logger = c.get('logger').child({ workspaceId: request.workspace_id })
    const proven = await provenNumber(
      deps.twilioClient(credentials),
      request.workspace_id,
      request.phone_number,
    )
    if (!proven.ok) {
      logger.warn('number ownership could not be checked', { kind: proven.error.kind })
      fail(proven.error.kind, proven.error.message)
    }
    if (!proven.value) {
      logger.warn('number claim refused: not on the workspace account')
      fail(
        'invalid_input',
        `${request.phone_number} is not a number of this workspace's Twilio account. Buy or port it into that account first.`,
        422,
      )
    }
    const inserted = await store.insertNumber(proven.value)
    const number = inserted ?? (await store.number(request.phone_number))
    if (!number || number.workspace_id !== request.workspace_id)
      fail('conflict', `${request.phone_number} is already in use by another workspace.`)
    logger.info('number added', { twilioSid: number.twilio_sid, created: inserted !== null })
    return c.json({ number, created: inserted !== null } satisfies ClaimNumberResponse, inserted ? 201 : 200)
  })

  // Members: the database functions check the caller's role under the workspace's lock.
  const members = createMemberActions(deps.supabase)
  app.post('/members/invite', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await agentRequest(c, inviteMemberRequestSchema)
    return c.json(answered(await members.invite(userId, request)))
  })
  app.post('/members/role', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await agentRequest(c, changeMemberRoleRequestSchema)
    return c.json(answered(await members.changeRole(userId, request)))
  })
  app.post('/members/remove', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await agentRequest(c, removeMemberRequestSchema)
    return c.json(answered(await members.remove(userId, request)))
  })
  app.post('/members/revoke-invitation', limitBody(JSON_BODY_LIMIT), async (c) => {
    const { userId, request } = await agentRequest(c, revokeInvitationRequestSchema)
    return c.json(answered(await members.revokeInvitation(userId, request)))
  })

  /**
   * Reads a Twilio webhook and checks its signature with the auth token of the
   * workspace that `workspaceFor` names, over the public URL Twilio signed.
   */
  const verifiedWebhook = async (
    c: Context<HonoEnv>,
    route: string,
    workspaceFor: (params: Record<string, string>) => Promise<string>,
  ): Promise<{ params: Record<string, string>; workspaceId: string }> => {
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      fail('invalid_input', 'Twilio webhooks are application/x-www-form-urlencoded.', 415)
    }
    const params = Object.fromEntries(new URLSearchParams(await c.req.text()))
    const workspaceId = await workspaceFor(params)
    const credentials = await store.credentials(workspaceId)
    if (!credentials)
      fail('not_configured', 'The workspace has no Twilio configuration to check the signature with.')
    const signature = c.req.header('x-twilio-signature')
    const url = `${config.publicUrl}${route}${new URL(c.req.url).search}`
    if (!signature || !twilio.validateRequest(credentials.authToken, signature, url, params)) {
      c.get('logger').warn('webhook signature rejected', {
        route,
        workspaceId,
        signaturePresent: Boolean(signature),
      })
      fail('forbidden', 'The Twilio signature is missing or invalid.')
    }
    return { params, workspaceId }
  }

  app.post('/twilio/inbound', limitBody(WEBHOOK_BODY_LIMIT), async (c) => {
    const { params, workspaceId } = await verifiedWebhook(c, '/twilio/inbound', async (params) => {
      const to = e164.safeParse(params.To)
      if (!to.success) fail('invalid_input', `To: ${to.error.issues[0]?.message ?? 'invalid'}`)
      const owner = await store.numberOwner(to.data)
      if (!owner) fail('not_found', 'No workspace owns this number.')
      return owner
    })
    const parsed = inboundSchema.safeParse(params)
    if (!parsed.success) fail('invalid_input', issuesText(parsed.error))
    const inbound = parsed.data
    const contactId = (await store.upsertContact(workspaceId, inbound.From)).contact.id
    const stored = await store.insertInbound({
      workspace_id: workspaceId,
      contact_id: contactId,
      content: inbound.Body,
      twilio_sid: inbound.MessageSid,
      message_type: inbound.NumMedia > 0 ? 'mms' : 'sms',
      workspace_number: inbound.To,
    })
    // Recorded on a repeated webhook too (once per text): the first delivery may have
    // stored the message and died before this.
    const keyword = consentKeyword(inbound.Body)
    if (keyword) {
      await store.recordConsent({
        workspace_id: workspaceId,
        contact_id: contactId,
        sender: await store.consentSender(inbound.To),
        kind: keyword.kind,
        keyword: keyword.keyword,
        source: 'inbound',
        message_id: stored.id,
      })
    }
    c.get('logger').info('inbound message', {
      workspaceId,
      contactId,
      messageSid: inbound.MessageSid,
      duplicate: !stored.created,
      consent: keyword?.kind,
    })
    return c.body(EMPTY_TWIML, 200, { 'Content-Type': 'text/xml; charset=utf-8' })
  })

  app.post('/twilio/status', limitBody(WEBHOOK_BODY_LIMIT), async (c) => {
    let messageId = ''
    // Callbacks for sends made before the URL carried message_id are matched by SID alone.
    const namedId = c.req.query('message_id')
    const { params } = await verifiedWebhook(c, '/twilio/status', async (params) => {
      const sid = statusSchema.shape.MessageSid.safeParse(params.MessageSid)
      if (!sid.success) fail('invalid_input', `MessageSid: ${sid.error.issues[0]?.message ?? 'invalid'}`)
      if (namedId === undefined) {
        const message = await store.messageBySid(sid.data)
        if (!message) fail('not_found', 'No message has this SID.')
        messageId = message.id
        return message.workspace_id
      }
      if (!z.uuid().safeParse(namedId).success) fail('invalid_input', 'message_id must be a UUID.')
      const message = await store.outboundRef(namedId)
      if (!message) fail('not_found', 'No outbound message has this id.')
      // A SID of an earlier attempt that Twilio accepted after all must not take over a retried send's row.
      if (message.twilio_sid !== null && message.twilio_sid !== sid.data)
        fail('conflict', 'The message is bound to another SID.')
      messageId = message.id
      return message.workspace_id
    })
    const parsed = statusSchema.safeParse(params)
    if (!parsed.success) fail('invalid_input', issuesText(parsed.error))
    const callback = parsed.data
    const change = statusChange(callback.MessageStatus, callback.ErrorCode ?? null)
    if (!change) fail('invalid_input', 'MessageStatus is not a Twilio message status.')
    if (change.status !== 'pending') {
      await store.applyStatus(
        namedId === undefined ? { sid: callback.MessageSid } : { sid: callback.MessageSid, messageId },
        change,
      )
    }
    c.get('logger').info('status callback', {
      messageId,
      twilioStatus: callback.MessageStatus,
      twilioErrorCode: callback.ErrorCode,
    })
    return c.body(null, 204)
  })

  const sweep = createSweep(config, deps)
  /**
   * One pass of the sweep, for a scheduler. An Edge Function has no timer that outlives
   * its requests, so pg_cron calls this through pg_net (README); the Node relay sweeps on
   * its own timer and answers this too. The passes' claims are leases in Postgres, so a
   * scheduled pass and any other relay's never take the same row. Only the holder of the
   * project's secret key may start one: a pass calls Twilio for every row it claims.
   */
  app.post('/sweep', async (c) => {
    const ip = clientIp(c.req.raw, c.env) ?? 'unknown'
    enforce(c, await store.takeRateToken(`ip:${ip}`, limits.perIp))
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (!token || !(await sameSecret(token, config.secretKey)))
      fail('unauthorized', 'A sweep needs the project’s secret key as its Bearer token.')
    const counts: SweepCounts = await sweep()
    return c.json(counts)
  })

  return app
}

/** Compares digests, so the time a wrong guess takes says nothing about how much of it was right. */
async function sameSecret(given: string, secret: string): Promise<boolean> {
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  const [a, b] = await Promise.all([digest(given), digest(secret)])
  return a.reduce((difference, byte, i) => difference | (byte ^ b[i]!), 0) === 0
}

function errorResponse(
  c: Context,
  kind: ErrorKind,
  message: string,
  status: number = httpStatus[kind],
  extra: Record<string, unknown> = {},
) {
  return c.json({ ...extra, error: appError(kind, message) }, status as 400)
}

function enforce(c: Context, decision: RateDecision) {
  if (decision.allowed) return
  c.header('Retry-After', String(decision.retryAfterSeconds))
  fail('rate_limited', `Too many requests; retry in ${decision.retryAfterSeconds} s.`)
}

function defaultClientIp(trustProxy: boolean) {
  return (request: Request, env: unknown): string | undefined => {
    if (trustProxy) {
      // The nearest proxy appends the address it saw; earlier entries are the client's say-so.
      const hops = request.headers
        .get('x-forwarded-for')
        ?.split(',')
        .map((hop) => hop.trim())
        .filter(Boolean)
      if (hops?.length) return hops[hops.length - 1]
    }
    return socketAddress(env)
  }
}
