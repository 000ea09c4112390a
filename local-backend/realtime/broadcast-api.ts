import type { PGlite } from '@electric-sql/pglite'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Logger } from '../../src/shared/log.ts'
import { deliverServerBroadcast } from './broadcast.ts'
import type { ChannelRegistry } from './channels.ts'
import type { Claims, TokenCheck, TokenVerifier } from './jwt.ts'
import { RlsPolicyError, writeAccess } from './topic-policies.ts'

const blank = "can't be blank"

const apiMessageSchema = z.object({
  topic: z.string().trim().min(1, blank),
  event: z.string().trim().min(1, blank),
  payload: z.record(z.string(), z.unknown()),
  private: z.boolean().optional(),
  id: z.string().optional(),
})
const apiBroadcastSchema = z.object({ messages: z.array(apiMessageSchema).min(1, blank) })

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const unauthorized = () => json({ message: 'Unauthorized' }, 401)
const accepted = () => new Response(null, { status: 202 })

/**
 * Ecto's changeset errors, as Realtime's API renders a refused batch (422):
 * `{"errors":{"messages":[{}, {"topic":["can't be blank"]}]}}`, one entry per
 * message; a field that is absent or blank "can't be blank", a wrong one "is invalid".
 */
function changesetErrors(error: z.ZodError, body: unknown): Record<string, unknown> {
  const given = (body as { messages?: unknown } | null)?.messages
  if (!Array.isArray(given)) return { messages: [given === undefined ? blank : 'is invalid'] }
  const perMessage: Record<string, string[]>[] = given.map(() => ({}))
  for (const issue of error.issues) {
    const [, index, field] = issue.path
    if (typeof index !== 'number' || typeof field !== 'string') return { messages: [blank] }
    const value = (given[index] as Record<string, unknown> | null)?.[field]
    ;(perMessage[index]![field] ??= []).push(
      value === undefined || issue.message === blank ? blank : 'is invalid',
    )
  }
  return { messages: perMessage }
}

/** The caller's token, as Realtime's API reads it: the bearer token, else the apikey. */
function accessToken(headers: Headers): string | undefined {
  const authorization = headers.get('authorization')
  if (authorization) {
    const [scheme, token] = authorization.split(' ')
    if (scheme?.toLowerCase() === 'bearer' && token) return token
  }
  return headers.get('apikey') ?? undefined
}

export interface BroadcastApiContext {
  db: PGlite
  tokens: TokenVerifier
  channels: ChannelRegistry
  logger: Logger
}

/** Whether the caller may broadcast on a private topic; a policy that fails to run is its own answer. */
async function writeOutcome(
  context: BroadcastApiContext,
  topic: string,
  claims: Claims,
): Promise<'allowed' | 'refused' | 'policy_error'> {
  try {
    return (await writeAccess(context.db, topic, claims, 'broadcast')) ? 'allowed' : 'refused'
  } catch (error) {
    if (!(error instanceof RlsPolicyError)) throw error
    context.logger.warn('realtime API broadcast policy failed', { error })
    return 'policy_error'
  }
}

async function verifiedCaller(context: BroadcastApiContext, c: Context): Promise<TokenCheck | undefined> {
  const token = accessToken(c.req.raw.headers)
  return token === undefined ? undefined : context.tokens.verify(token)
}

/**
 * `POST /broadcast`: a batch from a server or an app. Public messages go out as
 * they are; private ones only on topics whose INSERT policies on realtime.messages
 * let the caller write there. Hosted answers 202 either way, so a refused topic is
 * not revealed.
 */
async function batchBroadcast(context: BroadcastApiContext, c: Context): Promise<Response> {
  const check = await verifiedCaller(context, c)
  if (!check?.ok) return unauthorized()
  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    return json({ errors: { messages: [blank] } }, 422)
  }
  const parsed = apiBroadcastSchema.safeParse(body)
  if (!parsed.success) return json({ errors: changesetErrors(parsed.error, body) }, 422)
  const allowedTopics = new Map<string, boolean>()
  for (const message of parsed.data.messages) {
    const isPrivate = message.private === true
    if (isPrivate) {
      let allowed = allowedTopics.get(message.topic)
      if (allowed === undefined) {
        allowed = (await writeOutcome(context, message.topic, check.claims)) === 'allowed'
        allowedTopics.set(message.topic, allowed)
      }
      if (!allowed) continue
    }
    deliverServerBroadcast(context.channels.audience(`realtime:${message.topic}`, isPrivate, 'broadcast'), {
      event: message.event,
      payload: { json: message.payload },
      meta: message.id === undefined ? undefined : { id: message.id },
      asUserBroadcast: false,
    })
  }
  return accepted()
}

/** The body of a single-message broadcast, by its Content-Type (none means JSON, as hosted allows). */
async function singlePayload(
  c: Context,
): Promise<{ json: unknown } | { binary: Uint8Array } | 'unsupported' | 'blank'> {
  const type = (c.req.header('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/octet-stream') {
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    return bytes.length === 0 ? 'blank' : { binary: bytes }
  }
  if (type !== 'application/json') return 'unsupported'
  const text = await c.req.text()
  if (text.trim() === '') return 'blank'
  try {
    return { json: JSON.parse(text) as unknown }
  } catch {
    return 'blank'
  }
}

/**
 * `POST /broadcast/:topic/events/:event[?private=true]`, the single-message API that
 * supabase-js's `httpSend()` uses. Unlike the batch, a refused private topic is
 * answered 403, as hosted does.
 */
async function singleBroadcast(context: BroadcastApiContext, c: Context): Promise<Response> {
  const payload = await singlePayload(c)
  if (payload === 'unsupported') {
    return json({ error: 'Unsupported Media Type. Use application/json or application/octet-stream' }, 415)
  }
  const check = await verifiedCaller(context, c)
  if (!check?.ok) return unauthorized()
  if (payload === 'blank') return json({ errors: { payload: [blank] } }, 422)
  const topic = c.req.param('topic') ?? ''
  const event = c.req.param('event') ?? ''
  const isPrivate = c.req.query('private') === 'true'
  if (isPrivate) {
    const outcome = await writeOutcome(context, topic, check.claims)
    if (outcome === 'refused') return json({ message: 'Unauthorized' }, 403)
    if (outcome === 'policy_error') return json({ message: 'RLS policy error' }, 422)
  }
  deliverServerBroadcast(context.channels.audience(`realtime:${topic}`, isPrivate, 'broadcast'), {
    event,
    payload,
    meta: undefined,
    asUserBroadcast: true,
  })
  return accepted()
}

/** Realtime's REST API (`/realtime/v1/api`): broadcast to a topic's members without joining it. */
export function createBroadcastApi(context: BroadcastApiContext): Hono {
  const app = new Hono()
  app.post('/broadcast', (c) => batchBroadcast(context, c))
  app.post('/broadcast/:topic/events/:event', (c) => singleBroadcast(context, c))
  return app
}
