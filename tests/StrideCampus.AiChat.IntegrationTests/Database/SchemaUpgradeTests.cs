using Npgsql;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.LocalStack.Hosting;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.IntegrationTests.Database;

/// <summary>
/// A database set up by the previous release's scripts (Database/PreviousRelease, main 18203e4) upgrades in place
/// with the current ones: every row kept, the scripts still idempotent, and the store (paging and resync) works on it.
/// </summary>
public sealed class SchemaUpgradeTests
{
    private static readonly string[] PreviousOrder =
    [
        "local_00_supabase_roles", "local_01_auth_schema", "local_02_supabase_grants", "local_03_realtime_messages",
        "ai_chat_schema", "enable_ai_chat_realtime", "ai_chat_rls_policies", "ai_chat_stream_authorization", "ai_chat_assistant_replies",
    ];

    /// <summary>Every row of the chat tables as text, without the columns this release adds.</summary>
    private const string DumpSql = """
        select 's|' || id || '|' || user_id || '|' || title || '|' || is_active || '|' || created_at || '|' || updated_at from public.ai_chat_sessions
        union all
        select 'm|' || id || '|' || session_id || '|' || user_id || '|' || content || '|' || is_user || '|' || status || '|' || created_at || '|' || updated_at || '|' || metadata from public.ai_chat_messages
        union all
        select 'd|' || id || '|' || user_id || '|' || table_name || '|' || row_id || '|' || session_id || '|' || deleted_at from public.ai_chat_deletions
        union all
        select 'r|' || to_jsonb(r)::text from public.ai_chat_reply_requests r
        order by 1
        """;

    [Fact]
    public async Task A_previous_release_database_upgrades_without_losing_a_row_and_the_store_works_on_it()
    {
        var root = Path.Combine(Path.GetTempPath(), "stridecampus-upgrade-" + Guid.NewGuid().ToString("N")[..8]);
        var dataDir = Path.Combine(root, "data");
        try
        {
            Guid a, b, activeA, olderA, sessionB, deletedMessage;
            List<string> before;
            await using (var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = dataDir, ApplySchema = false }))
            {
                await using var conn = new NpgsqlConnection(pg.ConnectionString);
                await conn.OpenAsync();
                foreach (var name in PreviousOrder)
                {
                    await ExecuteAsync(conn, PreviousScript(name));
                }

                a = await ScalarAsync<Guid>(conn, "insert into auth.users (email, encrypted_password, email_confirmed_at) values ('a@upgrade.test', 'x', now()) returning id");
                b = await ScalarAsync<Guid>(conn, "insert into auth.users (email, encrypted_password, email_confirmed_at) values ('b@upgrade.test', 'x', now()) returning id");
                olderA = await ScalarAsync<Guid>(conn, "insert into public.ai_chat_sessions (user_id, title) values ($1, 'older') returning id", a);
                activeA = await ScalarAsync<Guid>(conn, "insert into public.ai_chat_sessions (user_id, title, is_active) values ($1, 'active', true) returning id", a);
                sessionB = await ScalarAsync<Guid>(conn, "insert into public.ai_chat_sessions (user_id, title, is_active) values ($1, 'B secret chat', true) returning id", b);
                await ExecuteAsync(conn, "insert into public.ai_chat_messages (session_id, user_id, content, is_user) select $1, $2, 'a' || g, g % 2 = 1 from generate_series(1, 60) g", activeA, a);
                await ExecuteAsync(conn, "insert into public.ai_chat_messages (session_id, user_id, content, metadata) values ($1, $2, 'old one', '{\"model\":\"m\"}')", olderA, a);
                await ExecuteAsync(conn, "insert into public.ai_chat_messages (session_id, user_id, content) select $1, $2, 'B secret ' || g from generate_series(1, 5) g", sessionB, b);
                deletedMessage = await ScalarAsync<Guid>(conn, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'doomed') returning id", olderA, a);
                await ExecuteAsync(conn, "delete from public.ai_chat_messages where id = $1", deletedMessage);
                before = await DumpAsync(conn);
                Assert.Equal(3 + 60 + 1 + 5 + 1, before.Count); // sessions, messages, and the deletion logged

                // The upgrade, twice (idempotent): every row as it was.
                await pg.ApplyDatabaseScriptsAsync();
                await pg.ApplyDatabaseScriptsAsync();
                Assert.Equal(before, await DumpAsync(conn));
                Assert.Equal(0L, await ScalarAsync<long>(conn, "select count(*) from public.ai_chat_messages where sync_xid is null or sync_xid <= 0"));
            }

            // LocalStack over the upgraded cluster (it applies the scripts a third time): the store pages and resyncs.
            await using var stack = await LocalStackServer.StartAsync(new LocalStackOptions
            {
                AuthRateLimits = false,
                Postgres = new EmbeddedPostgresOptions { DataDirectory = dataDir },
            });
            await using (var conn = new NpgsqlConnection(stack.Postgres.ConnectionString))
            {
                await conn.OpenAsync();
                Assert.Equal(before, await DumpAsync(conn));
            }

            await using var tabA = await ChatTab.OpenAsync(stack, a);
            await using var tabB = await ChatTab.OpenAsync(stack, b);
            var state = tabA.Store.Current;
            Assert.True(state.IsInitialized);
            Assert.Equal([activeA, olderA], state.Sessions.Select(s => s.Id));
            Assert.Equal(activeA, state.ActiveSession!.Id);
            Assert.Equal(Enumerable.Range(11, 50).Select(i => "a" + i), state.ActiveSession.Messages.Select(m => m.Content));
            Assert.Equal(Enumerable.Range(1, 60).Select(i => "a" + i), (await tabA.Store.LoadOlderMessagesAsync(activeA)).Select(m => m.Content));
            var old = Assert.Single(await tabA.Store.LoadMessagesAsync(olderA));
            Assert.Equal("old one", old.Content);
            Assert.Equal("m", old.Metadata!["model"]!.GetValue<string>());

            var added = await tabA.Store.AddMessageAsync(activeA, "after the upgrade");
            await Eventually.TrueAsync(() => tabA.Store.GetSessionById(activeA)!.Messages.Any(m => m.Id == added.Id && !tabA.Store.GetSessionById(activeA)!.IsMessagePending(m.Id)), "the write is confirmed");
            await tabA.Store.RefreshAsync();
            Assert.Equal(await tabA.DatabaseDumpAsync(), tabA.StoreDump());

            Assert.Equal([sessionB], tabB.Store.GetSessions().Select(s => s.Id));
            Assert.DoesNotContain("|a1|", tabB.StoreDump(), StringComparison.Ordinal);
            Assert.DoesNotContain("B secret", tabA.StoreDump(), StringComparison.Ordinal);
            Assert.Equal(5, tabB.Store.Current.ActiveSession!.Messages.Count);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static string PreviousScript(string name)
    {
        using var stream = typeof(SchemaUpgradeTests).Assembly.GetManifestResourceStream($"PreviousRelease/{name}.sql")
            ?? throw new InvalidOperationException($"missing PreviousRelease/{name}.sql");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<List<string>> DumpAsync(NpgsqlConnection conn)
    {
        var rows = new List<string>();
        await using var cmd = new NpgsqlCommand(DumpSql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
