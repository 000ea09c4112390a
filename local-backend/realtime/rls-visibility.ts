import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'
import { runPipelined, type Statement } from '../rest/pipeline.ts'
import type { ColumnMeta } from './table-meta.ts'

/**
 * Which rows each set of claims may select, under RLS, in one round trip. Per
 * check, switch to the role and claims (transaction-local, as PostgREST and hosted
 * Realtime's apply_rls do), then:
 * - inserted and updated rows: select them by primary key;
 * - deleted rows, which can no longer be selected: apply the table's select
 *   policies to the captured old row, as Postgres would have applied them to it
 *   (permissive ones ORed, restrictive ones ANDed, none at all meaning no row; a
 *   role with BYPASSRLS, or the owner of a table without FORCE, sees every row).
 *   The policies read the rest of the database as it is now, as they would for an
 *   update: a row deleted with the membership that made it visible stays hidden.
 * When a policy raises, the rows are checked one by one so that only those it
 * raises on stay hidden; each check reports {keys, deleted, errors}.
 */
const installSql = `
create or replace function realtime.select_as(c jsonb, query text, items jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  item jsonb;
  one jsonb;
  visible jsonb;
  errors int := 0;
begin
  if jsonb_array_length(items) = 0 then
    return jsonb_build_object('visible', '[]'::jsonb, 'errors', 0);
  end if;
  begin
    perform set_config('role', c ->> 'role', true), set_config('request.jwt.claims', c ->> 'claims', true);
    execute query into visible using items;
    perform set_config('role', null, true);
  exception when others then
    perform set_config('role', null, true);
    visible := '[]'::jsonb;
    for item in select value from jsonb_array_elements(items) loop
      begin
        perform set_config('role', c ->> 'role', true), set_config('request.jwt.claims', c ->> 'claims', true);
        execute query into one using jsonb_build_array(item);
        perform set_config('role', null, true);
        visible := visible || one;
      exception when others then
        perform set_config('role', null, true);
        errors := errors + 1;
      end;
    end loop;
  end;
  return jsonb_build_object('visible', visible, 'errors', errors);
end;
$$;
revoke all on function realtime.select_as(jsonb, text, jsonb) from public;

create or replace function realtime.visible_keys(checks jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  c jsonb;
  entity regclass;
  cols text;
  casts text;
  key_columns int;
  bypass boolean;
  permissive text;
  restrictive text;
  by_key jsonb;
  by_old_row jsonb;
  result jsonb := '[]'::jsonb;
begin
  for c in select value from jsonb_array_elements(checks) loop
    entity := (c ->> 'table')::regclass;
    select string_agg(format('t.%I', a.attname), ', ' order by a.attnum),
           string_agg(format('(e->>%s)::%s', k.ord - 1, format_type(a.atttypid, a.atttypmod)), ', ' order by a.attnum),
           count(*)
      into cols, casts, key_columns
      from pg_catalog.pg_constraint pk
      cross join lateral unnest(pk.conkey) as u(attnum)
      join pg_catalog.pg_attribute a on a.attrelid = entity and a.attnum = u.attnum
      cross join lateral (
        select count(*) as ord from unnest(pk.conkey) as v(attnum) where v.attnum <= u.attnum
      ) k
     where pk.conrelid = entity and pk.contype = 'p';
    -- A single-column key goes through its index whatever the table's size; a
    -- composite one is joined.
    by_key := realtime.select_as(c, case when key_columns = 1 then
      format(
        'select coalesce(jsonb_agg(jsonb_build_array(%s)), ''[]''::jsonb) from %s t where %s = any(array(select %s from jsonb_array_elements($1) e))',
        cols, entity, cols, casts)
    else
      format(
        'select coalesce(jsonb_agg(jsonb_build_array(%s)), ''[]''::jsonb) from jsonb_array_elements($1) e join %s t on (%s) = (%s)',
        cols, entity, cols, casts)
    end, coalesce(c -> 'pks', '[]'::jsonb));

    by_old_row := jsonb_build_object('visible', '[]'::jsonb, 'errors', 0);
    if jsonb_array_length(coalesce(c -> 'old_rows', '[]'::jsonb)) > 0 then
      select r.rolsuper or r.rolbypassrls or (t.relowner = r.oid and not t.relforcerowsecurity)
        into bypass
        from pg_catalog.pg_roles r, pg_catalog.pg_class t
       where r.rolname = c ->> 'role' and t.oid = entity;
      select coalesce(string_agg(format('(%s)', pg_get_expr(p.polqual, p.polrelid)), ' or ') filter (where p.polpermissive), 'false'),
             coalesce(string_agg(format('(%s)', pg_get_expr(p.polqual, p.polrelid)), ' and ') filter (where not p.polpermissive), 'true')
        into permissive, restrictive
        from pg_catalog.pg_policy p
       where p.polrelid = entity and p.polcmd in ('r', '*') and p.polqual is not null
         and exists (select from unnest(p.polroles) as g(oid) where g.oid = 0 or pg_has_role(c ->> 'role', g.oid, 'usage'));
      -- Each old row travels as [key, row]; the policies see it under the table's own
      -- name, as they see the row they guard.
      by_old_row := realtime.select_as(c, format(
          'select coalesce(jsonb_agg(o.realtime_item -> 0), ''[]''::jsonb) from jsonb_array_elements($1) as o(realtime_item) '
          'where exists (select from jsonb_populate_record(null::%s, o.realtime_item -> 1) as %I where %s)',
          entity,
          (select relname from pg_catalog.pg_class where oid = entity),
          case when coalesce(bypass, false) then 'true' else format('(%s) and (%s)', permissive, restrictive) end),
        coalesce(c -> 'old_rows', '[]'::jsonb));
    end if;

    result := result || jsonb_build_array(jsonb_build_object(
      'keys', by_key -> 'visible',
      'deleted', by_old_row -> 'visible',
      'errors', (by_key ->> 'errors')::int + (by_old_row ->> 'errors')::int));
  end loop;
  return result;
end;
$$;
revoke all on function realtime.visible_keys(jsonb) from public;
`

