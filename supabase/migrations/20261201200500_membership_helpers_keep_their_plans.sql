-- The membership helpers every RLS policy calls (20261124000300_row_level_security.sql)
-- become PL/pgSQL, with the same body, volatility, security and search_path. The seed
-- schema is silent on their language; the decision is here.
--
-- * Why: a SQL function that is not inlined (security definer never is) is parsed and
--   planned again on every call, and a policy calls it once per statement. In the
--   embedded Postgres (PGlite, WebAssembly) that planning was most of an RLS check's
--   cost: Realtime's three per-change checks (one per set of subscriber claims) took
--   1.52-1.76 ms of CPU with the SQL helpers and 0.70-0.80 ms with these, in the same
--   run. PL/pgSQL keeps the plan of its query for the session.
-- * Same answers: the query is the one it was; rows are returned in the same way, and
--   create or replace keeps the grants.
-- * Both databases get it: the PostgreSQL 15 floor of the benches runs these
--   migrations too, so the comparison stays like for like.

create or replace function private.member_workspace_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.workspace_id from public.workspace_members m where m.user_id = (select auth.uid());
end;
$$;

create or replace function private.admin_workspace_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.workspace_id from public.workspace_members m
   where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin');
end;
$$;

create or replace function private.owner_workspace_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.workspace_id from public.workspace_members m
   where m.user_id = (select auth.uid()) and m.role = 'owner';
end;
$$;
