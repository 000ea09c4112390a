import type { PGlite } from '@electric-sql/pglite'
import { relationshipsOf, type Relationship } from './relationships.ts'

/**
 * PostgREST's schema cache: what the exposed schema holds, read once from the
 * system catalogs. Every identifier in a request is checked against it before it
 * reaches SQL, and it is what resolves embedded relations and RPC arguments.
 * Migrations only run before the server starts, so it never needs reloading.
 */
export interface Column {
  name: string
  /** `format_type()` of the column, safe to splice after `::`. */
  type: string
  hasDefault: boolean
  /**
   * The default's expression as PostgREST's schema cache reads it (a domain's, an
   * identity's nextval, none for a generated column), for `missing=default`.
   */
  defaultSql?: string
}

export interface ForeignKey {
  name: string
  /** The table holding the key and its columns, in order. */
  table: string
  columns: string[]
  /** The referenced table and its columns, in the same order. */
  refTable: string
  refColumns: string[]
}

export interface Table {
  name: string
  columns: Map<string, Column>
  primaryKey: string[]
  /** The primary key and every unique constraint: a foreign key covering one is one-to-one. */
  uniqueKeys: string[][]
  isView: boolean
  /** For a view: which of its columns show which column of which table, as Postgres recorded it. */
  columnSources: { column: string; table: string; tableColumn: string }[]
}

export interface FunctionArg {
  /** Empty for an unnamed argument. */
  name: string
  type: string
  hasDefault: boolean
  /** The table or view whose row type this argument is, if any. */
  rowOf?: string
}

export interface DbFunction {
  name: string
  args: FunctionArg[]
  returnsSet: boolean
  /** `void`, a scalar, or a row type (composite / `returns table`). */
  returnKind: 'void' | 'scalar' | 'row'
  /** The table or view whose rows it returns, if it returns one's row type. */
  returnsTable?: string
  /** The columns of `returns table (...)` or OUT arguments, when it returns no table's rows. */
  outputs: Column[]
  /** `ROWS 1`: a set-returning function declared to return one row embeds as one object. */
  rowsOne: boolean
  volatile: boolean
}

export interface Catalog {
  schema: string
  tables: Map<string, Table>
  foreignKeys: ForeignKey[]
  functions: Map<string, DbFunction[]>
  /** By the table or view they start from. */
  relationships: Map<string, Relationship[]>
}

export const exposedSchema = 'public'

