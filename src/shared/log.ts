/**
 * Structured JSON logs for every process. Fields whose names suggest a secret or
 * customer content are replaced before anything is written, so a careless call
 * site cannot leak a token, a credential or an SMS body.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>
export type LogSink = (line: string) => void

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(fields: LogFields): Logger
}

const sensitiveField =
  /token|secret|password|passwd|authorization|cookie|apikey|api_key|key$|credential|auth_token|body|content|preview|signature/i

export const REDACTED = '[redacted]'

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = sensitiveField.test(key) ? REDACTED : redact(inner, depth + 1)
  }
  return out
}

function errorFields(error: unknown): unknown {
  if (error instanceof Error) return { name: error.name, message: error.message }
  return error
}

export function createLogger(
  component: string,
  sink: LogSink = (line) => console.log(line),
  base: LogFields = {},
): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const merged: LogFields = { ...base, ...fields }
    if ('error' in merged) merged.error = errorFields(merged.error)
    sink(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        component,
        msg,
        ...(redact(merged) as LogFields),
      }),
    )
  }
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger(component, sink, { ...base, ...fields }),
  }
}

/** A logger that keeps its lines, for tests that assert on what was (and was not) logged. */
export function createMemoryLogger(component: string): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  return { logger: createLogger(component, (line) => lines.push(line)), lines }
}
