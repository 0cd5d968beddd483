-- Enables Supabase Realtime (postgres_changes) for the AI chat tables and their deletion log.
-- Run after ai_chat_schema.sql. Idempotent: a table already in the publication is skipped.
do $$
declare
  t text;
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  foreach t in array array['ai_chat_sessions', 'ai_chat_messages', 'ai_chat_deletions'] loop
    if not exists (
      select 1 from pg_publication_tables
       where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t
    ) then
      execute format('alter publication supabase_realtime add table public.%I', t);
    end if;
  end loop;
end
$$;

-- The DEFAULT replica identity: the WAL keeps only the primary key of an old row. Never FULL on
-- these tables. Supabase does not check deletes against RLS, and matches every subscriber's
-- filters against the old row (realtime.apply_rls): with whole old rows in the WAL, another user's
-- filtered DELETE bindings (user_id=eq.<guess>, content=gte.<prefix>) would tell them whose row was
-- deleted and what it said. Owners learn of deletes from public.ai_chat_deletions instead.
-- This also downgrades a database set up by an earlier release of these scripts (which used FULL).
alter table public.ai_chat_sessions replica identity default;
alter table public.ai_chat_messages replica identity default;
