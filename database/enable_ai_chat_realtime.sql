-- Enables Supabase Realtime (postgres_changes) for the AI chat tables.
-- Run after ai_chat_schema.sql. Idempotent: a table already in the publication is skipped.
do $$
declare
  t text;
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  foreach t in array array['ai_chat_sessions', 'ai_chat_messages'] loop
    if not exists (
      select 1 from pg_publication_tables
       where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t
    ) then
      execute format('alter publication supabase_realtime add table public.%I', t);
    end if;
  end loop;
end
$$;

-- FULL replica identity puts whole old rows in the WAL, so UPDATE and DELETE events can carry
-- the old values to consumers allowed to see them. Under RLS Supabase still sends only the
-- primary key of an old row, which is all the SDK relies on.
alter table public.ai_chat_sessions replica identity full;
alter table public.ai_chat_messages replica identity full;
