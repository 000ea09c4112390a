/**
 * What every process logs through, and the rules every record obeys wherever it
 * is written. Fields whose names suggest a secret or customer content are replaced
 * before anything is written, so a careless call site cannot leak a token, a
 * credential or an SMS body. The writers (pino, to a rotating file, stdout or
 * memory) live in the Node-only `logging/` folder; this file stays pure.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(fields: LogFields): Logger
}

/**
 * The moments of a process's life a person at the terminal is told about, as the
 * `lifecycle` field of a record. The terminal reporter knows these and errors, nothing else.
 */
export type LifecycleEvent = 'backend.starting' | 'backend.ready' | 'backend.crashed' | 'relay.listening'

const sensitiveField =
  /token|secret|password|passwd|authorization|cookie|apikey|api_key|key$|credential|auth_token|body|content|preview|signature/i

export const REDACTED = '[redacted]'

function redact(value: unknown, depth: number): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = sensitiveField.test(key) ? REDACTED : redact(inner, depth + 1)
  }
  return out
}

/** A record's fields as they may be written: an `error` reduced to its name and message, sensitive fields replaced. */
export function safeLogFields(fields: LogFields): LogFields {
  const out: LogFields = { ...fields }
  if (out.error instanceof Error) out.error = { name: out.error.name, message: out.error.message }
  return redact(out, 0) as LogFields
}

/**
 * A logger that hands each record, as one JSON line in the same shape the pino
 * writers produce, to `writeLine`: for a sink that takes whole lines, such as a
 * test's memory or the conformance runner (../shared/conformance), which starts the
 * embedded backend with this logger and appends the lines to its own log file.
 */
export function createLogger(component: string, writeLine: (line: string) => void): Logger {
  const write = (level: LogLevel, bound: LogFields, msg: string, fields: LogFields = {}) =>
    writeLine(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        component,
        ...bound,
        ...safeLogFields(fields),
        msg,
      }),
    )
  const make = (bound: LogFields): Logger => ({
    debug: (msg, fields) => write('debug', bound, msg, fields),
    info: (msg, fields) => write('info', bound, msg, fields),
    warn: (msg, fields) => write('warn', bound, msg, fields),
    error: (msg, fields) => write('error', bound, msg, fields),
    child: (fields) => make({ ...bound, ...safeLogFields(fields) }),
  })
  return make({})
}