/** Installs realtime.visible_keys; the realtime schema must exist (change capture creates it). */
export async function installRlsVisibility(db: PGlite): Promise<void> {
  await db.exec(installSql)
}

/** One RLS check: may these claims select these rows of this table? */
export interface RlsCheck {
  role: string
  /** request.jwt.claims as JSON. */
  claimsJson: string
  /** `schema.table`. */
  table: string
  /** The table's primary key columns, in key order. */
  keyColumns: Pick<ColumnMeta, 'name' | 'sqlType'>[]
  /** The primary keys of live rows to check, by their JSON. */
  pks: Map<string, unknown[]>
  /** Deleted rows as they were, by a key of the caller's that must not start with `[`. */
  oldRows: Map<string, Record<string, unknown>>
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`

function quoteTable(table: string): string {
  const [schema, ...rest] = table.split('.')
  return `${quoteIdent(schema!)}.${quoteIdent(rest.join('.'))}`
}

/** Per table and key, the select that answers which of the keys (a JSON array of key arrays) the caller sees. */
const keySelects = new Map<string, string>()

function keySelectSql(check: RlsCheck): string {
  const cacheKey = JSON.stringify([check.table, check.keyColumns])
  let sql = keySelects.get(cacheKey)
  if (sql === undefined) {
    const columns = check.keyColumns.map((column) => `t.${quoteIdent(column.name)}`).join(', ')
    const casts = check.keyColumns.map((column, i) => `(e->>${i})::${column.sqlType}`).join(', ')
    const items = 'jsonb_array_elements($1::text::jsonb) e'
    // As realtime.visible_keys: a single-column key goes through its index; a composite one is joined.
    sql =
      check.keyColumns.length === 1
        ? `select jsonb_build_array(${columns})::text from ${quoteTable(check.table)} t where ${columns} = any(array(select ${casts} from ${items}))`
        : `select jsonb_build_array(${columns})::text from ${items} join ${quoteTable(check.table)} t on (${columns}) = (${casts})`
    keySelects.set(cacheKey, sql)
  }
  return sql
}

const asCallerSql = `select set_config('role', $1::text, true), set_config('request.jwt.claims', $2::text, true)`
const asClaimsSql = `select set_config('request.jwt.claims', $1::text, true)`

/**
 * The live rows of every check in one pipelined, prepared round trip: each check
 * switches to its role and claims (transaction-local) and selects its keys. This
 * is the common case, a change to rows no policy raises on, at a fraction of the
 * cost of realtime.visible_keys (which plans each query anew and runs each check
 * in a subtransaction). Undefined when any statement fails, e.g. a policy raised:
 * realtime.visible_keys then tells the rows apart.
 */
async function liveKeysPipelined(
  db: PGlite,
  checks: [string, RlsCheck][],
): Promise<Map<string, Set<string>> | undefined> {
  // By role, so that checks sharing one follow each other (see below).
  const live = checks
    .filter(([, check]) => check.pks.size > 0)
    .sort(([, a], [, b]) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0))
  const visible = new Map<string, Set<string>>(checks.map(([checkKey]) => [checkKey, new Set<string>()]))
  if (live.length === 0) return visible
  const statements: Statement[] = live.flatMap(([, check], index) => [
    // Switching role is most of what a switch costs, and most checks share one
    // (authenticated): after the first, only the claims change when the role does not.
    index > 0 && live[index - 1]![1].role === check.role
      ? { sql: asClaimsSql, params: [check.claimsJson] }
      : { sql: asCallerSql, params: [check.role, check.claimsJson] },
    { sql: keySelectSql(check), params: [JSON.stringify([...check.pks.values()])] },
  ])
  const [setup, ...rest] = statements
  const outcome = await runPipelined(db, setup!, rest)
  if (!outcome.ok) return undefined
  live.forEach(([checkKey], index) => {
    // The results follow `rest`: the first check's keys, then each further check's role and keys.
    const rows = outcome.results[index * 2] ?? []
    // Re-serialised so that a key reads as delivery wrote it (jsonb's text has spaces).
    visible.set(checkKey, new Set(rows.map((row) => JSON.stringify(JSON.parse(row[0]!)))))
  })
  return visible
}

/**
 * Per check (by its key), the rows its claims may select under RLS: the primary
 * keys of live rows (as JSON) and the keys of deleted rows. One query for the whole batch. Fails closed: rows whose policy raised, or
 * every row when the query itself fails, stay hidden.
 */
export async function visibleKeys(
  db: PGlite,
  logger: Logger,
  checks: [string, RlsCheck][],
): Promise<Map<string, Set<string>>> {
  if (checks.length === 0) return new Map()
  const live = await liveKeysPipelined(db, checks)
  // Deleted rows always go through the function; live ones only when the pipeline failed.
  const rest = live
    ? checks
        .filter(([, check]) => check.oldRows.size > 0)
        .map(([checkKey, check]): [string, RlsCheck] => [checkKey, { ...check, pks: new Map() }])
    : checks
  const visible = live ?? new Map<string, Set<string>>()
  if (rest.length === 0) return visible
  const argument = rest.map(([, check]) => {
    return {
      table: quoteTable(check.table),
      role: check.role,
      claims: check.claimsJson,
      pks: [...check.pks.values()],
      old_rows: [...check.oldRows],
    }
  })
  try {
    const result = await db.query<{ visible: { keys: unknown[][]; deleted: string[]; errors: number }[] }>(
      'select realtime.visible_keys($1::jsonb) as visible',
      [JSON.stringify(argument)],
    )
    const lists = result.rows[0]?.visible ?? []
    rest.forEach(([checkKey, check], index) => {
      const outcome = lists[index]
      if (!outcome || outcome.errors > 0) {
        logger.warn('realtime rls check failed', {
          table: check.table,
          role: check.role,
          rows: outcome?.errors,
        })
      }
      const keys = (outcome?.keys ?? []).map((key) => JSON.stringify(key))
      visible.set(checkKey, new Set([...(visible.get(checkKey) ?? []), ...keys, ...(outcome?.deleted ?? [])]))
    })
  } catch (error) {
    logger.error('realtime rls checks failed', { error })
  }
  return visible
}
