import { z } from 'zod'
import type { LifecycleEvent } from '../src/shared/log.ts'

/**
 * A log destination for a person at a terminal: of all the JSON records it is
 * handed, it prints a human line for the lifecycle events below and for errors,
 * and drops everything else (the log file has it all).
 */
// Any record is a pino record with a level and a message; a field of another
// shape than the reporter reads (a string `code`, a string `error`) is left out, never a reason to drop the line.
const recordSchema = z.looseObject({
  level: z.string(),
  msg: z.string(),
  lifecycle: z.string().optional().catch(undefined),
  url: z.string().optional().catch(undefined),
  code: z.number().nullable().optional().catch(undefined),
  signal: z.string().nullable().optional().catch(undefined),
  error: z.object({ message: z.string() }).optional().catch(undefined),
})
type TerminalRecord = z.infer<typeof recordSchema>

export function createTerminalReporter(print: (line: string) => void): { write(line: string): void } {
  // After a crash, the backend's next start is a restart, and the person is told so.
  let crashed = false
  const lines: Record<LifecycleEvent, (record: TerminalRecord) => string> = {
    'backend.starting': () =>
      crashed ? 'Restarting the embedded backend…' : 'Starting the embedded backend…',
    'backend.ready': (record) => {
      const line = crashed
        ? `The embedded backend is running again at ${record.url}.`
        : `The embedded backend is ready at ${record.url}.`
      crashed = false
      return line
    },
    'backend.crashed': (record) => {
      crashed = true
      const how = record.signal ? `signal ${record.signal}` : `exit code ${record.code}`
      return `The embedded backend stopped unexpectedly (${how}).`
    },
    'relay.listening': (record) => `The relay is listening on ${record.url}.`,
  }
  const human = (record: TerminalRecord): string | null => {
    if (record.lifecycle !== undefined && Object.hasOwn(lines, record.lifecycle))
      return lines[record.lifecycle as LifecycleEvent](record)
    if (record.level !== 'error' && record.level !== 'fatal') return null
    return record.error ? `Error: ${record.msg}: ${record.error.message}` : `Error: ${record.msg}`
  }
  return {
    write(line) {
      let json: unknown
      try {
        json = JSON.parse(line)
      } catch {
        return
      }
      const record = recordSchema.safeParse(json)
      if (!record.success) return
      const text = human(record.data)
      if (text !== null) print(text)
    },
  }
}
