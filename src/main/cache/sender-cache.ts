import type { SQLInputValue, StatementSync } from 'node:sqlite'
import type { z } from 'zod'
import {
  consentStateView,
  workspaceNumberView,
  type ConsentState,
  type WorkspaceNumber,
} from '../../shared/consent-and-numbers.ts'
import type { ConsentEventRow } from '../../shared/rows/consent.ts'

type Row = Record<string, SQLInputValue>

/** A state as the server's consent_states row says it, before its event's keyword is joined in. */
export type ConsentStateFields = z.infer<typeof consentStateView.schema>

/** What the cache keeps of a consent event: what a state shows of the event that decided it. */
export type ConsentEventFields = Pick<ConsentEventRow, 'id' | 'workspace_id' | 'keyword' | 'source'>

const statesWithEvents = `select s.*, e.keyword, e.source from consent_states s
  left join consent_events e on e.id = s.event_id`

function toState(row: Row): ConsentState {
  const fields = consentStateView.fromRow({
    ...(row as unknown as z.infer<typeof consentStateView.row>),
    opted_out: Number(row.opted_out) === 1,
  })
  return {
    ...fields,
    keyword: row.keyword === null ? null : String(row.keyword),
    source: row.source === null ? null : (String(row.source) as ConsentState['source']),
  }
}

const toNumber = (row: Row): WorkspaceNumber =>
  workspaceNumberView.fromRow(row as unknown as z.infer<typeof workspaceNumberView.row>)

/**
 * The cache's part for reaching customers (schema.ts, issue 19): the numbers each
 * workspace holds and each (contact, sender) pair's consent. Shares the cache's
 * connection and transactions.
 */
export class SenderCache {
  private readonly stmt: (sql: string) => StatementSync

  constructor(stmt: (sql: string) => StatementSync) {
    this.stmt = stmt
  }

  /** A workspace's numbers as the server lists them now; true when that changed anything. */
  replaceNumbers(workspaceId: string, numbers: readonly WorkspaceNumber[]): boolean {
    const before = JSON.stringify(this.numbers(workspaceId))
    this.stmt('delete from workspace_numbers where workspace_id = ?').run(workspaceId)
    const insert = this.stmt(
      `insert into workspace_numbers (id, workspace_id, phone_number, friendly_name, messaging_service_sid, position)
       values ($id, $workspace_id, $phone_number, $friendly_name, $messaging_service_sid, $position)`,
    )
    numbers.forEach((number, position) => insert.run({ ...workspaceNumberView.toRow(number), position }))
    return JSON.stringify(this.numbers(workspaceId)) !== before
  }

  /** Oldest first, as the server orders them: the first is the workspace's default sender. */
  numbers(workspaceId: string): WorkspaceNumber[] {
    return (
      this.stmt('select * from workspace_numbers where workspace_id = ? order by position').all(
        workspaceId,
      ) as Row[]
    ).map(toNumber)
  }

  /** Keeps an event's keyword; returns the states it decided that are now complete. */
  recordConsentEvent(event: ConsentEventFields): ConsentState[] {
    this.stmt(
      `insert into consent_events (id, workspace_id, keyword, source) values ($id, $workspace_id, $keyword, $source)
       on conflict (id) do nothing`,
    ).run(event)
    return (this.stmt(`${statesWithEvents} where s.event_id = ?`).all(event.id) as Row[]).map(toState)
  }

  /** Applies a server state by pair; an older version never replaces a newer one. Null when nothing changed. */
  upsertConsentState(state: ConsentStateFields): ConsentState | null {
    const row = consentStateView.toRow(state)
    const { changes } = this.stmt(
      `insert into consent_states (workspace_id, contact_id, sender, opted_out, event_id, changed_at, updated_at)
       values ($workspace_id, $contact_id, $sender, $opted_out, $event_id, $changed_at, $updated_at)
       on conflict (contact_id, sender) do update set opted_out = excluded.opted_out,
         event_id = excluded.event_id, changed_at = excluded.changed_at, updated_at = excluded.updated_at
       where excluded.updated_at > consent_states.updated_at`,
    ).run({ ...row, opted_out: row.opted_out ? 1 : 0 })
    if (Number(changes) === 0) return null
    return this.consentOf(state.contactId).find((s) => s.sender === state.sender) ?? null
  }

  /** A contact's consent per sender; a sender not listed never received a keyword (sending is allowed). */
  consentOf(contactId: string): ConsentState[] {
    return (
      this.stmt(`${statesWithEvents} where s.contact_id = ? order by s.sender`).all(contactId) as Row[]
    ).map(toState)
  }

  consentCursor(workspaceId: string): string | null {
    const row = this.stmt('select consent_cursor from sync_state where workspace_id = ?').get(workspaceId) as
      Row | undefined
    return row?.consent_cursor == null ? null : String(row.consent_cursor)
  }

  /** The newest consent updated_at applied; it only moves forward. */
  advanceConsentCursor(workspaceId: string, at: string): void {
    this.stmt(
      `insert into sync_state (workspace_id, consent_cursor) values ($w, $at)
       on conflict (workspace_id) do update set consent_cursor = max(coalesce(consent_cursor, ''), excluded.consent_cursor)`,
    ).run({ w: workspaceId, at })
  }
}
