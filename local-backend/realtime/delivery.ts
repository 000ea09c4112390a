import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'
import type { CapturedChange } from './capture.ts'
import { passesFilters, tableKey, type ResolvedSubscription } from './subscriptions.ts'

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

interface ColumnMeta {
  name: string
  type: string
  sqlType: string
  pk: boolean
}

interface TableMeta {
  rls: boolean
  /** pg_class.relreplident: f = full old row, d/i = key, n = nothing. */
  replicaIdentity: string
  columns: ColumnMeta[]
  pk: ColumnMeta[]
  /** Selectable columns per role (has_column_privilege), filled on demand. */
  selectable: Map<string, Set<string>>
  loadedAt: number
}

/** Catalog facts change only with migrations; re-reading them now and then keeps each change cheap. */
const metaTtlMs = 5_000
/** Hosted Realtime's default max record size before values are dropped and a 413 error is attached. */
const maxRecordBytes = 1024 * 1024

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`

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

export class ChangeDelivery {
  private readonly subscribers = new Set<ChangeSubscriber>()
  private readonly meta = new Map<string, TableMeta>()
  private readonly db: PGlite
  private readonly logger: Logger

  constructor(db: PGlite, logger: Logger) {
    this.db = db
    this.logger = logger
  }

  add(subscriber: ChangeSubscriber): void {
    this.subscribers.add(subscriber)
  }

  remove(subscriber: ChangeSubscriber): void {
    this.subscribers.delete(subscriber)
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

  private async tableMeta(schema: string, table: string, roles: Set<string>): Promise<TableMeta | undefined> {
    const key = tableKey(schema, table)
    let meta = this.meta.get(key)
    if (!meta || Date.now() - meta.loadedAt > metaTtlMs) {
      const result = await this.db.query<{ rls: boolean; replident: string; columns: ColumnMeta[] | null }>(
        `select c.relrowsecurity as rls, c.relreplident::text as replident,
                (select jsonb_agg(jsonb_build_object(
                          'name', a.attname, 'type', t.typname,
                          'sqlType', format_type(a.atttypid, a.atttypmod),
                          'pk', coalesce(a.attnum = any(pk.conkey), false))
                        order by a.attnum)
                   from pg_catalog.pg_attribute a
                   join pg_catalog.pg_type t on t.oid = a.atttypid
                   left join pg_catalog.pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
           from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = $1 and c.relname = $2`,
        [schema, table],
      )
      const row = result.rows[0]
      if (!row) return undefined
      const columns = row.columns ?? []
      meta = {
        rls: row.rls,
        replicaIdentity: row.replident,
        columns,
        pk: columns.filter((column) => column.pk),
        selectable: new Map(),
        loadedAt: Date.now(),
      }
      this.meta.set(key, meta)
    }
    const missing = [...roles].filter((role) => !meta.selectable.has(role))
    if (missing.length > 0) {
      const result = await this.db.query<{ role: string; columns: string[] | null }>(
        `select r.role, array_agg(a.attname::text) filter (where a.attname is not null) as columns
           from unnest($3::text[]) as r(role)
           left join pg_catalog.pg_attribute a
             on a.attrelid = format('%I.%I', $1::text, $2::text)::regclass
            and a.attnum > 0 and not a.attisdropped
            and has_column_privilege(r.role, a.attrelid, a.attnum, 'SELECT')
          group by r.role`,
        [schema, table, missing],
      )
      for (const row of result.rows) meta.selectable.set(row.role, new Set(row.columns ?? []))
    }
    return meta
  }

  /**
   * Delivers a batch of captured changes. Visibility is decided as hosted
   * Realtime decides it: the role must be able to select the primary key, the
   * binding's filters must hold, and under RLS the subscriber's claims must be
   * able to select the row by primary key (one query per table and distinct
   * claims, for the whole batch). DELETEs cannot be checked against a row that is
   * gone, so, as hosted, they carry only the primary key when RLS is on.
   */
  async deliver(changes: CapturedChange[]): Promise<void> {
    if (this.subscribers.size === 0 || changes.length === 0) return
    const subscribers = [...this.subscribers]
    const roles = new Set(subscribers.map((subscriber) => subscriber.role))
    const metas = new Map<string, TableMeta | undefined>()
    for (const change of changes) {
      const key = tableKey(change.schema, change.table)
      if (!metas.has(key)) metas.set(key, await this.tableMeta(change.schema, change.table, roles))
    }

    interface Candidate {
      subscriber: ChangeSubscriber
      subscription: ResolvedSubscription
      error?: string
      rlsKey?: string
    }
    const candidates = new Map<CapturedChange, Candidate[]>()
    // (claims, table) -> primary keys to check
    const rlsChecks = new Map<
      string,
      { role: string; claimsJson: string; key: string; pks: Map<string, unknown[]> }
    >()
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
    const pkKeys = new Map<CapturedChange, string>()

    for (const change of changes) {
      const key = tableKey(change.schema, change.table)
      const meta = metas.get(key)
      if (!meta) continue
      const pk = change.record ? pkOf(meta, change.record) : []
      const pkKey = JSON.stringify(pk)
      pkKeys.set(change, pkKey)
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
          if (change.action !== 'DELETE' && !canSelectPk) {
            list.push({ subscriber, subscription, error: 'Error 401: Unauthorized' })
            continue
          }
          const visibleThroughFilters =
            passesFilters(filters, change.record) ||
            (change.action === 'DELETE' && passesFilters(filters, identityRecord(meta, change.oldRecord)))
          if (!visibleThroughFilters) continue
          if (!meta.rls || change.action === 'DELETE' || !change.record) {
            list.push({ subscriber, subscription })
            continue
          }
          const checkKey = `${groupOf.get(subscriber)}\u0000${key}`
          let check = rlsChecks.get(checkKey)
          if (!check) {
            check = { role: subscriber.role, claimsJson: subscriber.claimsJson, key, pks: new Map() }
            rlsChecks.set(checkKey, check)
          }
          check.pks.set(pkKey, pk)
          list.push({ subscriber, subscription, rlsKey: checkKey })
        }
      }
      if (list.length > 0) candidates.set(change, list)
    }
    if (candidates.size === 0) return

    const visible = await this.visibleKeys([...rlsChecks])

    for (const [change, list] of candidates) {
      const meta = metas.get(tableKey(change.schema, change.table))!
      const pkKey = pkKeys.get(change)!
      const payloads = new Map<string, string>()
      // One message per channel per change, with every binding id of that channel that matched.
      const outgoing = new Map<ChangeSubscriber, Map<string, number[]>>()
      for (const candidate of list) {
        if (candidate.rlsKey && !visible.get(candidate.rlsKey)?.has(pkKey)) continue
        const payloadKey = `${candidate.subscriber.role}\u0000${candidate.error ?? ''}\u0000${candidate.subscription.selectColumns?.join(',') ?? ''}`
        if (!payloads.has(payloadKey)) {
          payloads.set(
            payloadKey,
            JSON.stringify(
              buildPayload(
                change,
                meta,
                candidate.subscriber.role,
                candidate.subscription.selectColumns,
                candidate.error,
              ),
            ),
          )
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

  /** Per check, the primary keys (as JSON) its claims may select under RLS: one query for the whole batch. */
  private async visibleKeys(
    checks: [string, { role: string; claimsJson: string; key: string; pks: Map<string, unknown[]> }][],
  ): Promise<Map<string, Set<string>>> {
    const visible = new Map<string, Set<string>>()
    if (checks.length === 0) return visible
    const argument = checks.map(([, check]) => {
      const [schema, ...rest] = check.key.split('.')
      return {
        table: `${quoteIdent(schema!)}.${quoteIdent(rest.join('.'))}`,
        role: check.role,
        claims: check.claimsJson,
        pks: [...check.pks.values()],
      }
    })
    try {
      const result = await this.db.query<{ visible: { keys: unknown[][]; errors: number }[] }>(
        'select realtime.visible_keys($1::jsonb) as visible',
        [JSON.stringify(argument)],
      )
      const lists = result.rows[0]?.visible ?? []
      checks.forEach(([checkKey, check], index) => {
        const outcome = lists[index]
        // Fail closed: rows whose policy raised stay hidden from these claims.
        if (!outcome || outcome.errors > 0) {
          this.logger.warn('realtime rls check failed', {
            table: check.key,
            role: check.role,
            rows: outcome?.errors,
          })
        }
        visible.set(checkKey, new Set((outcome?.keys ?? []).map((key) => JSON.stringify(key))))
      })
    } catch (error) {
      this.logger.error('realtime rls checks failed', { error })
    }
    return visible
  }
}

/** The columns the old row carries for the table's replica identity. */
function identityRecord(
  meta: TableMeta,
  oldRecord: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (!oldRecord) return null
  if (meta.replicaIdentity === 'f') return oldRecord
  if (meta.replicaIdentity === 'n') return {}
  return Object.fromEntries(meta.pk.map((column) => [column.name, oldRecord[column.name] ?? null]))
}

function buildPayload(
  change: CapturedChange,
  meta: TableMeta,
  role: string,
  selectColumns: string[] | undefined,
  error: string | undefined,
): Record<string, unknown> {
  if (error) return { schema: change.schema, table: change.table, type: change.action, errors: [error] }
  const selectable = meta.selectable.get(role) ?? new Set<string>()
  const included = new Set(
    meta.columns
      .filter(
        (column) =>
          selectable.has(column.name) && (!selectColumns || column.pk || selectColumns.includes(column.name)),
      )
      .map((column) => column.name),
  )
  const tooLarge =
    JSON.stringify(change.record ?? {}).length + JSON.stringify(change.oldRecord ?? {}).length >
    maxRecordBytes
  const pick = (record: Record<string, unknown> | null, keep: (name: string) => boolean) => {
    if (!record) return null
    const entries = Object.entries(record).filter(
      ([name, value]) =>
        included.has(name) && keep(name) && (!tooLarge || JSON.stringify(value).length <= 64),
    )
    return entries.length > 0 ? Object.fromEntries(entries) : null
  }
  const payload: Record<string, unknown> = {
    schema: change.schema,
    table: change.table,
    commit_timestamp: change.commitTimestamp,
    type: change.action,
    columns: meta.columns
      .filter((column) => included.has(column.name))
      .map(({ name, type }) => ({ name, type })),
    errors: tooLarge ? ['Error 413: Payload Too Large'] : null,
  }
  if (change.action !== 'DELETE') payload.record = pick(change.record, () => true)
  if (change.action !== 'INSERT') {
    const identity = identityRecord(meta, change.oldRecord)
    const pkOnly = change.action === 'DELETE' && meta.rls
    payload.old_record = pick(identity, (name) => !pkOnly || meta.pk.some((column) => column.name === name))
  }
  return payload
}
