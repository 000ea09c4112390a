import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import type { Logger, LogLevel } from '../src/shared/log.ts'

/** A pino record as a child process writes it; what the parent's logger adds again is dropped. */
const childRecordSchema = z
  .looseObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
    msg: z.string(),
  })
  .transform(({ level, msg, time: _time, component: _component, ...fields }) => ({
    level: (level === 'trace' ? 'debug' : level === 'fatal' ? 'error' : level) satisfies LogLevel,
    msg,
    fields,
  }))

/**
 * V8 says on stdout which wasm profile it read for each module it compiles
 * (src/main/embedded-stack/wasm-tiering.ts). Only Postgres' module has one: its
 * "Loading" line is what shows the backend runs optimized code, and the "No … found"
 * lines of the other modules are expected.
 */
const v8ProfileRead = /^Loading Wasm PGO data /
const v8ProfileAbsent = /^No Wasm PGO data /

/**
 * Files each line a child process writes into the parent's log, so one process
 * owns the log file and its rotation. A child's record keeps its level, message
 * and fields (redacted again on the way, which changes nothing already redacted);
 * any other text, such as the trace of a crash, is kept as text. Settles once the
 * output has ended and every line of it is logged.
 */
export async function logChildOutput(output: NodeJS.ReadableStream, logger: Logger): Promise<void> {
  const lines = createInterface({ input: output, crlfDelay: Infinity })
  lines.on('line', (line) => {
    if (line.trim() === '') return
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      json = null
    }
    const record = childRecordSchema.safeParse(json)
    if (record.success) logger[record.data.level](record.data.msg, record.data.fields)
    else if (v8ProfileRead.test(line)) logger.info('v8 wasm profile', { text: line })
    else if (v8ProfileAbsent.test(line)) logger.debug('v8 wasm profile', { text: line })
    else logger.warn('child process output', { text: line })
  })
  await once(lines, 'close')
}
