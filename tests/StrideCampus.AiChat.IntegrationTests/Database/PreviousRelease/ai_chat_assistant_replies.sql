-- Assistant replies generated on a server: a client asks for a reply, stops it or regenerates it
-- through the RPCs below (each checks that the session or reply is the caller's); assistant workers
-- (StrideCampus.AiChat.Assistant, signed in with the service role key on the server) claim each
-- request once with a lease, renew the lease while they stream, and watch for a stop.
-- Run after ai_chat_rls_policies.sql. Idempotent.

-- A stopped reply keeps what was written and is marked 'stopped'. Widens the status check of
-- ai_chat_schema.sql (every status it allowed stays allowed); replaced only when it lacks 'stopped'.
do $$
begin
  if not exists (
    select 1 from pg_constraint
     where conrelid = 'public.ai_chat_messages'::regclass
       and conname = 'ai_chat_messages_status_valid'
       and pg_get_constraintdef(oid) like '%stopped%') then
    alter table public.ai_chat_messages drop constraint if exists ai_chat_messages_status_valid;
    alter table public.ai_chat_messages add constraint ai_chat_messages_status_valid
      check (status in ('pending', 'streaming', 'complete', 'error', 'stopped'));
  end if;
end
$$;

-- One row per requested reply. The assistant message exists from the request on (status 'pending'),
-- so every client shows it at once; a regenerate deletes that message and its request goes with it.
create table if not exists public.ai_chat_reply_requests (
  id uuid primary key default gen_random_uuid(),
  message_id uuid not null unique references public.ai_chat_messages (id) on delete cascade,
  session_id uuid not null references public.ai_chat_sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- queued: waiting for a worker; running: claimed until lease_until; done: finished or stopped.
  status text not null default 'queued',
  stop_requested boolean not null default false,
  claimed_by text,
  lease_until timestamptz,
  attempts integer not null default 0,
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  constraint ai_chat_reply_requests_status_valid check (status in ('queued', 'running', 'done'))
);
create index if not exists ai_chat_reply_requests_open
  on public.ai_chat_reply_requests (created_at) where status <> 'done';
create index if not exists ai_chat_reply_requests_user
  on public.ai_chat_reply_requests (user_id);

drop trigger if exists ai_chat_reply_requests_updated_at on public.ai_chat_reply_requests;
create trigger ai_chat_reply_requests_updated_at
  before update on public.ai_chat_reply_requests
  for each row execute function public.ai_chat_set_updated_at();

-- Clients read their own requests; nobody writes them through the API but the service role
-- (clients go through the RPCs below, which check ownership).
alter table public.ai_chat_reply_requests enable row level security;
drop policy if exists "ai_chat_reply_requests_select_own" on public.ai_chat_reply_requests;
create policy "ai_chat_reply_requests_select_own" on public.ai_chat_reply_requests
  for select to authenticated
  using (user_id = (select auth.uid()));
revoke all on public.ai_chat_reply_requests from anon, authenticated;
grant select on public.ai_chat_reply_requests to authenticated;
grant select, insert, update, delete on public.ai_chat_reply_requests to service_role;

-- Queues a reply for one of the caller's messages-to-be: inserts the assistant message (empty,
-- 'pending') and its request. A retry with the same p_message_id returns the same message.
-- Security definer (the request table has no client write grants), so every check is explicit.
create or replace function public.ai_chat_enqueue_reply(
  p_caller uuid, p_session_id uuid, p_message_id uuid, p_metadata jsonb default '{}'::jsonb)
