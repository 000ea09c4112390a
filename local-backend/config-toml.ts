import { parse as parseToml } from 'smol-toml'
import type { z } from 'zod'

export type ConfigTomlResult<T> = { ok: true; value: T } | { ok: false; message: string }

/**
 * supabase/config.toml's text checked against the part of it one server reads. An error
 * names the file and the first key that is wrong, so the developer knows what to fix.
 */
export function parseConfigToml<Schema extends z.ZodType>(
  toml: string,
  source: string,
  schema: Schema,
): ConfigTomlResult<z.output<Schema>> {
  let raw: unknown
  try {
    raw = parseToml(toml)
  } catch (error) {
    return { ok: false, message: `${source} is not valid TOML: ${(error as Error).message}` }
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { ok: false, message: `${source}: ${issue.path.join('.')}: ${issue.message}` }
  }
  return { ok: true, value: parsed.data }
}
