import type { PGlite } from '@electric-sql/pglite'

/**
 * How long and how large one request's read may grow, enforced inside the statement.
 *
 * Hosted Supabase sets `statement_timeout` on the API roles (3 s for anon, 8 s for
 * authenticated) and PostgREST applies the caller's role settings per transaction;
 * we do the same (`timeoutSetupSql`). Postgres cannot enforce it here: PGlite
 * runs a statement synchronously on the only JavaScript thread, and the SIGALRM
 * that would cancel it is a JavaScript timer that can fire only after the statement
 * has returned (checked: a 1 s query under a 300 ms timeout completes). So every row
 * a read considers, at every level, passes a check against the caller's deadline
 * (counted from the start of the request's transaction), which cancels with the
 * same 57014 Postgres raises. Change the values as on hosted:
 * `alter role authenticated set statement_timeout = '20s'`, then
 * `notify pgrst, 'reload config'` (role-settings.ts).
 *
 * A deadline alone is no fairness here: the process has one Postgres, so every
 * other request waits for the running one, and a fan-out embed (contacts →
 * workspace → contacts → …) multiplies rows per level, growing memory by hundreds
 * of megabytes a second. So the rows all embedded resources of one request hold are
 * counted too, and the read stops at `maxEmbeddedRows`. The app's only embed (a
 * membership's workspace) holds one row per workspace; a page of 1,000 parents with
 * 20 children each fits; seven levels of fan-out over 30 contacts do not.
 */
export const maxEmbeddedRows = 20_000

const schema = 'rest_bounds'
const counter = `${schema}.embedded_rows`

/** Installed at start (idempotently, as the realtime capture is), so an existing data directory gets it too. */
export const boundsInstallSql = `
create schema if not exists ${schema};
grant usage on schema ${schema} to anon, authenticated, service_role;
-- A sequence, not a table: it counts outside the transaction and costs no row version per row.
create sequence if not exists ${counter};
grant usage, update on sequence ${counter} to anon, authenticated, service_role;

create or replace function ${schema}.statement_timeout() returns boolean
language plpgsql as $$
begin
  raise exception 'canceling statement due to statement timeout' using errcode = '57014';
end;
$$;

create or replace function ${schema}.too_many_embedded_rows(max_rows bigint) returns boolean
language plpgsql as $$
begin
  raise exception 'The embedded resources of this request hold more than % rows', max_rows
    using errcode = '54000',
      hint = 'Embed fewer levels, or filter or limit the embedded resources (e.g. messages.limit=50).';
end;
$$;

-- Hosted Supabase's values, set only where no one has chosen their own.
do $$
declare
  hosted record;
begin
  for hosted in select * from (values ('anon', '3s'), ('authenticated', '8s')) v(api_role, timeout) loop
    if not exists (
      select 1 from pg_db_role_setting s, unnest(s.setconfig) c
      where s.setdatabase = 0 and s.setrole = hosted.api_role::regrole and c like 'statement_timeout=%'
    ) then
      execute format('alter role %I set statement_timeout = %L', hosted.api_role, hosted.timeout);
    end if;
  end loop;
end;
$$;
`

export async function installBounds(db: PGlite): Promise<void> {
  await db.exec(boundsInstallSql)
}

/**
 * The setup expression for the caller's transaction, `$3` being its role's
 * `statement_timeout` (role-settings.ts) or null for a role without one.
 */
export const timeoutSetupSql = `set_config('statement_timeout', coalesce($3::text, current_setting('statement_timeout')), true)`

/**
 * The setup expression that starts the embedded-row count afresh. Only a transaction
 * whose statements count needs it: setting a sequence gives the transaction an id
 * and writes WAL, which a read that embeds nothing (the inbox's every page) would
 * otherwise pay for on every request.
 */
export const embeddedRowsResetSql = `setval('${counter}', 1, false)`

export function countsEmbeddedRows(sql: string): boolean {
  return sql.includes(counter)
}

/**
 * A check that is true or raises, said so that the planner counts on it passing. As a
 * bare `a or f()` the planner guesses it keeps a third to two thirds of the rows; that
 * guess cut the inbox page's estimate (with RLS's own guess) from 337 rows to 94, fewer
 * than the page needs, so it read all 338 through a bitmap and sorted them instead of
 * walking the ordered index for the 100 it needed. A never-null expression's
 * `is not null` is estimated at 99.5% and means the same here.
 */
const passingCheck = (check: string) => `(${check}) is not null`

/**
 * True while the statement is within the caller's deadline; past it, cancels.
 * The deadline is an InitPlan, computed once per statement; the clock is read per row.
 * No timeout is an infinite timestamp, not an infinite interval, which Postgres 15 lacks.
 */
export const withinDeadlineSql = passingCheck(
  `clock_timestamp() < (select coalesce(now() + nullif(current_setting('statement_timeout'), '0')::interval, 'infinity')) or ${schema}.statement_timeout()`,
)

/** True for each embedded row until the request has embedded `maxEmbeddedRows`; then stops the read. */
export const countEmbeddedRowSql = passingCheck(
  `nextval('${counter}') <= ${maxEmbeddedRows} or ${schema}.too_many_embedded_rows(${maxEmbeddedRows})`,
)
