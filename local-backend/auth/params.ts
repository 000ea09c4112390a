import type { z } from 'zod'
import { readJson } from '../http.ts'
import { badJson } from './errors.ts'

/** A request's JSON body checked against its schema, or GoTrue's 400 bad_json naming the first problem. */
export async function readParams<T>(
  request: Request,
  schema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const body = await readJson(request)
  if (!body.ok) return { ok: false, response: badJson(body.message) }
  const parsed = schema.safeParse(body.value ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { ok: false, response: badJson(`${issue.path.join('.')}: ${issue.message}`) }
  }
  return { ok: true, value: parsed.data }
}