returns setof public.ai_chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  new_id uuid := coalesce(p_message_id, gen_random_uuid());
begin
  if not exists (select 1 from public.ai_chat_sessions s where s.id = p_session_id and s.user_id = p_caller) then
    raise exception 'session % not found', p_session_id using errcode = 'P0002';
  end if;
  insert into public.ai_chat_messages (id, session_id, user_id, content, is_user, status, metadata)
  values (new_id, p_session_id, p_caller, '', false, 'pending', coalesce(p_metadata, '{}'::jsonb))
  on conflict (id) do nothing;
  if not exists (
    select 1 from public.ai_chat_messages m
     where m.id = new_id and m.user_id = p_caller and m.session_id = p_session_id and not m.is_user) then
    raise exception 'message % belongs to another reply', new_id using errcode = '23505';
  end if;
  insert into public.ai_chat_reply_requests (message_id, session_id, user_id)
  values (new_id, p_session_id, p_caller)
  on conflict (message_id) do nothing;
  return query select * from public.ai_chat_messages m where m.id = new_id;
end
$$;
revoke all on function public.ai_chat_enqueue_reply(uuid, uuid, uuid, jsonb) from public, anon, authenticated, service_role;

-- Asks a worker for an assistant reply in one of the caller's sessions; returns the new
-- assistant message ('pending': a worker fills it).
create or replace function public.ai_chat_request_reply(p_session_id uuid, p_message_id uuid default null)
returns setof public.ai_chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
begin
  if caller is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  return query select * from public.ai_chat_enqueue_reply(caller, p_session_id, p_message_id);
end
$$;

-- Stops one of the caller's replies: a queued one (or one whose worker is gone) ends at once
-- marked 'stopped'; a running one is flagged, and its worker ends it with what it wrote.
-- Returns the message; stopping a finished reply changes nothing.
create or replace function public.ai_chat_stop_reply(p_message_id uuid)
returns setof public.ai_chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  req public.ai_chat_reply_requests;
begin
  if caller is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  select * into req from public.ai_chat_reply_requests r
   where r.message_id = p_message_id and r.user_id = caller
   for update;
  if not found then
    raise exception 'reply % not found', p_message_id using errcode = 'P0002';
  end if;
  if req.status = 'queued' or (req.status = 'running' and req.lease_until < clock_timestamp()) then
    update public.ai_chat_reply_requests set status = 'done', stop_requested = true where id = req.id;
    update public.ai_chat_messages set status = 'stopped'
     where id = p_message_id and status in ('pending', 'streaming');
  elsif req.status = 'running' then
    update public.ai_chat_reply_requests set stop_requested = true where id = req.id;
  end if;
  return query select * from public.ai_chat_messages m where m.id = p_message_id;
end
$$;

-- Replaces the caller's last assistant reply in a session with a new one: the old message goes
-- (a worker still writing it sees its request gone and stops) and a new reply is queued, its
-- metadata naming the message it replaces ({"regenerated_from": "<id>"}).
create or replace function public.ai_chat_regenerate_reply(p_session_id uuid, p_message_id uuid default null)
returns setof public.ai_chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  last_id uuid;
begin
  if caller is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  -- Serialise regenerates of one session: two at once must not both delete and both queue.
  perform 1 from public.ai_chat_sessions s where s.id = p_session_id and s.user_id = caller for update;
  if not found then
    raise exception 'session % not found', p_session_id using errcode = 'P0002';
  end if;
  select m.id into last_id from public.ai_chat_messages m
   where m.session_id = p_session_id and not m.is_user
   order by m.created_at desc, m.id desc
   limit 1;
  if last_id is null then
    raise exception 'no assistant reply to regenerate in session %', p_session_id using errcode = 'P0002';
  end if;
  delete from public.ai_chat_messages where id = last_id;
  return query select * from public.ai_chat_enqueue_reply(
    caller, p_session_id, p_message_id, jsonb_build_object('regenerated_from', last_id));
end
$$;

-- Worker side (service role only). Claims up to p_limit requests for p_worker: queued ones, and
-- running ones whose lease ran out (their worker died). SKIP LOCKED: concurrent claims never
-- return the same request. First settles what needs no worker: stopped requests whose worker is
-- gone, requests whose message is already final, and requests that failed p_max_attempts times.
create or replace function public.ai_chat_claim_replies(
  p_worker text, p_lease_ms integer, p_limit integer default 1, p_max_attempts integer default 3)
