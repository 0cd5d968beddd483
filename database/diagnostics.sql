-- Troubleshooting queries from the setup guide.

-- 1. Realtime not working: are the three tables in the supabase_realtime publication?
select schemaname, tablename
  from pg_publication_tables
 where pubname = 'supabase_realtime'
   and tablename in ('ai_chat_sessions', 'ai_chat_messages', 'ai_chat_deletions');

-- 2. RLS policy issues: do the policies exist?
select tablename, policyname, cmd
  from pg_policies
 where tablename in ('ai_chat_sessions', 'ai_chat_messages', 'ai_chat_deletions');

-- 3. Is row level security enabled (and forced on the two chat tables)?
select relname, relrowsecurity, relforcerowsecurity
  from pg_class
 where relname in ('ai_chat_sessions', 'ai_chat_messages', 'ai_chat_deletions');

-- 3b. Deletes leaking to other users: the chat tables must keep the DEFAULT replica identity
--     ('d'), never FULL ('f'); enable_ai_chat_realtime.sql sets it.
select relname, relreplident
  from pg_class
 where relname in ('ai_chat_sessions', 'ai_chat_messages');

-- 4. Private stream channel refused ("Unauthorized: You do not have permissions to read from this
--    Channel topic: ai-chat-stream:..."): do the Realtime Authorization policies exist?
select policyname, cmd
  from pg_policies
 where schemaname = 'realtime' and tablename = 'messages'
   and policyname in ('ai_chat_stream_read_own_topic', 'ai_chat_stream_write_own_topic', 'ai_chat_stream_topic_owner_only');
