using Npgsql;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Database;

/// <summary>The schema's own guarantees: active-session RPC, cascade, checks, triggers, idempotent scripts.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PostgresFixture db)
{
    private static async Task<Guid> NewSessionAsync(DbSession s, string title)
    {
        await using var cmd = s.Command("insert into ai_chat_sessions (title) values ($1) returning id", title);
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Set_active_session_leaves_exactly_one_active_session()
    {
        var a = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        var s1 = await NewSessionAsync(asA, "one");
        var s2 = await NewSessionAsync(asA, "two");
        var s3 = await NewSessionAsync(asA, "three");

        foreach (var target in new[] { s1, s2, s3, s3, s1 })
        {
            await using var rpc = asA.Command("select id, is_active from ai_chat_set_active_session($1)", target);
            await using (var reader = await rpc.ExecuteReaderAsync())
            {
                Assert.True(await reader.ReadAsync());
                Assert.Equal(target, reader.GetGuid(0));
                Assert.True(reader.GetBoolean(1));
            }
            Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_sessions where is_active"));
            Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_sessions where is_active and id = $1", target));
        }

        await asA.ExecuteAsync("select * from ai_chat_set_active_session(null)");
        Assert.Equal(0, await asA.CountAsync("select count(*) from ai_chat_sessions where is_active"));
    }

    [Fact]
    public async Task Set_active_session_refuses_another_users_session_and_keeps_theirs()
    {
        var a = await db.CreateUserAsync();
        var b = await db.CreateUserAsync();
        Guid sessionA;
        await using (var asA = await db.AsAsync("authenticated", a))
        {
            sessionA = await NewSessionAsync(asA, "A");
            await asA.ExecuteAsync("select * from ai_chat_set_active_session($1)", sessionA);
            await asA.CommitAsync();
        }
        await using (var asB = await db.AsAsync("authenticated", b))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => asB.ExecuteAsync("select * from ai_chat_set_active_session($1)", sessionA));
            Assert.Equal("P0002", ex.SqlState);
        }
        await using var check = await db.AsAsync("authenticated", a);
        Assert.Equal(1, await check.CountAsync("select count(*) from ai_chat_sessions where id = $1 and is_active", sessionA));
    }

    [Fact]
    public async Task Concurrent_switches_never_leave_two_active_sessions()
    {
        var a = await db.CreateUserAsync();
        var ids = new List<Guid>();
        await using (var asA = await db.AsAsync("authenticated", a))
        {
            for (var i = 0; i < 4; i++)
            {
                ids.Add(await NewSessionAsync(asA, "s" + i));
            }
            await asA.CommitAsync();
        }
        var tasks = Enumerable.Range(0, 20).Select(async i =>
        {
            await using var s = await db.AsAsync("authenticated", a);
            await s.ExecuteAsync("select * from ai_chat_set_active_session($1)", ids[i % ids.Count]);
            await s.CommitAsync();
        });
        await Task.WhenAll(tasks);
        await using var check = await db.AsAsync("authenticated", a);
        Assert.Equal(1, await check.CountAsync("select count(*) from ai_chat_sessions where is_active"));
    }

    [Fact]
    public async Task Partial_unique_index_refuses_a_second_active_session()
    {
        var a = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        await asA.ExecuteAsync("insert into ai_chat_sessions (title, is_active) values ('x', true)");
        var ex = await Assert.ThrowsAsync<PostgresException>(() => asA.ExecuteAsync("insert into ai_chat_sessions (title, is_active) values ('y', true)"));
        Assert.Equal("23505", ex.SqlState);
    }

    [Fact]
    public async Task Deleting_a_session_deletes_its_messages()
    {
        var a = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        var s = await NewSessionAsync(asA, "doomed");
        for (var i = 0; i < 3; i++)
        {
            await asA.ExecuteAsync("insert into ai_chat_messages (session_id, content) values ($1, $2)", s, "m" + i);
        }
        Assert.Equal(3, await asA.CountAsync("select count(*) from ai_chat_messages where session_id = $1", s));
        Assert.Equal(1, await asA.ExecuteAsync("delete from ai_chat_sessions where id = $1", s));
        await using var service = await db.AsAsync("service_role", null);
        Assert.Equal(0, await asA.CountAsync("select count(*) from ai_chat_messages where session_id = $1", s));
    }

    [Fact]
    public async Task Deletes_are_logged_once_for_the_owner_a_session_covering_its_messages()
    {
        var a = await db.CreateUserAsync();
        var b = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        await using var asB = await db.AsAsync("authenticated", b);
        var kept = await NewSessionAsync(asA, "kept");
        var doomed = await NewSessionAsync(asA, "doomed");
        await asB.ExecuteAsync("delete from ai_chat_sessions where id = $1", doomed); // RLS: B deletes nothing, nothing is logged
        for (var i = 0; i < 3; i++)
        {
            await asA.ExecuteAsync("insert into ai_chat_messages (session_id, content) values ($1, $2)", doomed, "m" + i);
        }
        await asA.ExecuteAsync("insert into ai_chat_messages (session_id, content) values ($1, 'single')", kept);

        await asA.ExecuteAsync("delete from ai_chat_messages where session_id = $1 and content = 'single'", kept);
        await asA.ExecuteAsync("delete from ai_chat_sessions where id = $1", doomed);
        // One entry for the message deleted on its own, one for the session (not one per cascaded message).
        Assert.Equal(2, await asA.CountAsync("select count(*) from ai_chat_deletions"));
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_deletions where table_name = 'ai_chat_sessions' and row_id = $1 and session_id = $1", doomed));
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_deletions where table_name = 'ai_chat_messages' and session_id = $1", kept));
        Assert.Equal(0, await asB.CountAsync("select count(*) from ai_chat_deletions"));
        await Assert.ThrowsAsync<PostgresException>(() => asA.ExecuteAsync(
            "insert into ai_chat_deletions (user_id, table_name, row_id, session_id) values ($1, 'ai_chat_sessions', $2, $2)", a, kept));
    }

    [Fact]
    public async Task The_chat_tables_keep_the_default_replica_identity_even_over_a_database_that_had_full()
    {
        await using (var conn = new NpgsqlConnection(db.Postgres.ConnectionString))
        {
            await conn.OpenAsync();
            // What the previous release's enable_ai_chat_realtime.sql left behind.
            await using var old = new NpgsqlCommand(
                "alter table ai_chat_sessions replica identity full; alter table ai_chat_messages replica identity full", conn);
            await old.ExecuteNonQueryAsync();
        }

        await db.Postgres.ApplyDatabaseScriptsAsync();
        await using var check = new NpgsqlConnection(db.Postgres.ConnectionString);
        await check.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select string_agg(relname || '=' || relreplident::text, ',' order by relname) from pg_class where relname in ('ai_chat_sessions','ai_chat_messages') and relkind = 'r'", check);
        Assert.Equal("ai_chat_messages=d,ai_chat_sessions=d", (string)(await cmd.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData("insert into ai_chat_messages (session_id, content, status) values ($1, 'x', 'bogus')")]
    [InlineData("insert into ai_chat_messages (session_id, content) values ($1, repeat('x', 100001))")]
    [InlineData("update ai_chat_sessions set title = '' where id = $1")]
    public async Task Check_constraints_refuse_invalid_values(string sql)
    {
        var a = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        var s = await NewSessionAsync(asA, "checks");
        var ex = await Assert.ThrowsAsync<PostgresException>(() => asA.ExecuteAsync(sql, s));
        Assert.Equal("23514", ex.SqlState);
    }

    [Fact]
    public async Task Updated_at_moves_on_update_and_messages_order_by_creation()
    {
        var a = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        var s = await NewSessionAsync(asA, "t");
        for (var i = 0; i < 5; i++)
        {
            await asA.ExecuteAsync("insert into ai_chat_messages (session_id, content) values ($1, $2)", s, "m" + i);
        }
        await using (var cmd = asA.Command("select string_agg(content, ',' order by created_at, id) from ai_chat_messages where session_id = $1", s))
        {
            Assert.Equal("m0,m1,m2,m3,m4", (string)(await cmd.ExecuteScalarAsync())!);
        }
        // Compare with the row's own updated_at before the update: at insert, created_at and
        // updated_at are two clock_timestamp() calls and may already differ by a microsecond.
        await using var before = asA.Command("select updated_at from ai_chat_messages where session_id = $1 and content = 'm0'", s);
        var stamp = (DateTime)(await before.ExecuteScalarAsync())!;
        await asA.ExecuteAsync("update ai_chat_messages set content = 'changed' where session_id = $1 and content = 'm0'", s);
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_messages where session_id = $1 and content = 'changed' and updated_at > $2", s, stamp));
        Assert.Equal(4, await asA.CountAsync(
            "select count(*) from ai_chat_messages where session_id = $1 and updated_at < (select updated_at from ai_chat_messages where session_id = $1 and content = 'changed')", s));
    }

    [Fact]
    public async Task Scripts_apply_twice_more_without_error_and_keep_the_publication()
    {
        await db.Postgres.ApplyDatabaseScriptsAsync();
        await db.Postgres.ApplyDatabaseScriptsAsync();
        await using var conn = new NpgsqlConnection(db.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select count(*) from pg_publication_tables where pubname = 'supabase_realtime' and tablename in ('ai_chat_sessions','ai_chat_messages','ai_chat_deletions')", conn);
        Assert.Equal(3L, (long)(await cmd.ExecuteScalarAsync())!);
        await using var pol = new NpgsqlCommand("select count(*) from pg_policies where tablename in ('ai_chat_sessions','ai_chat_messages','ai_chat_deletions')", conn);
        Assert.Equal(9L, (long)(await pol.ExecuteScalarAsync())!);
        await using var realtime = new NpgsqlCommand(
            "select count(*) from pg_policies where schemaname = 'realtime' and tablename = 'messages' and policyname in ('ai_chat_stream_read_own_topic','ai_chat_stream_write_own_topic','ai_chat_stream_topic_owner_only')", conn);
        Assert.Equal(3L, (long)(await realtime.ExecuteScalarAsync())!);
        await using var rls = new NpgsqlCommand("select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass", conn);
        Assert.True((bool)(await rls.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Realtime_topic_returns_the_setting_and_the_stream_policies_admit_only_the_topics_owner()
    {
        var a = await db.CreateUserAsync();
        var b = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        await using (var none = asA.Command("select realtime.topic() is null"))
        {
            Assert.True((bool)(await none.ExecuteScalarAsync())!);
        }

        // A committed broadcast row, written as the owner (RLS does not apply to it), for the read probes.
        var row = Guid.NewGuid();
        await using (var owner = new NpgsqlConnection(db.Postgres.ConnectionString))
        {
            await owner.OpenAsync();
            await using var insert = new NpgsqlCommand("insert into realtime.messages (id, topic, extension) values ($1, 'probe', 'broadcast')", owner);
            insert.Parameters.AddWithValue(row);
            await insert.ExecuteNonQueryAsync();
        }

        async Task<(bool Read, bool Write)> ProbeAsync(string topic)
        {
            await asA.ExecuteAsync("select set_config('realtime.topic', $1, true)", topic);
            await using (var current = asA.Command("select realtime.topic()"))
            {
                Assert.Equal(topic, (string)(await current.ExecuteScalarAsync())!);
            }
            var read = await asA.CountAsync("select count(*) from realtime.messages where id = $1", row) == 1;
            await asA.ExecuteAsync("savepoint probe");
            try
            {
                await asA.ExecuteAsync("insert into realtime.messages (topic, extension) values ($1, 'broadcast')", topic);
                await asA.ExecuteAsync("release savepoint probe");
                return (read, true);
            }
            catch (PostgresException ex) when (ex.SqlState == "42501")
            {
                await asA.ExecuteAsync("rollback to savepoint probe");
                return (read, false);
            }
        }

        Assert.Equal((true, true), await ProbeAsync("ai-chat-stream:" + a.ToString("D")));
        Assert.Equal((false, false), await ProbeAsync("ai-chat-stream:" + b.ToString("D")));
        Assert.Equal((false, false), await ProbeAsync("ai-chat-stream:" + a.ToString("D").ToUpperInvariant()));
        Assert.Equal((false, false), await ProbeAsync("ai-chat-stream:"));
        // A presence row on the user's own topic is refused: the stream topic carries broadcasts only.
        await asA.ExecuteAsync("select set_config('realtime.topic', $1, true)", "ai-chat-stream:" + a.ToString("D"));
        await Assert.ThrowsAsync<PostgresException>(() => asA.ExecuteAsync("insert into realtime.messages (topic, extension) values (realtime.topic(), 'presence')"));
    }
}
