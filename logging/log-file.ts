import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pinoRoll from 'pino-roll'

export interface LogFileOptions {
  dir: string
  /** Files are `<dir>/<name>.<n>.log`, n counting up as they roll. */
  name: string
  /** The file being written is rolled once it reaches this size. */
  maxKilobytes?: number
  /** Files kept in all, the one being written included; older ones are deleted, whichever run wrote them. */
  files?: number
}

export type LogFile = Awaited<ReturnType<typeof pinoRoll>>

/** At most about 25 MB of logs on an agent's disk: five files of 5 MB. */
const defaults = { maxKilobytes: 5 * 1024, files: 5 }

/**
 * A size-rotated JSON log file. pino-roll is pino's own rolling destination: used
 * in this thread (not as a pino transport, which runs in a worker thread that
 * loads modules by path, something neither Electron's bundle nor its asar
 * archive serves), and synchronous, so every line is on disk when the call that
 * logged it returns, even if the process exits or crashes right after.
 */
export function openLogFile(options: LogFileOptions): Promise<LogFile> {
  const maxKilobytes = options.maxKilobytes ?? defaults.maxKilobytes
  // pino-roll's count, with removeOtherLogFiles, is the number of files left in all.
  const files = options.files ?? defaults.files
  mkdirSync(options.dir, { recursive: true })
  return pinoRoll({
    file: join(options.dir, options.name),
    extension: '.log',
    size: `${maxKilobytes}k`,
    sync: true,
    limit: { count: files, removeOtherLogFiles: true },
  })
}
