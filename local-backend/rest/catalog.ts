import type { PGlite } from '@electric-sql/pglite'

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
}

export interface FunctionArg {
  name: string
  type: string
  hasDefault: boolean
}

export interface DbFunction {
  name: string
  args: FunctionArg[]
  returnsSet: boolean
  /** `void`, a scalar, or a row type (composite / `returns table`). */
  returnKind: 'void' | 'scalar' | 'row'
}

export interface Catalog {
  schema: string
  tables: Map<string, Table>
  foreignKeys: ForeignKey[]
  functions: Map<string, DbFunction[]>
}

export const exposedSchema = 'public'

export async function loadCatalog(db: PGlite, schema = exposedSchema): Promise<Catalog> {
  const columns = await db.query<{
    table_name: string
    column_name: string
    type: string
    has_default: boolean
  }>(
    `select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type,
            (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as has_default
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f')
      order by c.relname, a.attnum`,
    [schema],
  )
  const keys = await db.query<{ table_name: string; columns: string[] }>(
    `select c.relname as table_name,
            array(select a.attname from unnest(k.conkey) with ordinality u(attnum, i)
                    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.i) as columns
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and k.contype = 'p'`,
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
  }>(
    `select p.proname as name, p.proargnames as arg_names, p.proargmodes::text[] as arg_modes,
            array(select format_type(t, null) from unnest(p.proargtypes) t) as arg_types,
            p.pronargdefaults::int as default_count, p.proretset as returns_set,
            format_type(p.prorettype, null) as return_type, rt.typtype::text as return_type_kind
       from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace
       join pg_type rt on rt.oid = p.prorettype
      where n.nspname = $1 and p.prokind = 'f'`,
    [schema],
  )

  const tables = new Map<string, Table>()
  for (const row of columns.rows) {
    let table = tables.get(row.table_name)
    if (!table) {
      table = { name: row.table_name, columns: new Map(), primaryKey: [] }
      tables.set(row.table_name, table)
    }
    table.columns.set(row.column_name, { name: row.column_name, type: row.type, hasDefault: row.has_default })
  }
  for (const row of keys.rows) {
    const table = tables.get(row.table_name)
    if (table) table.primaryKey = row.columns
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
    }))
    const returnKind =
      row.return_type === 'void'
        ? 'void'
        : row.return_type_kind === 'c' || row.return_type === 'record'
          ? 'row'
          : 'scalar'
    const fn: DbFunction = { name: row.name, args, returnsSet: row.returns_set, returnKind }
    byName.set(row.name, [...(byName.get(row.name) ?? []), fn])
  }

  return {
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
  }
}
