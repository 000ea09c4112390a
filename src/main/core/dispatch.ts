import type { z } from 'zod'
import {
  events,
  isEventChannel,
  isRequestChannel,
  requestChannels,
  requests,
  type EventChannel,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
} from '../../shared/contract.ts'
import { appErrorSchema, err, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'

/**
 * The one gate every request passes, whatever carried it (Electron IPC, the browser
 * shell's WebSocket): the channel must exist, the payload must match its schema,
 * and the handler's answer must match the response schema. Nothing thrown crosses.
 */
export type Handlers = { [C in RequestChannel]: (payload: RequestOf<C>) => Promise<Result<ResponseOf<C>>> }
/** What one capability answers: a few channels of the contract. */
export type HandlersFor<C extends RequestChannel> = Pick<Handlers, C>

export type Reply = Result<unknown>
export type Dispatch = (channel: string, payload: unknown) => Promise<Reply>

export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'The request is malformed.'
  const where = issue.path.length > 0 ? issue.path.join('.') : 'payload'
  const more =
    error.issues.length > 1
      ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})`
      : ''
  return `Invalid ${where}: ${issue.message}${more}`
}

/**
 * Each capability registers the channels it answers; a channel nobody registered
 * answers like an unknown one. Claiming a channel twice is a wiring mistake, thrown
 * at startup rather than resolved by whichever registered last.
 */
export interface Dispatcher {
  register(handlers: Partial<Handlers>): void
  /** The contract's channels no capability has registered yet. */
  unregistered(): RequestChannel[]
  dispatch: Dispatch
}

export function createDispatcher(handlers: Handlers, logger: Logger): Dispatch {
  const dispatcher = createDispatcherRegistry(logger)
  dispatcher.register(handlers)
  return dispatcher.dispatch
}

export function createDispatcherRegistry(logger: Logger): Dispatcher {
  const registered = new Map<RequestChannel, (payload: unknown) => Promise<Result<unknown>>>()
  return {
    register(handlers) {
      const claimed = requestChannels.filter((channel) => handlers[channel])
      const taken = claimed.find((channel) => registered.has(channel))
      if (taken) throw new Error(`Two capabilities answer ${taken}.`)
      for (const channel of claimed) {
        registered.set(channel, handlers[channel] as (payload: unknown) => Promise<Result<unknown>>)
      }
    },
    unregistered: () => requestChannels.filter((channel) => !registered.has(channel)),
    dispatch: (channel, payload) => answer(registered, logger, channel, payload),
  }
}

async function answer(
  registered: ReadonlyMap<RequestChannel, (payload: unknown) => Promise<Result<unknown>>>,
  logger: Logger,
  channel: string,
  payload: unknown,
): Promise<Reply> {
  if (!isRequestChannel(channel)) return err('invalid_input', 'Unknown request channel.')
  const handler = registered.get(channel)
  if (!handler) return err('invalid_input', 'Unknown request channel.')
  const parsed = requests[channel].request.safeParse(payload)
  if (!parsed.success) return err('invalid_input', describeIssues(parsed.error))
  let result: Result<unknown>
  try {
    result = await handler(parsed.data)
  } catch (error) {
    logger.error('request handler threw', { channel, error })
    return err('internal', 'Something went wrong in the app. Please try again.')
  }
  if (!result.ok) {
    const error = appErrorSchema.safeParse(result.error)
    return error.success
      ? { ok: false, error: error.data }
      : err('internal', 'Something went wrong in the app.')
  }
  const response = requests[channel].response.safeParse(result.value)
  if (!response.success) {
    logger.error('handler answered outside the contract', {
      channel,
      problem: describeIssues(response.error),
    })
    return err('internal', 'The app produced an invalid answer.')
  }
  return { ok: true, value: response.data }
}

/** Validates an outgoing event; an invalid one is logged and dropped, never sent. */
export function checkEvent(
  event: EventChannel,
  payload: unknown,
  logger: Logger,
): { ok: true; payload: unknown } | { ok: false } {
  if (!isEventChannel(event)) return { ok: false }
  const parsed = events[event].safeParse(payload)
  if (!parsed.success) {
    logger.error('dropping an event outside the contract', { event, problem: describeIssues(parsed.error) })
    return { ok: false }
  }
  return { ok: true, payload: parsed.data }
}
