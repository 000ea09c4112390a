-- private.default_avatar_color picked its colour with abs(hashtext(...)) % 8, and
-- abs() of hashtext's one value with no positive counterpart (-2147483648) raises
-- "integer out of range": a user whose id hashed there could not join a workspace.
-- The low three bits pick the same eight colours for every hash, negative ones too.
create or replace function private.default_avatar_color(user_id uuid)
returns text
language sql
immutable
set search_path = ''
as $$
  select (array['#1d4ed8', '#6d28d9', '#be185d', '#b91c1c', '#b45309', '#047857', '#0e7490', '#4d7c0f'])
    [1 + (hashtext(user_id::text) & 7)];
$$;
