-- What a Supabase project already has and a plain PostgreSQL lacks: the API roles.
-- LocalStack applies this before the schema; do NOT run it on a real Supabase project.
-- Idempotent: safe to run any number of times.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    -- The gateway logs in as authenticator and switches to the JWT's role per request.
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Short statement timeouts for the API roles, as every Supabase project has them
-- (supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql).
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

create extension if not exists pgcrypto;
