import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'
import type { CapturedChange } from './capture.ts'
import { passesFilters } from './change-filters.ts'
import { buildPayload, identityRecord } from './change-payload.ts'
import { visibleKeys, type RlsCheck } from './rls-visibility.ts'
import { tableKey, type ResolvedSubscription } from './subscriptions.ts'
import { TableCatalog, type TableMeta } from './table-meta.ts'

/** A joined channel's postgres_changes side: who it is (claims) and what it asked for. */
export interface ChangeSubscriber {
  role: string
  /** request.jwt.claims as JSON. */
  claimsJson: string
  /** Subscribers with equal keys see the same rows: one RLS check serves them all (see visibilityKey). */
  visibilityKey: string
  subscriptions: ResolvedSubscription[]
  /** Sends one `postgres_changes` message carrying `data` (already JSON) for the given binding ids. */
  send(ids: number[], dataJson: string): void
}

/**
 * The claims that decide what a subscriber sees, for grouping RLS checks: the role
 * and every claim except the token's timestamps (iat, exp, nbf), so that one user's
 * many sessions, tabs and refreshed tokens cost one check per change, not one each.
 */
export function visibilityKey(claims: Record<string, unknown>): string {
  const decisive = Object.entries(claims)
    .filter(([name]) => name !== 'iat' && name !== 'exp' && name !== 'nbf')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return JSON.stringify(decisive)
}

/** The part of a subscriber that follows its token: set at join, replaced when the token changes. */
export function subscriberIdentity(
  claims: Record<string, unknown> & { role: string },
): Pick<ChangeSubscriber, 'role' | 'claimsJson' | 'visibilityKey'> {
  return { role: claims.role, claimsJson: JSON.stringify(claims), visibilityKey: visibilityKey(claims) }
}

export class ChangeDelivery {
  private readonly subscribers = new Set<ChangeSubscriber>()
  private readonly tables: TableCatalog
  private readonly db: PGlite
  private readonly logger: Logger

  constructor(db: PGlite, logger: Logger) {
    this.db = db
    this.logger = logger
    this.tables = new TableCatalog(db)
  }

  add(subscriber: ChangeSubscriber): void {
    this.subscribers.add(subscriber)
  }

  remove(subscriber: ChangeSubscriber): void {
    this.subscribers.delete(subscriber)
  }

  catalogChanged(): void {
    this.tables.invalidate()
  }

  /** The tables (`schema.table`) some subscriber listens to. */
  subscribedTables(): string[] {
    const tables = new Set<string>()
    for (const subscriber of this.subscribers) {
      for (const subscription of subscriber.subscriptions)
        for (const table of subscription.tables) tables.add(table)
    }
    return [...tables]
  }

  /**
   * Delivers a batch of captured changes. Visibility is decided as Postgres would
   * decide a select: the role must be able to select the primary key, the
   * binding's filters must hold, and under RLS the subscriber's claims must be
   * able to select the row (one query per table and distinct claims, for the whole
   * batch). A deleted row is judged as it was, from the captured old row, so a
   * DELETE and the outcome of its filters reach only subscribers who could have
   * selected it. Hosted Realtime is looser here: it cannot check a row that is
   * gone and sends the key of a deleted row to every subscriber whose filters
   * match, so anyone may learn that a row of another tenant matched `eq`, `lt`…
   * The product relies on the stricter rule. The payload still carries only the
   * key under RLS, as hosted's does.
   */
  async deliver(changes: CapturedChange[]): Promise<void> {
    if (this.subscribers.size === 0 || changes.length === 0) return
    const subscribers = [...this.subscribers]
    const roles = new Set(subscribers.map((subscriber) => subscriber.role))
    const metas = new Map<string, TableMeta | undefined>()
    for (const change of changes) {
      const key = tableKey(change.schema, change.table)
      if (!metas.has(key)) metas.set(key, await this.tables.get(change.schema, change.table, roles))
    }
    const matches = match(changes, metas, subscribers)
    if (matches.candidates.size > 0) {
      const visible = await visibleKeys(this.db, this.logger, [...matches.rlsChecks])
      sendVisible(matches, metas, visible)
    }
    await this.tables.refreshStale()
  }
}

interface Candidate {
  subscriber: ChangeSubscriber
  subscription: ResolvedSubscription
  error?: string
  /** The RLS check that decides whether the subscriber sees the row, when RLS applies. */
  rlsKey?: string
}

interface Matches {
  candidates: Map<CapturedChange, Candidate[]>
  /** By (visibility group, table): the rows the group's claims must be able to select. */
  rlsChecks: Map<string, RlsCheck>
  /** Each change's row as visible_keys answers it: the primary key as JSON, or a deleted row's own key. */
  rowKeys: Map<CapturedChange, string>
}