export async function loadCatalog(db: PGlite, schema = exposedSchema): Promise<Catalog> {
  const columns = await db.query<{
    table_name: string
    is_view: boolean
    column_name: string
    type: string
    has_default: boolean
    default_sql: string | null
  }>(
    `select c.relname as table_name, c.relkind in ('v', 'm') as is_view, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type,
            (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as has_default,
            case when t.typbasetype <> 0 and d.adbin is null then pg_get_expr(t.typdefaultbin, 0)
                 when a.attidentity = 'd' then format('nextval(%L)', pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)::regclass)
                 when a.attgenerated = 's' then null
                 else pg_get_expr(d.adbin, d.adrelid) end as default_sql
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       join pg_type t on t.oid = a.atttypid
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f')
      order by c.relname, a.attnum`,
    [schema],
  )
  const keys = await db.query<{ table_name: string; primary: boolean; columns: string[] }>(
    `select c.relname as table_name, k.contype = 'p' as primary,
            array(select a.attname from unnest(k.conkey) with ordinality u(attnum, i)
                    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.i) as columns
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and k.contype in ('p', 'u')`,
    [schema],
  )
  const views = await db.query<{ view_name: string; sources: string[][] }>(
    // A view's top-level target list names, for each column, the table column it shows
    // (resorigtbl/resorigcol); PostgREST reads the same to carry foreign keys over to views.
    `select v.relname as view_name,
            array(select array[m[1], t.relname, a.attname]
                    from regexp_matches(r.ev_action::text, ':resname (\\S+) :ressortgroupref \\d+ :resorigtbl (\\d+) :resorigcol (\\d+)', 'g') m
                    join pg_class t on t.oid = m[2]::oid
                    join pg_namespace tn on tn.oid = t.relnamespace and tn.nspname = $1
                    join pg_attribute a on a.attrelid = t.oid and a.attnum = m[3]::int) as sources
       from pg_rewrite r
       join pg_class v on v.oid = r.ev_class
       join pg_namespace n on n.oid = v.relnamespace
      where n.nspname = $1 and v.relkind in ('v', 'm') and r.rulename = '_RETURN'`,
    [schema],
  )
  const foreignKeys = await db.query<{
    name: string
    table_name: string
    columns: string[]
    ref_table: string
    ref_columns: string[]
  }>(
    `select k.conname as name, c.relname as table_name, r.relname as ref_table,
            array(select a.attname from unnest(k.conkey) with ordinality u(attnum, i)
                    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.i) as columns,
            array(select a.attname from unnest(k.confkey) with ordinality u(attnum, i)
                    join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.i) as ref_columns
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_class r on r.oid = k.confrelid
       join pg_namespace rn on rn.oid = r.relnamespace
      where n.nspname = $1 and rn.nspname = $1 and k.contype = 'f'
      order by k.conname`,
    [schema],
  )
  const functions = await db.query<{
    name: string
    arg_names: string[] | null
    arg_types: string[]
    arg_modes: string[] | null
    default_count: number
    returns_set: boolean
    return_type: string
    return_type_kind: string
    returns_table: string | null
    arg_rows_of: (string | null)[]
    all_types: string[]
    rows_one: boolean
    volatile: boolean
  }>(
    `select p.proname as name, p.proargnames as arg_names, p.proargmodes::text[] as arg_modes,
            array(select format_type(t, null) from unnest(p.proargtypes) t) as arg_types,
            array(select format_type(t, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t) as all_types,
            array(select r.relname from unnest(p.proargtypes) with ordinality u(t, i)
                    left join pg_type ty on ty.oid = u.t
                    left join pg_class r on r.oid = ty.typrelid and r.relnamespace = n.oid
                   order by u.i) as arg_rows_of,
            p.pronargdefaults::int as default_count, p.proretset as returns_set,
            format_type(p.prorettype, null) as return_type, rt.typtype::text as return_type_kind,
            rc.relname as returns_table, p.prorows = 1 as rows_one, p.provolatile = 'v' as volatile
       from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace
       join pg_type rt on rt.oid = p.prorettype
       left join pg_class rc on rc.oid = rt.typrelid and rc.relnamespace = n.oid and rc.relkind in ('r', 'v', 'm', 'p', 'f')
      where n.nspname = $1 and p.prokind = 'f'`,
    [schema],
  )

  const tables = new Map<string, Table>()
  for (const row of columns.rows) {
    let table = tables.get(row.table_name)
    if (!table) {
      table = {
        name: row.table_name,
        columns: new Map(),
        primaryKey: [],
        uniqueKeys: [],
        isView: row.is_view,
        columnSources: [],
      }
      tables.set(row.table_name, table)
    }
    table.columns.set(row.column_name, {
      name: row.column_name,
      type: row.type,
      hasDefault: row.has_default,
      defaultSql: row.default_sql ?? undefined,
    })
  }
  for (const row of keys.rows) {
    const table = tables.get(row.table_name)
    if (!table) continue
    if (row.primary) table.primaryKey = row.columns
    table.uniqueKeys.push(row.columns)
  }
  for (const row of views.rows) {
    const view = tables.get(row.view_name)
    if (!view) continue
    const seen = new Set<string>()
    for (const [column, table, tableColumn] of row.sources) {
      // Only the first target entry per name: later ones belong to subqueries inside the view.
      if (seen.has(column!) || !view.columns.has(column!)) continue
      seen.add(column!)
      view.columnSources.push({ column: column!, table: table!, tableColumn: tableColumn! })
    }
  }

  const byName = new Map<string, DbFunction[]>()
  for (const row of functions.rows) {
    // Only IN arguments are passed by name; OUT / TABLE columns are part of the result.
    const inputCount = row.arg_types.length
    const names = (row.arg_names ?? []).filter((_, i) => {
      const mode = row.arg_modes?.[i] ?? 'i'
      return mode === 'i' || mode === 'b' || mode === 'v'
    })
    const args = row.arg_types.map((type, i) => ({
      name: names[i] ?? '',
      type,
      hasDefault: i >= inputCount - row.default_count,
      rowOf: row.arg_rows_of[i] ?? undefined,
    }))
    const returnKind =
      row.return_type === 'void'
        ? 'void'
        : row.return_type_kind === 'c' || row.return_type === 'record'
          ? 'row'
          : 'scalar'
    const outputs = row.all_types.flatMap((type, i): Column[] => {
      const mode = row.arg_modes?.[i] ?? 'i'
      const name = row.arg_names?.[i]
      return (mode === 'o' || mode === 't' || mode === 'b') && name ? [{ name, type, hasDefault: false }] : []
    })
    const fn: DbFunction = {
      name: row.name,
      outputs,
      args,
      returnsSet: row.returns_set,
      returnKind,
      returnsTable: row.returns_table ?? undefined,
      rowsOne: row.rows_one,
      volatile: row.volatile,
    }
    byName.set(row.name, [...(byName.get(row.name) ?? []), fn])
  }

  const catalog: Catalog = {
    schema,
    tables,
    foreignKeys: foreignKeys.rows.map((row) => ({
      name: row.name,
      table: row.table_name,
      columns: row.columns,
      refTable: row.ref_table,
      refColumns: row.ref_columns,
    })),
    functions: byName,
    relationships: new Map(),
  }
  catalog.relationships = relationshipsOf(catalog)
  return catalog
}