returns setof public.ai_chat_reply_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  now_ts timestamptz := clock_timestamp();
begin
  -- Each statement locks with SKIP LOCKED: concurrent claims never wait for (or deadlock on) each other.
  with settled as (
    update public.ai_chat_reply_requests r
       set status = 'done'
     where r.id in (
       select q.id from public.ai_chat_reply_requests q
        where q.status <> 'done'
          and (q.status = 'queued' or q.lease_until < now_ts)
          and (q.stop_requested or q.attempts >= p_max_attempts)
        for update skip locked)
    returning r.message_id, r.stop_requested
  )
  update public.ai_chat_messages m
     set status = case when s.stop_requested then 'stopped' else 'error' end
    from settled s
   where m.id = s.message_id and m.status in ('pending', 'streaming');

  update public.ai_chat_reply_requests r
     set status = 'done'
   where r.id in (
     select q.id from public.ai_chat_reply_requests q
       join public.ai_chat_messages m on m.id = q.message_id
      where q.status <> 'done'
        and (q.status = 'queued' or q.lease_until < now_ts)
        and m.status in ('complete', 'error', 'stopped')
      for update of q skip locked);

  return query
    update public.ai_chat_reply_requests r
       set status = 'running', claimed_by = p_worker, attempts = r.attempts + 1,
           lease_until = clock_timestamp() + p_lease_ms * interval '1 millisecond'
     where r.id in (
       select q.id from public.ai_chat_reply_requests q
        where q.status <> 'done' and not q.stop_requested and q.attempts < p_max_attempts
          and (q.status = 'queued' or q.lease_until < now_ts)
        order by q.created_at
        limit greatest(p_limit, 0)
        for update skip locked)
    returning r.*;
end
$$;

-- Renews p_worker's leases on the requests it still holds and returns them (with stop_requested):
-- a request missing from the result was taken over, deleted (regenerated, session deleted) or
-- finished, and the worker must stop writing it.
create or replace function public.ai_chat_renew_replies(p_worker text, p_ids uuid[], p_lease_ms integer)
returns setof public.ai_chat_reply_requests
language plpgsql
security definer
set search_path = ''
as $$
begin
  return query
    update public.ai_chat_reply_requests r
       set lease_until = clock_timestamp() + p_lease_ms * interval '1 millisecond'
     where r.id = any(p_ids) and r.claimed_by = p_worker and r.status = 'running'
    returning r.*;
end
$$;

-- Marks a request done (after the worker's final write of the message); false when p_worker no
-- longer held it.
create or replace function public.ai_chat_finish_reply(p_worker text, p_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.ai_chat_reply_requests r
     set status = 'done', lease_until = null
   where r.id = p_id and r.claimed_by = p_worker and r.status = 'running';
  return found;
end
$$;

revoke all on function public.ai_chat_request_reply(uuid, uuid) from public, anon;
revoke all on function public.ai_chat_stop_reply(uuid) from public, anon;
revoke all on function public.ai_chat_regenerate_reply(uuid, uuid) from public, anon;
grant execute on function public.ai_chat_request_reply(uuid, uuid) to authenticated;
grant execute on function public.ai_chat_stop_reply(uuid) to authenticated;
grant execute on function public.ai_chat_regenerate_reply(uuid, uuid) to authenticated;

revoke all on function public.ai_chat_claim_replies(text, integer, integer, integer) from public, anon, authenticated;
revoke all on function public.ai_chat_renew_replies(text, uuid[], integer) from public, anon, authenticated;
revoke all on function public.ai_chat_finish_reply(text, uuid) from public, anon, authenticated;
grant execute on function public.ai_chat_claim_replies(text, integer, integer, integer) to service_role;
grant execute on function public.ai_chat_renew_replies(text, uuid[], integer) to service_role;
grant execute on function public.ai_chat_finish_reply(text, uuid) to service_role;
