import type { CapturedChange } from './capture.ts'
import type { TableMeta } from './table-meta.ts'

/** Hosted Realtime's default max record size before values are dropped and a 413 error is attached. */
const maxRecordBytes = 1024 * 1024

/** The columns the old row carries for the table's replica identity. */
export function identityRecord(
  meta: TableMeta,
  oldRecord: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (!oldRecord) return null
  if (meta.replicaIdentity === 'f') return oldRecord
  if (meta.replicaIdentity === 'n') return {}
  return Object.fromEntries(meta.pk.map((column) => [column.name, oldRecord[column.name] ?? null]))
}

/**
 * The `data` of a postgres_changes message as hosted Realtime shapes it for one
 * role: only the columns the role may select (and, with `select`, only those asked
 * for plus the key), the old row as the replica identity keeps it, and under RLS
 * only the key of a deleted row.
 */
export function buildPayload(
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
