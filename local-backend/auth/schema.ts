import type { PGlite } from '@electric-sql/pglite'

/**
 * The GoTrue columns and tables the auth routes use beyond those the migrations'
 * platform schema (db/platform-sql.ts) creates. Applied on every start, and idempotent,
 * so a data directory made by an older version gains them without a new snapshot.
 */
const authSchemaSql = `
alter table auth.users add column if not exists phone_confirmed_at timestamptz;
alter table auth.users add column if not exists invited_at timestamptz;
alter table auth.users add column if not exists confirmation_sent_at timestamptz;
alter table auth.users add column if not exists recovery_sent_at timestamptz;
alter table auth.users add column if not exists email_change_sent_at timestamptz;
alter table auth.users add column if not exists reauthentication_sent_at timestamptz;
-- GoTrue keeps the session's authentication methods (mfa_amr_claims); one is all a refresh needs.
alter table auth.sessions add column if not exists sign_in_method text;
-- Raised to aal2 once a second factor is verified in the session, with that factor's method.
alter table auth.sessions add column if not exists aal text not null default 'aal1';
alter table auth.sessions add column if not exists mfa_method text;

-- GoTrue's mfa_factors and mfa_challenges, for TOTP factors.
create table if not exists auth.mfa_factors (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users(id) on delete cascade,
  friendly_name text,
  factor_type text not null,
  status text not null default 'unverified',
  secret text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_challenged_at timestamptz
);
create table if not exists auth.mfa_challenges (
  id uuid primary key default gen_random_uuid(),
  factor_id uuid not null references auth.mfa_factors(id) on delete cascade,
  created_at timestamptz not null default now(),
  verified_at timestamptz
);

-- GoTrue's one_time_tokens: what a confirmation, magic link, recovery, invite, email
-- change or reauthentication email carries, kept hashed; one live token per user and kind.
create table if not exists auth.one_time_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users(id) on delete cascade,
  token_type text not null,
  token_hash text not null,
  relates_to text not null,
  created_at timestamptz not null default now(),
  constraint one_time_tokens_user_type unique (user_id, token_type)
);
create index if not exists one_time_tokens_token_hash_idx on auth.one_time_tokens (token_hash);

-- GoTrue's oauth_clients: the apps registered with Auth as an OAuth 2.1 server. The id is
-- the public client_id; a secret is kept hashed, and a deleted client only marked.
create table if not exists auth.oauth_clients (
  id uuid primary key default gen_random_uuid(),
  client_secret_hash text,
  registration_type text not null check (registration_type in ('dynamic', 'manual')),
  client_type text not null check (client_type in ('public', 'confidential')),
  token_endpoint_auth_method text not null,
  redirect_uris text[] not null,
  grant_types text[] not null,
  client_name text check (char_length(client_name) <= 1024),
  client_uri text check (char_length(client_uri) <= 2048),
  logo_uri text check (char_length(logo_uri) <= 2048),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
`

export async function installAuthSchema(db: PGlite): Promise<void> {
  await db.exec(authSchemaSql)
}
