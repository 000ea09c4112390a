import { destination, pino, stdTimeFunctions, type DestinationStream, type Logger as Pino } from 'pino'
import { createLogger as createLineLogger, safeLogFields, type Logger } from '../src/shared/log.ts'

/**
 * The Logger for streams: pino, writing one JSON object per line to the
 * destination it is given (files, stdout). Redaction is by field name at any depth, which pino's
 * path-based `redact` option cannot express, so it runs as pino's log formatter
 * for every record, and on every child's fields before pino binds them.
 */
export function createLogger(component: string, to: DestinationStream): Logger {
  return adapt(
    pino(
      {
        level: 'debug',
        base: { component },
        timestamp: stdTimeFunctions.isoTime,
        formatters: {
          level: (label) => ({ level: label }),
          log: safeLogFields,
        },
      },
      to,
    ),
  )
}

function adapt(log: Pino): Logger {
  return {
    debug: (msg, fields = {}) => log.debug(fields, msg),
    info: (msg, fields = {}) => log.info(fields, msg),
    warn: (msg, fields = {}) => log.warn(fields, msg),
    error: (msg, fields = {}) => log.error(fields, msg),
    child: (fields) => adapt(log.child(safeLogFields(fields))),
  }
}

/**
 * JSON lines on stdout, written synchronously so none is lost when the process
 * exits: for servers whose platform collects stdout, and for the embedded stack's
 * child process, whose parent files each line in the app's log.
 */
export function createStdoutLogger(component: string): Logger {
  return createLogger(component, destination({ fd: 1, sync: true }))
}

/** A logger that keeps its lines, for tests that assert on what was (and was not) logged. */
export function createMemoryLogger(component: string): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  return { logger: createLineLogger(component, (line) => lines.push(line)), lines }
}