/** The bindings each change reaches by action, filters and key privileges, and the RLS checks still owed. */
function match(
  changes: CapturedChange[],
  metas: Map<string, TableMeta | undefined>,
  subscribers: ChangeSubscriber[],
): Matches {
  const matches: Matches = { candidates: new Map(), rlsChecks: new Map(), rowKeys: new Map() }
  const pkOf = (meta: TableMeta, record: Record<string, unknown>) =>
    meta.pk.map((column) => record[column.name] ?? null)
  // Short per-batch group numbers instead of hashing long claim strings for every candidate.
  const groups = new Map<string, number>()
  const groupOf = new Map<ChangeSubscriber, number>()
  for (const subscriber of subscribers) {
    if (!groups.has(subscriber.visibilityKey)) groups.set(subscriber.visibilityKey, groups.size)
    groupOf.set(subscriber, groups.get(subscriber.visibilityKey)!)
  }
  const pkSelectable = new Map<string, boolean>()

  for (const change of changes) {
    const key = tableKey(change.schema, change.table)
    const meta = metas.get(key)
    if (!meta) continue
    const pk = change.record ? pkOf(meta, change.record) : []
    const rowKey = change.action === 'DELETE' ? `deleted ${change.id}` : JSON.stringify(pk)
    matches.rowKeys.set(change, rowKey)
    const list: Candidate[] = []
    for (const subscriber of subscribers) {
      for (const subscription of subscriber.subscriptions) {
        if (subscription.action !== '*' && subscription.action !== change.action) continue
        const filters = subscription.filters.get(key)
        if (!filters) continue
        if (change.action !== 'DELETE' && meta.pk.length === 0) {
          list.push({ subscriber, subscription, error: 'Error 400: Bad Request, no primary key' })
          continue
        }
        const roleKey = `${subscriber.role}\u0000${key}`
        let canSelectPk = pkSelectable.get(roleKey)
        if (canSelectPk === undefined) {
          const selectable = meta.selectable.get(subscriber.role)
          canSelectPk = meta.pk.every((column) => selectable?.has(column.name) ?? false)
          pkSelectable.set(roleKey, canSelectPk)
        }
        if (!canSelectPk) {
          // An insert or update tells the role, as hosted does, that it lacks the privilege;
          // a deleted row it could never have selected does not reach it at all.
          if (change.action !== 'DELETE')
            list.push({ subscriber, subscription, error: 'Error 401: Unauthorized' })
          continue
        }
        const visibleThroughFilters =
          passesFilters(filters, change.record) ||
          (change.action === 'DELETE' && passesFilters(filters, identityRecord(meta, change.oldRecord)))
        if (!visibleThroughFilters) continue
        if (!meta.rls) {
          list.push({ subscriber, subscription })
          continue
        }
        const row = change.action === 'DELETE' ? change.oldRecord : change.record
        if (!row) continue
        const checkKey = `${groupOf.get(subscriber)}\u0000${key}`
        let check = matches.rlsChecks.get(checkKey)
        if (!check) {
          check = {
            role: subscriber.role,
            claimsJson: subscriber.claimsJson,
            table: key,
            keyColumns: meta.pk,
            pks: new Map(),
            oldRows: new Map(),
          }
          matches.rlsChecks.set(checkKey, check)
        }
        if (change.action === 'DELETE') check.oldRows.set(rowKey, row)
        else check.pks.set(rowKey, pk)
        list.push({ subscriber, subscription, rlsKey: checkKey })
      }
    }
    if (list.length > 0) matches.candidates.set(change, list)
  }
  return matches
}

/**
 * Sends each change, in order, to the candidates RLS lets see it: one message per
 * channel per change, with every binding id of that channel that matched, and each
 * distinct payload serialised once.
 */
function sendVisible(
  { candidates, rowKeys }: Matches,
  metas: Map<string, TableMeta | undefined>,
  visible: Map<string, Set<string>>,
): void {
  for (const [change, list] of candidates) {
    const meta = metas.get(tableKey(change.schema, change.table))!
    const rowKey = rowKeys.get(change)!
    const payloads = new Map<string, string>()
    const outgoing = new Map<ChangeSubscriber, Map<string, number[]>>()
    for (const candidate of list) {
      if (candidate.rlsKey && !visible.get(candidate.rlsKey)?.has(rowKey)) continue
      const payloadKey = `${candidate.subscriber.role}\u0000${candidate.error ?? ''}\u0000${candidate.subscription.selectColumns?.join(',') ?? ''}`
      if (!payloads.has(payloadKey)) {
        const payload = buildPayload(
          change,
          meta,
          candidate.subscriber.role,
          candidate.subscription.selectColumns,
          candidate.error,
        )
        payloads.set(payloadKey, JSON.stringify(payload))
      }
      let byPayload = outgoing.get(candidate.subscriber)
      if (!byPayload) outgoing.set(candidate.subscriber, (byPayload = new Map()))
      const ids = byPayload.get(payloadKey) ?? []
      if (!ids.includes(candidate.subscription.id)) ids.push(candidate.subscription.id)
      byPayload.set(payloadKey, ids)
    }
    for (const [subscriber, byPayload] of outgoing) {
      for (const [payloadKey, ids] of byPayload) subscriber.send(ids, payloads.get(payloadKey)!)
    }
  }
}
