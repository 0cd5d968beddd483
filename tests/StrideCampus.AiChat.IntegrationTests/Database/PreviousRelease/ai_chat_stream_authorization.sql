-- Realtime Authorization for the private broadcast channel that relays streamed reply tokens
-- between a user's own clients: the topic 'ai-chat-stream:' || auth.uid()::text (the uuid in
-- lower case with dashes). A signed-in user may receive (select) and send (insert) broadcasts on
-- their own stream topic and on no other. Presence is not allowed on it. At the end: the change
-- feed's channel, which joins as private on projects that allow private channels only.
-- Run after ai_chat_rls_policies.sql. Idempotent: each policy is dropped and created again.
-- Policies on realtime.messages only add permissions (they are permissive), so other private
-- channels of your project keep whatever your other policies on realtime.messages allow.

drop policy if exists "ai_chat_stream_read_own_topic" on realtime.messages;
create policy "ai_chat_stream_read_own_topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (select realtime.topic()) = 'ai-chat-stream:' || (select auth.uid())::text
  );

drop policy if exists "ai_chat_stream_write_own_topic" on realtime.messages;
create policy "ai_chat_stream_write_own_topic" on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension = 'broadcast'
    and (select realtime.topic()) = 'ai-chat-stream:' || (select auth.uid())::text
  );

-- Policies of one kind are OR-ed together: a broader permissive policy elsewhere in the project (say,
-- "authenticated can receive broadcasts" using (true)) would open every user's stream topic to every
-- signed-in user. This restrictive policy is AND-ed with all of them: whatever else allows, a topic
-- 'ai-chat-stream:<uid>' is usable by that user alone. Other topics are left to your other policies.
drop policy if exists "ai_chat_stream_topic_owner_only" on realtime.messages;
create policy "ai_chat_stream_topic_owner_only" on realtime.messages
  as restrictive
  for all to authenticated, anon
  using (
    coalesce((select realtime.topic()), '') not like 'ai-chat-stream:%'
    or (select realtime.topic()) = 'ai-chat-stream:' || (select auth.uid())::text
  )
  with check (
    coalesce((select realtime.topic()), '') not like 'ai-chat-stream:%'
    or (select realtime.topic()) = 'ai-chat-stream:' || (select auth.uid())::text
  );

-- The SDK's change feed (postgres_changes of the chat tables) uses the channel
-- 'ai-chat:' || <user id, 32 hex digits without dashes> || ':' || <one per client>. It is public where
-- the project allows it; on a project with "private channels only" (Realtime settings) it joins as a
-- private channel, and Supabase Realtime then wants a read permission on the topic (checked for the
-- broadcast extension: supabase/realtime lib/realtime_web/channels/realtime_channel.ex,
-- maybe_assign_policies; lib/realtime/tenants/authorization.ex). The rows themselves stay guarded by
-- the tables' RLS, as on a public channel. A signed-in user may join their own feed topics, no other.
drop policy if exists "ai_chat_feed_read_own_topic" on realtime.messages;
create policy "ai_chat_feed_read_own_topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and split_part((select realtime.topic()), ':', 1) = 'ai-chat'
    and split_part((select realtime.topic()), ':', 2) = replace((select auth.uid())::text, '-', '')
  );

-- As for the stream topic: whatever broader policy the project has, a feed topic is its user's alone.
drop policy if exists "ai_chat_feed_topic_owner_only" on realtime.messages;
create policy "ai_chat_feed_topic_owner_only" on realtime.messages
  as restrictive
  for all to authenticated, anon
  using (
    coalesce((select realtime.topic()), '') not like 'ai-chat:%'
    or split_part((select realtime.topic()), ':', 2) = replace((select auth.uid())::text, '-', '')
  )
  with check (
    coalesce((select realtime.topic()), '') not like 'ai-chat:%'
    or split_part((select realtime.topic()), ':', 2) = replace((select auth.uid())::text, '-', '')
  );
