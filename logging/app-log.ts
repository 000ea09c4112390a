import { multistream, type StreamEntry } from 'pino'
import type { Logger } from '../src/shared/log.ts'
import { openLogFile, type LogFileOptions } from './log-file.ts'
import { createLogger, createStdoutLogger } from './logger.ts'
import { createTerminalReporter } from './terminal.ts'

export interface AppLog {
  logger: Logger
  /** The folder of the JSON log files, or null when the JSON lines go to stdout. */
  dir: string | null
  close(): Promise<void>
}

export interface AppLogOptions extends Omit<LogFileOptions, 'name'> {
  /** Names the records' `component` and the files: `<dir>/<component>.<n>.log`. */
  component: string
  /** Given, the terminal reporter prints its few human lines through it. */
  print?: (line: string) => void
}

/** A host process's log: every record as JSON in a rotating file, and the terminal's human lines. */
export async function openAppLog(options: AppLogOptions): Promise<AppLog> {
  const file = await openLogFile({ ...options, name: options.component })
  const streams: StreamEntry[] = [{ level: 'debug', stream: file }]
  if (options.print) streams.push({ level: 'debug', stream: createTerminalReporter(options.print) })
  return {
    logger: createLogger(options.component, multistream(streams)),
    dir: options.dir,
    close: () =>
      new Promise((resolve) => {
        file.once('close', () => resolve())
        file.end()
      }),
  }
}

/**
 * A command-line server's log. While a developer runs it, its stdout is a
 * terminal: JSON to a rotating file under `dir`, human lines on the terminal.
 * Otherwise (a platform collecting stdout, a pipe) the JSON lines go to stdout.
 */
export function openCliLog(component: string, dir: string): Promise<AppLog> {
  if (process.stdout.isTTY) return openAppLog({ component, dir, print: console.log })
  return Promise.resolve({ logger: createStdoutLogger(component), dir: null, close: async () => {} })
}
