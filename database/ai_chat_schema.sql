-- AI chat schema: sessions, messages, triggers and the active-session RPC.
-- Run in the Supabase SQL editor first (before enable_ai_chat_realtime.sql and
-- ai_chat_rls_policies.sql). Idempotent: running it again changes nothing.

create table if not exists public.ai_chat_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null default 'New chat',
  is_active boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ai_chat_sessions_title_length check (char_length(title) between 1 and 200)
);

-- At most one active session per user: the database, not the clients, keeps this true.
create unique index if not exists ai_chat_sessions_one_active_per_user
  on public.ai_chat_sessions (user_id) where is_active;
-- The store lists a user's sessions newest first.
create index if not exists ai_chat_sessions_user_updated
  on public.ai_chat_sessions (user_id, updated_at desc);

create table if not exists public.ai_chat_messages (
  -- Clients may supply the id, so a retried insert can never create a duplicate.
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.ai_chat_sessions (id) on delete cascade,
  -- Denormalised from the session so RLS checks and realtime filters need no join.
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  content text not null default '',
  is_user boolean not null default true,
  status text not null default 'complete',
  -- clock_timestamp, not now(): messages written in one transaction still get distinct times.
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  metadata jsonb not null default '{}'::jsonb,
  constraint ai_chat_messages_content_length check (char_length(content) <= 100000),
  constraint ai_chat_messages_status_valid check (status in ('pending', 'streaming', 'complete', 'error'))
);

-- Chronological order within a session, with id as the tie-breaker.
create index if not exists ai_chat_messages_session_created
  on public.ai_chat_messages (session_id, created_at, id);
create index if not exists ai_chat_messages_user
  on public.ai_chat_messages (user_id);

create or replace function public.ai_chat_set_updated_at() returns trigger
language plpgsql
as $$
begin
  new.updated_at := clock_timestamp();
  return new;
end
$$;

drop trigger if exists ai_chat_sessions_updated_at on public.ai_chat_sessions;
create trigger ai_chat_sessions_updated_at
  before update on public.ai_chat_sessions
  for each row execute function public.ai_chat_set_updated_at();

drop trigger if exists ai_chat_messages_updated_at on public.ai_chat_messages;
create trigger ai_chat_messages_updated_at
  before update on public.ai_chat_messages
  for each row execute function public.ai_chat_set_updated_at();

-- A message always belongs to its session's owner. Fills user_id when a trusted writer
-- (service role) leaves it empty, and refuses a message aimed at another user's session.
-- Security definer: it must see the session's owner even when RLS hides that session.
create or replace function public.ai_chat_message_owner_check() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid;
begin
  select s.user_id into owner from public.ai_chat_sessions s where s.id = new.session_id;
  if owner is null then
    return new; -- the foreign key reports the missing session
  end if;
  if new.user_id is null then
    new.user_id := owner;
  elsif new.user_id <> owner then
    raise exception 'message user_id does not own session %', new.session_id
      using errcode = '42501';
  end if;
  return new;
end
$$;

drop trigger if exists ai_chat_messages_owner_check on public.ai_chat_messages;
create trigger ai_chat_messages_owner_check
  before insert or update of session_id, user_id on public.ai_chat_messages
  for each row execute function public.ai_chat_message_owner_check();

-- Makes one session the caller's only active session, in one transaction, so every client
-- sees exactly one active session. Pass null to leave the caller with none.
-- Security invoker: RLS still decides which sessions the caller may touch.
create or replace function public.ai_chat_set_active_session(p_session_id uuid)
returns setof public.ai_chat_sessions
language plpgsql
as $$
declare
  caller uuid := auth.uid();
begin
  if caller is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  -- Serialise concurrent switches of one user; without it two switches could both activate.
  perform pg_advisory_xact_lock(hashtextextended('ai_chat_active:' || caller::text, 0));

  if p_session_id is not null
     and not exists (select 1 from public.ai_chat_sessions where id = p_session_id and user_id = caller) then
    raise exception 'session % not found', p_session_id using errcode = 'P0002';
  end if;

  update public.ai_chat_sessions
     set is_active = false
   where user_id = caller and is_active and id is distinct from p_session_id;

  return query
    update public.ai_chat_sessions
       set is_active = true
     where id = p_session_id and user_id = caller and not is_active
    returning *;

  if p_session_id is not null and not found then
    -- Already active: return it unchanged.
    return query select * from public.ai_chat_sessions where id = p_session_id;
  end if;
end
$$;

-- The deletion log: one row per deleted session, and per message deleted on its own (a session's
-- messages go with it and are not logged one by one). Realtime cannot tell the owner's other
-- clients of a delete safely: a DELETE binding with a filter sees nothing under the default replica
-- identity, and under REPLICA IDENTITY FULL its filters are matched against the whole old row, for
-- every user's bindings, without RLS. An insert here is checked against RLS like any insert, so
-- only the owner hears of it. Written by trigger only (clients may read their own rows).
create table if not exists public.ai_chat_deletions (
  id bigint generated always as identity primary key,
  user_id uuid not null,
  table_name text not null,
  row_id uuid not null,
  -- The session itself for a deleted session, the message's session for a deleted message.
  session_id uuid not null,
  deleted_at timestamptz not null default clock_timestamp(),
  constraint ai_chat_deletions_table_valid check (table_name in ('ai_chat_sessions', 'ai_chat_messages'))
);
create index if not exists ai_chat_deletions_user
  on public.ai_chat_deletions (user_id, id);

