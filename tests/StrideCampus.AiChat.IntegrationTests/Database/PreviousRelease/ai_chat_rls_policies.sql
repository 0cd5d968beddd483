-- Row level security for the AI chat tables: a user sees and changes only their own sessions
-- and the messages of their own sessions. Realtime applies the same policies to every change.
-- Run after ai_chat_schema.sql. Idempotent.
alter table public.ai_chat_sessions enable row level security;
alter table public.ai_chat_sessions force row level security;
alter table public.ai_chat_messages enable row level security;
alter table public.ai_chat_messages force row level security;

drop policy if exists "ai_chat_sessions_select_own" on public.ai_chat_sessions;
create policy "ai_chat_sessions_select_own" on public.ai_chat_sessions
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "ai_chat_sessions_insert_own" on public.ai_chat_sessions;
create policy "ai_chat_sessions_insert_own" on public.ai_chat_sessions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "ai_chat_sessions_update_own" on public.ai_chat_sessions;
create policy "ai_chat_sessions_update_own" on public.ai_chat_sessions
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "ai_chat_sessions_delete_own" on public.ai_chat_sessions;
create policy "ai_chat_sessions_delete_own" on public.ai_chat_sessions
  for delete to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "ai_chat_messages_select_own" on public.ai_chat_messages;
create policy "ai_chat_messages_select_own" on public.ai_chat_messages
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Insert and update also require the target session to be the caller's, so a message can
-- neither be written into nor moved into another user's session.
drop policy if exists "ai_chat_messages_insert_own" on public.ai_chat_messages;
create policy "ai_chat_messages_insert_own" on public.ai_chat_messages
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and exists (
      select 1 from public.ai_chat_sessions s
       where s.id = session_id and s.user_id = (select auth.uid())
    )
  );

drop policy if exists "ai_chat_messages_update_own" on public.ai_chat_messages;
create policy "ai_chat_messages_update_own" on public.ai_chat_messages
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and exists (
      select 1 from public.ai_chat_sessions s
       where s.id = session_id and s.user_id = (select auth.uid())
    )
  );

drop policy if exists "ai_chat_messages_delete_own" on public.ai_chat_messages;
create policy "ai_chat_messages_delete_own" on public.ai_chat_messages
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- The deletion log: a user reads only their own deletions (and realtime delivers only those);
-- nobody writes it through the API. Not forced: the security definer trigger that writes it runs
-- as the table's owner, which RLS then leaves alone.
alter table public.ai_chat_deletions enable row level security;

drop policy if exists "ai_chat_deletions_select_own" on public.ai_chat_deletions;
create policy "ai_chat_deletions_select_own" on public.ai_chat_deletions
  for select to authenticated
  using (user_id = (select auth.uid()));
