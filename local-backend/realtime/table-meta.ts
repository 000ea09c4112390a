import type { PGlite } from '@electric-sql/pglite'
import { tableKey } from './subscriptions.ts'

export interface ColumnMeta {
  name: string
  type: string
  sqlType: string
  pk: boolean
}

/** What delivery needs to know of a published table to decide who sees a change and what it carries. */
export interface TableMeta {
  rls: boolean
  /** pg_class.relreplident: f = full old row, d/i = key, n = nothing. */
  replicaIdentity: string
  columns: ColumnMeta[]
  pk: ColumnMeta[]
  /** Selectable columns per role (has_column_privilege), filled on demand. */
  selectable: Map<string, Set<string>>
  loadedAt: number
}

/**
 * Catalog facts change with DDL, which tells the catalog at once (`invalidate`, from an
 * event trigger); granting one role to another fires no event trigger, so facts older
 * than this are also re-read, after a delivery rather than in its way.
 */
const metaTtlMs = 5_000

/** Table facts read from the catalog, kept until DDL changes them. */
export class TableCatalog {
  private readonly meta = new Map<string, TableMeta>()
  /** Tables whose facts outlived the TTL, by key: re-read by `refreshStale`. */
  private readonly stale = new Map<string, { schema: string; table: string }>()
  /** Bumped by `invalidate`, so a read under way when DDL committed does not store what it read. */
  private generation = 0
  private readonly db: PGlite

  constructor(db: PGlite) {
    this.db = db
  }

  /** The table's facts, with the selectable columns of each of `roles`; undefined if the table is gone. */
  async get(schema: string, table: string, roles: Set<string>): Promise<TableMeta | undefined> {
    const key = tableKey(schema, table)
    let meta = this.meta.get(key)
    if (!meta) {
      meta = await this.read(schema, table, roles)
      if (!meta) return undefined
    } else if (Date.now() - meta.loadedAt > metaTtlMs) this.stale.set(key, { schema, table })
    const missing = [...roles].filter((role) => !meta.selectable.has(role))
    if (missing.length > 0) await this.readSelectable(schema, table, meta, missing)
    return meta
  }

  /** Forgets every table's facts: DDL committed. */
  invalidate(): void {
    this.generation++
    this.meta.clear()
    this.stale.clear()
  }

  /**
   * Re-reads the facts that outlived the TTL, with the selectable columns of the roles
   * they had: first letting the I/O already pending run (a check-phase turn of the event
   * loop), so the messages just sent are not held up behind the catalog reads.
   */
  async refreshStale(): Promise<void> {
    if (this.stale.size === 0) return
    await new Promise<void>((resolve) => setImmediate(resolve))
    for (const [key, { schema, table }] of this.stale) {
      this.stale.delete(key)
      const roles = new Set(this.meta.get(key)?.selectable.keys())
      if ((await this.read(schema, table, roles)) === undefined) this.meta.delete(key)
    }
  }

  /** Reads and keeps the table's facts (unless DDL committed meanwhile). */
  private async read(schema: string, table: string, roles: Set<string>): Promise<TableMeta | undefined> {
    const generation = this.generation
    const meta = await this.load(schema, table)
    if (meta && roles.size > 0) await this.readSelectable(schema, table, meta, [...roles])
    if (meta && generation === this.generation) this.meta.set(tableKey(schema, table), meta)
    return meta
  }

  private async readSelectable(
    schema: string,
    table: string,
    meta: TableMeta,
    roles: string[],
  ): Promise<void> {
    const result = await this.db.query<{ role: string; columns: string[] | null }>(
      `select r.role, array_agg(a.attname::text) filter (where a.attname is not null) as columns
         from unnest($3::text[]) as r(role)
         left join pg_catalog.pg_attribute a
           on a.attrelid = format('%I.%I', $1::text, $2::text)::regclass
          and a.attnum > 0 and not a.attisdropped
          and has_column_privilege(r.role, a.attrelid, a.attnum, 'SELECT')
        group by r.role`,
      [schema, table, roles],
    )
    for (const row of result.rows) meta.selectable.set(row.role, new Set(row.columns ?? []))
  }

  private async load(schema: string, table: string): Promise<TableMeta | undefined> {
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
    return {
      rls: row.rls,
      replicaIdentity: row.replident,
      columns,
      pk: columns.filter((column) => column.pk),
      selectable: new Map(),
      loadedAt: Date.now(),
    }
  }
}
