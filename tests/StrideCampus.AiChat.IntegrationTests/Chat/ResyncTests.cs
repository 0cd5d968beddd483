using System.Collections.Concurrent;
using Npgsql;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>
/// Resync after a reconnect fetches only what changed since the store's sync point (issue 16), on real PostgreSQL:
/// rows with <c>sync_xid</c> at or above it and the deletion log since, never another user's.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class ResyncTests(LocalStackFixture fixture)
{
    private const string Insert = "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)";

    /// <summary>
    /// A transaction that began before a resync and commits after it: its row's updated_at (and created_at) are
    /// older than the resync, so "changed after the last sync time" would never fetch it; its transaction id is at or
    /// above the sync point taken while it ran, so the next resync does.
    /// </summary>
    [Fact]
    public async Task A_row_committed_late_by_a_transaction_open_across_a_resync_comes_with_the_next_resync()
    {
        var a = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var b = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var sessionA = await RealtimeTestData.CreateSessionAsync(fixture.Stack, a, "A's chat");
        var sessionB = await RealtimeTestData.CreateSessionAsync(fixture.Stack, b, "B's chat");
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "update public.ai_chat_sessions set is_active = true where id = any($1)", new[] { sessionA, sessionB });
        await RealtimeTestData.ExecuteAsync(fixture.Stack, Insert, sessionA, a, "first");
        await using var tabA = await ChatTab.OpenAsync(fixture.Stack, a);
        await using var tabB = await ChatTab.OpenAsync(fixture.Stack, b);

        // Another writer's transaction inserts into A's session and stays open.
        await using var writer = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
        await writer.OpenAsync();
        await using var tx = await writer.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand(Insert, writer, tx) { Parameters = { new() { Value = sessionA }, new() { Value = a }, new() { Value = "late" } } })
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var lateAt = await ScalarAsync<DateTime>(writer, tx, "select updated_at from public.ai_chat_messages where content = 'late' and session_id = $1", sessionA);
        await tabA.Store.RefreshAsync(); // a resync while the transaction is open: the row is not visible yet
        Assert.DoesNotContain("late", tabA.StoreDump(), StringComparison.Ordinal);
        var syncedAt = tabA.Store.Current.Stats.LastSyncedAt!.Value;
        Assert.True(lateAt < syncedAt.UtcDateTime, "the late row's updated_at is older than the resync that missed it");

        // A's realtime is down when it commits, so only the resync after the reconnect can bring it.
        var reconciled = tabA.Store.Current.Stats.Reconciliations;
        tabA.DropRealtimeSocket();
        await Eventually.TrueAsync(() => !tabA.Store.IsRealtimeConnected, "A notices the drop");
        await tx.CommitAsync();
        var requestsBefore = tabA.Http.Requests.Count;
        await Eventually.TrueAsync(
            () => tabA.Store.IsRealtimeConnected && tabA.Store.Current.Stats.Reconciliations > reconciled,
            "A reconnects and resyncs", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => tabA.StoreDump().Contains("late", StringComparison.Ordinal), "the late row is held");
        Assert.Equal(["first", "late"], tabA.Store.GetSessionById(sessionA)!.Messages.Select(m => m.Content));
        var resync = tabA.Http.Requests.Skip(requestsBefore).ToList();
        Assert.Equal(await tabA.DatabaseDumpAsync(), tabA.StoreDump());

        // The resync read rows and deletions since the sync point: no page of the history.
        Assert.Contains(resync, r => r.Contains("rpc/ai_chat_sync_point", StringComparison.Ordinal));
        Assert.Contains(resync, r => r.Contains("ai_chat_messages?", StringComparison.Ordinal) && r.Contains("sync_xid=gte.", StringComparison.Ordinal));
        Assert.Contains(resync, r => r.Contains("ai_chat_deletions?", StringComparison.Ordinal) && r.Contains("sync_xid=gte.", StringComparison.Ordinal));
        Assert.DoesNotContain(resync, r => r.Contains("limit=", StringComparison.Ordinal));

        // B holds and reads none of it.
        Assert.DoesNotContain("late", tabB.StoreDump(), StringComparison.Ordinal);
        Assert.DoesNotContain(tabB.Store.GetSessions(), s => s.Id == sessionA);
        Assert.Empty(await tabB.Rest.From<ChatMessage>("ai_chat_messages", ChatJsonContext.Default.ChatMessage).Eq("session_id", sessionA.ToString()).GetAsync());
    }

    [Fact]
    public async Task After_an_outage_the_store_applies_exactly_the_rows_changed_and_deleted_and_none_of_another_users()
    {
        var a = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var b = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var sessions = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            sessions.Add(await RealtimeTestData.CreateSessionAsync(fixture.Stack, a, $"s{i}"));
            await RealtimeTestData.ExecuteAsync(fixture.Stack,
                "insert into public.ai_chat_messages (session_id, user_id, content) select $1, $2, 'm' || g from generate_series(1, 10) g", sessions[^1], a);
        }

        var sessionB = await RealtimeTestData.CreateSessionAsync(fixture.Stack, b, "B's chat");
        await using var tabA = await ChatTab.OpenAsync(fixture.Stack, a);
        foreach (var id in sessions)
        {
            await tabA.Store.LoadMessagesAsync(id);
        }

        var changes = new ConcurrentQueue<ChatChange>();
        using var subscription = tabA.Store.Changes.Subscribe(changes.Enqueue);
        var reconciled = tabA.Store.Current.Stats.Reconciliations;
        tabA.DropRealtimeSocket();
        await Eventually.TrueAsync(() => !tabA.Store.IsRealtimeConnected, "A notices the drop");

        // While A is away: K = 4 of A's rows change, and B writes and deletes rows of B's own.
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "update public.ai_chat_messages set content = 'edited' where session_id = $1 and content = 'm3'", sessions[0]);
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "delete from public.ai_chat_messages where session_id = $1 and content = 'm4'", sessions[1]);
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "delete from public.ai_chat_sessions where id = $1", sessions[2]);
        await RealtimeTestData.ExecuteAsync(fixture.Stack, Insert, sessions[3], a, "new");
        await RealtimeTestData.ExecuteAsync(fixture.Stack, Insert, sessionB, b, "B secret");
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "delete from public.ai_chat_messages where session_id = $1", sessionB);
        var requestsBefore = tabA.Http.Requests.Count;

        await Eventually.TrueAsync(
            () => tabA.Store.IsRealtimeConnected && tabA.Store.Current.Stats.Reconciliations > reconciled,
            "A reconnects and resyncs", TimeSpan.FromSeconds(30));
        var resync = tabA.Http.Requests.Skip(requestsBefore).ToList();
        Assert.Equal(await tabA.DatabaseDumpAsync(), tabA.StoreDump());
        var kinds = changes.Select(c => c.Kind).Order().ToList();
        Assert.Equal([ChatChangeKind.SessionDeleted, ChatChangeKind.MessageCreated, ChatChangeKind.MessageUpdated, ChatChangeKind.MessageDeleted], kinds);
        Assert.True(resync.Count == 4, string.Join("\n", resync)); // the sync point, then deletions, sessions and messages since the last one
        Assert.DoesNotContain(tabA.Store.GetSessions(), s => s.Id == sessionB);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