-- How long the log keeps a user's deletions: a client away for longer reloads whole instead.
create or replace function public.ai_chat_deletions_retention() returns interval
language sql immutable
as $$ select interval '30 days' $$;

-- Security definer: the log has no write grants for API roles, and a cascade must see that the
-- session is already gone (its messages are then covered by the session's entry).
create or replace function public.ai_chat_log_deletion() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'ai_chat_messages' then
    if not exists (select 1 from public.ai_chat_sessions s where s.id = old.session_id) then
      return null;
    end if;
    insert into public.ai_chat_deletions (user_id, table_name, row_id, session_id)
    values (old.user_id, tg_table_name, old.id, old.session_id);
  else
    insert into public.ai_chat_deletions (user_id, table_name, row_id, session_id)
    values (old.user_id, tg_table_name, old.id, old.id);
  end if;
  delete from public.ai_chat_deletions d
   where d.user_id = old.user_id
     and d.deleted_at < clock_timestamp() - public.ai_chat_deletions_retention();
  return null;
end
$$;

drop trigger if exists ai_chat_sessions_log_deletion on public.ai_chat_sessions;
create trigger ai_chat_sessions_log_deletion
  after delete on public.ai_chat_sessions
  for each row execute function public.ai_chat_log_deletion();

drop trigger if exists ai_chat_messages_log_deletion on public.ai_chat_messages;
create trigger ai_chat_messages_log_deletion
  after delete on public.ai_chat_messages
  for each row execute function public.ai_chat_log_deletion();

-- Resync (issue 16): every row carries the id of the transaction that last wrote it, so a client
-- back from an outage fetches only what changed. A client takes a sync point with
-- ai_chat_sync_point() (the oldest transaction still running) BEFORE it reads; every transaction
-- below it had ended by then, so its rows were in those reads, and a later resync asks for
-- sync_xid >= that point. A transaction that began before the sync point and commits late has an
-- id at or above it, so it cannot be missed the way "updated_at > last" misses it (updated_at is
-- the transaction's start). PostgreSQL's xid8 never wraps (docs: datatype-oid, "xid8 ... 64-bit,
-- never wraps around during the life of an installation"; functions-info, pg_current_xact_id and
-- pg_snapshot_xmin); it is kept as bigint so PostgREST filters (sync_xid=gte.N) and JSON treat it
-- as a plain number. Added with "if not exists" so the previous release's tables upgrade in place.
alter table public.ai_chat_sessions
  add column if not exists sync_xid bigint not null default (pg_current_xact_id()::text)::bigint;
alter table public.ai_chat_messages
  add column if not exists sync_xid bigint not null default (pg_current_xact_id()::text)::bigint;
alter table public.ai_chat_deletions
  add column if not exists sync_xid bigint not null default (pg_current_xact_id()::text)::bigint;

create index if not exists ai_chat_sessions_user_sync
  on public.ai_chat_sessions (user_id, sync_xid);
create index if not exists ai_chat_messages_user_sync
  on public.ai_chat_messages (user_id, sync_xid);
create index if not exists ai_chat_deletions_user_sync
  on public.ai_chat_deletions (user_id, sync_xid);
-- The store opens with the newest page of sessions and pages older ones on demand.
create index if not exists ai_chat_sessions_user_created
  on public.ai_chat_sessions (user_id, created_at desc, id desc);

-- Whatever a client sends, the row gets the writing transaction's id.
create or replace function public.ai_chat_set_sync_xid() returns trigger
language plpgsql
as $$
begin
  new.sync_xid := (pg_current_xact_id()::text)::bigint;
  return new;
end
$$;

drop trigger if exists ai_chat_sessions_sync_xid on public.ai_chat_sessions;
create trigger ai_chat_sessions_sync_xid
  before insert or update on public.ai_chat_sessions
  for each row execute function public.ai_chat_set_sync_xid();

drop trigger if exists ai_chat_messages_sync_xid on public.ai_chat_messages;
create trigger ai_chat_messages_sync_xid
  before insert or update on public.ai_chat_messages
  for each row execute function public.ai_chat_set_sync_xid();

-- The sync point: every transaction with a smaller id had ended (committed or rolled back) when
-- this ran. Security invoker and free of data: it reveals nothing about any user's rows.
create or replace function public.ai_chat_sync_point() returns bigint
language sql
stable
as $$ select (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint $$;

grant select, insert, update, delete on public.ai_chat_sessions to authenticated, service_role;
grant select, insert, update, delete on public.ai_chat_messages to authenticated, service_role;
grant select on public.ai_chat_deletions to authenticated;
grant select, delete on public.ai_chat_deletions to service_role;
revoke insert, update, delete, truncate on public.ai_chat_deletions from anon, authenticated;
grant execute on function public.ai_chat_set_active_session(uuid) to authenticated, service_role;
grant execute on function public.ai_chat_sync_point() to authenticated, service_role;
