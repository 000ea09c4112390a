import type { z } from 'zod'
import { err, ok, type Result } from '../../shared/errors.ts'
import { relayErrorResponseSchema } from '../../shared/relay-contract.ts'
import type { SessionService } from '../session/session.ts'

/** Long enough for the relay to page through an account's numbers at Twilio. */
const TIMEOUT_MS = 30_000

const parsedJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * One request to the relay on the signed-in agent's behalf (an admin action, which
 * the relay checks against their role), answered as the relay's own error when it
 * refuses, and as `schema` reads the answer when it accepts. Unlike a send it is
 * never queued: the admin waits for the answer, or is told it did not come.
 */
export async function callRelay<T>(
  runtime: { session: SessionService; relayUrl: string },
  path: string,
  body: unknown,
  schema: z.ZodType<T>,
): Promise<Result<T>> {
  const token = await runtime.session.accessToken()
  if (!token) return err('unauthorized', 'Please sign in first.')
  let response: Response
  try {
    response = await fetch(`${runtime.relayUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch {
    return err('offline', 'The relay could not be reached. Check the connection and try again.')
  }
  const json = parsedJson(await response.text().catch(() => ''))
  if (!response.ok) {
    const refused = relayErrorResponseSchema.safeParse(json)
    return refused.success
      ? { ok: false, error: refused.data.error }
      : err('upstream', `The relay answered HTTP ${response.status}.`)
  }
  const answer = schema.safeParse(json)
  return answer.success ? ok(answer.data) : err('upstream', 'The relay answered with an unexpected body.')
}
