import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { z } from 'zod'
import { writeAtomically } from '../db/write-atomically.ts'

/**
 * The Twilio double's memory on disk. Real Twilio outlives a crash of our backend;
 * the embedded double runs in the same process, so it writes each Message resource
 * (and the last status its status callback had acknowledged) before it answers, and
 * a restarted double carries on from there instead of forgetting what it sent.
 */
export const journalEntrySchema = z.object({
  message: z.record(z.string(), z.unknown()).and(z.object({ sid: z.string(), status: z.string() })),
  statusCallback: z.string().nullable(),
  /** The newest status whose callback the receiver answered with a 2xx; null before any. */
  reported: z.string().nullable(),
})
export type JournalEntry = z.infer<typeof journalEntrySchema>

/** The latest entry per message, in the order the messages were created. */
export function readMessageJournal(file: string): JournalEntry[] {
  if (!existsSync(file)) return []
  const latest = new Map<string, JournalEntry>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue
    // A process killed mid-append leaves at most its last line torn: it never reached Twilio's answer.
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      continue
    }
    const parsed = journalEntrySchema.safeParse(raw)
    if (parsed.success) latest.set(parsed.data.message.sid, parsed.data)
  }
  return [...latest.values()]
}

export interface MessageJournal {
  restored: JournalEntry[]
  /** Appended synchronously: once it returns, a SIGKILL cannot lose the entry. */
  record(entry: JournalEntry): void
}

/** Reads the journal and rewrites it compacted (one line per message), so it grows with messages, not with restarts. */
export function openMessageJournal(file: string): MessageJournal {
  const restored = readMessageJournal(file)
  writeAtomically(file, restored.map((entry) => `${JSON.stringify(entry)}\n`).join(''))
  return {
    restored,
    record: (entry) => appendFileSync(file, `${JSON.stringify(entry)}\n`),
  }
}
