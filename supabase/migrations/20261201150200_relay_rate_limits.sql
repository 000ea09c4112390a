-- The relay's rate limits, kept in the database so that they hold across relay
-- restarts and across any number of relay instances (Node servers, Edge Function
-- isolates that come and go): an in-memory counter per instance would let each new
-- isolate, and each replica behind a load balancer, start with a full allowance.
--
-- Token buckets, one row per limited key (an agent's user id, a client address),
-- each key prefixed by the limit it counts against. The caller names the limit
-- (burst, rate) on every call, so changing a relay's configuration needs no
-- migration; a row stores only what the bucket holds and when it was last refilled.
-- Time is the database's clock, never a replica's: instances whose clocks disagree
-- still refill one bucket at one rate.
--
-- A take is one call: the row is created full if missing, then locked (FOR UPDATE)
-- and refilled, and a token taken if one is there. Concurrent takes of one key queue
-- on the row lock, so no two of them spend the same token, on any isolation level.
--
-- A bucket left alone long enough is full again, and a full bucket tells nothing a
-- missing row would not, so takes delete a few rows unused for an hour on their way
-- (bounded, so no take pays for a backlog): no limit the relay sets takes an hour to
-- refill, and the table keeps only recent callers without a separate job.
--
-- The table lives in `private` (not exposed over the REST API) and only the service
-- role, which the relay holds, may touch it or call the function. RLS is on with no
-- policy, so even a future grant to `authenticated` would show no row.

create table private.relay_rate_limits (
  bucket text primary key,
  tokens double precision not null,
  refilled_at timestamptz not null
);
-- The prune's scan, oldest first.
create index relay_rate_limits_refilled_at_idx on private.relay_rate_limits(refilled_at);

alter table private.relay_rate_limits enable row level security;
revoke all on private.relay_rate_limits from public, anon, authenticated;
grant select, insert, update, delete on private.relay_rate_limits to service_role;

-- Takes one token from `bucket`, which holds at most `burst` and refills at
-- `per_second`. Returns 0 when the token was taken, else the seconds until one will be
-- there (at least 1, for a Retry-After header).
create or replace function public.relay_take_rate_token(
  bucket text,
  burst integer,
  per_second double precision
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  stored private.relay_rate_limits;
  taken_at timestamptz;
  held double precision;
begin
  if burst < 1 or per_second <= 0 then
    raise exception 'relay_take_rate_token: burst must be at least 1 and per_second above 0'
      using errcode = '22023';
  end if;

  delete from private.relay_rate_limits
   where relay_rate_limits.bucket in (
     select stale.bucket from private.relay_rate_limits stale
      where stale.refilled_at < now() - interval '1 hour'
      order by stale.refilled_at
      limit 10
   );

  insert into private.relay_rate_limits (bucket, tokens, refilled_at)
  values (relay_take_rate_token.bucket, relay_take_rate_token.burst, clock_timestamp())
  on conflict on constraint relay_rate_limits_pkey do nothing;

  select * into stored from private.relay_rate_limits b
   where b.bucket = relay_take_rate_token.bucket
     for update;
  -- Read once the row is ours: a take that waited for the lock refills up to now.
  taken_at := greatest(clock_timestamp(), stored.refilled_at);
  held := least(
    relay_take_rate_token.burst::double precision,
    stored.tokens + extract(epoch from taken_at - stored.refilled_at) * per_second
  );

  update private.relay_rate_limits b
     set tokens = case when held >= 1 then held - 1 else held end,
         refilled_at = taken_at
   where b.bucket = relay_take_rate_token.bucket;

  if held >= 1 then
    return 0;
  end if;
  return greatest(1, ceil((1 - held) / per_second))::integer;
end;
$$;

revoke execute on function public.relay_take_rate_token(text, integer, double precision)
  from public, anon, authenticated;
grant execute on function public.relay_take_rate_token(text, integer, double precision) to service_role;
