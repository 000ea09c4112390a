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

/** Catalog facts change only with migrations; re-reading them now and then keeps each change cheap. */
const metaTtlMs = 5_000

/** Table facts read from the catalog, cached for a few seconds. */
export class TableCatalog {
  private readonly meta = new Map<string, TableMeta>()
  private readonly db: PGlite

  constructor(db: PGlite) {
    this.db = db
  }

  /** The table's facts, with the selectable columns of each of `roles`; undefined if the table is gone. */
  async get(schema: string, table: string, roles: Set<string>): Promise<TableMeta | undefined> {
    const key = tableKey(schema, table)
    let meta = this.meta.get(key)
    if (!meta || Date.now() - meta.loadedAt > metaTtlMs) {
      meta = await this.load(schema, table)
      if (!meta) return undefined
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
