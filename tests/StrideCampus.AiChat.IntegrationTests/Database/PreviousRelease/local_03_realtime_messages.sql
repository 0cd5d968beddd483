-- The part of Supabase Realtime's `realtime` schema that Realtime Authorization (private
-- channels) needs: the table realtime.messages, whose RLS policies decide who may read and
-- write a channel topic, and realtime.topic(), the topic being checked.
-- What a Supabase project already has; do NOT run this on a real Supabase project.
-- Idempotent: safe to run any number of times.
create schema if not exists realtime;

-- Same columns, defaults, key and partitioning as Supabase's table. Supabase adds a partition
-- per day; here one default partition takes every row (the checks insert and roll back).
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  constraint messages_pkey primary key (id, inserted_at)
) partition by range (inserted_at);

create table if not exists realtime.messages_default partition of realtime.messages default;

-- RLS on and no policy: a private channel is refused until the project adds policies.
alter table realtime.messages enable row level security;

-- The topic of the channel being authorised, as Realtime sets it for the check.
create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

grant usage on schema realtime to anon, authenticated, service_role;
grant insert, select, update on table realtime.messages to anon, authenticated, service_role;
