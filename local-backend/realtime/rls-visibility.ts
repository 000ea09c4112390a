import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../../src/shared/log.ts'

/**
 * Which of the given primary keys each set of claims may select, under RLS, in one
 * round trip: per check, switch to the role and claims (transaction-local, as PostgREST
 * and hosted Realtime's apply_rls do) and select the rows by primary key. When a
 * policy raises, the keys are checked one by one so that only the rows it raises on
 * stay hidden; each check reports {keys, errors}.
 */
const installSql = `
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
  query text;
  pk jsonb;
  one jsonb;
  visible jsonb;
  errors int;
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
    query := case when key_columns = 1 then
      format(
        'select coalesce(jsonb_agg(jsonb_build_array(%s)), ''[]''::jsonb) from %s t where %s = any(array(select %s from jsonb_array_elements($1) e))',
        cols, entity, cols, casts)
    else
      format(
        'select coalesce(jsonb_agg(jsonb_build_array(%s)), ''[]''::jsonb) from jsonb_array_elements($1) e join %s t on (%s) = (%s)',
        cols, entity, cols, casts)
    end;
    errors := 0;
    begin
      perform set_config('role', c ->> 'role', true), set_config('request.jwt.claims', c ->> 'claims', true);
      execute query into visible using c -> 'pks';
      perform set_config('role', null, true);
    exception when others then
      perform set_config('role', null, true);
      visible := '[]'::jsonb;
      for pk in select value from jsonb_array_elements(c -> 'pks') loop
        begin
          perform set_config('role', c ->> 'role', true), set_config('request.jwt.claims', c ->> 'claims', true);
          execute query into one using jsonb_build_array(pk);
          perform set_config('role', null, true);
          visible := visible || one;
        exception when others then
          perform set_config('role', null, true);
          errors := errors + 1;
        end;
      end loop;
    end;
    result := result || jsonb_build_array(jsonb_build_object('keys', visible, 'errors', errors));
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
  /** The primary keys to check, by their JSON. */
  pks: Map<string, unknown[]>
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`

/**
 * Per check (by its key), the primary keys (as JSON) its claims may select under
 * RLS: one query for the whole batch. Fails closed: rows whose policy raised, or
 * every row when the query itself fails, stay hidden.
 */
export async function visibleKeys(
  db: PGlite,
  logger: Logger,
  checks: [string, RlsCheck][],
): Promise<Map<string, Set<string>>> {
  const visible = new Map<string, Set<string>>()
  if (checks.length === 0) return visible
  const argument = checks.map(([, check]) => {
    const [schema, ...rest] = check.table.split('.')
    return {
      table: `${quoteIdent(schema!)}.${quoteIdent(rest.join('.'))}`,
      role: check.role,
      claims: check.claimsJson,
      pks: [...check.pks.values()],
    }
  })
  try {
    const result = await db.query<{ visible: { keys: unknown[][]; errors: number }[] }>(
      'select realtime.visible_keys($1::jsonb) as visible',
      [JSON.stringify(argument)],
    )
    const lists = result.rows[0]?.visible ?? []
    checks.forEach(([checkKey, check], index) => {
      const outcome = lists[index]
      if (!outcome || outcome.errors > 0) {
        logger.warn('realtime rls check failed', {
          table: check.table,
          role: check.role,
          rows: outcome?.errors,
        })
      }
      visible.set(checkKey, new Set((outcome?.keys ?? []).map((key) => JSON.stringify(key))))
    })
  } catch (error) {
    logger.error('realtime rls checks failed', { error })
  }
  return visible
}
