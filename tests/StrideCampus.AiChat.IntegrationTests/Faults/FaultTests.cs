using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Faults;

/// <summary>
/// Four clients (MessageStores) of one user write messages and stream replies through a <see cref="FaultProxy"/>
/// while a fault hits: every connection dropped, connections stalled (only heartbeats notice), every chunk
/// delayed, an outage (connections refused), a PostgreSQL restart under LocalStack, a restart of LocalStack's
/// realtime replication stream. Afterwards every store
/// equals the database: nothing lost, nothing duplicated, order exact, streamed contents exact; every write
/// either landed exactly once or failed with a typed <see cref="ChatOperationException"/>.
/// Sizes: 4 x 8 messages and 4 streamed replies of 40 tokens; AICHAT_SOAK=1 runs 4 x 60 and 400 tokens.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class FaultTests(LocalStackFixture fixture, ITestOutputHelper output)
{
    private static readonly bool Soak = Environment.GetEnvironmentVariable("AICHAT_SOAK") == "1";
    private static readonly int MessagesPerTab = Soak ? 60 : 8;
    private static readonly int StreamTokens = Soak ? 400 : 40;
    private const int Tabs = 4;

    [Fact]
    public Task Drop_every_connection() => RunAsync("drop", async proxy =>
    {
        Assert.True(proxy.DropAll() > 0);
        await Task.Delay(300);
        proxy.DropAll();
    });

    [Fact]
    public Task Stall_open_connections_until_heartbeats_notice() => RunAsync("stall", async proxy =>
    {
        Assert.True(proxy.StallOpenConnections() > 0);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        proxy.DropStalled();
    });

    [Fact]
    public Task Delay_every_chunk() => RunAsync("delay", async proxy =>
    {
        proxy.Delay = TimeSpan.FromMilliseconds(120);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        proxy.Delay = TimeSpan.Zero;
    });

    [Fact]
    public Task Outage_refusing_connections() => RunAsync("outage", async proxy =>
    {
        proxy.RefuseNew = true;
        proxy.DropAll();
        await Task.Delay(TimeSpan.FromSeconds(2));
        proxy.RefuseNew = false;
    });

    [Fact]
    public Task Restart_postgres_under_localstack() => RunAsync("postgres restart", async _ =>
    {
        await fixture.Stack.Postgres.StopAsync(immediate: true);
        await Task.Delay(500);
        await fixture.Stack.Postgres.RestartAsync();
        // This test process's own pooled superuser connections died with the server (LocalStack clears its own).
        NpgsqlConnection.ClearAllPools();
    });

    /// <summary>
    /// LocalStack exposes no restart of its realtime service as a whole; its stateful part is the replication
    /// stream, so this kills its walsender (the realtime service's database connection): sockets stay open, the
    /// service reconnects replication on a new slot and must make the clients catch up on the gap.
    /// </summary>
    [Fact]
    public Task Restart_the_realtime_replication_stream() => RunAsync("realtime replication restart", async _ =>
    {
        var replication = fixture.Stack.Services.GetRequiredService<RealtimeService>().Replication;
        var slot = replication.SlotName;
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1", slot);
        await Eventually.TrueAsync(() => replication.SlotName != slot && replication.IsStreaming, "replication resumes on a new slot");
    });

    private async Task RunAsync(string fault, Func<FaultProxy, Task> inject)
    {
        var sw = Stopwatch.StartNew();
        var stack = fixture.Stack;
        await using var proxy = new FaultProxy(stack.ApiUrl.Port);
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var tabs = new List<FaultTab>();
        try
        {
            for (var i = 0; i < Tabs; i++)
            {
                tabs.Add(await FaultTab.OpenAsync(i, stack, proxy.Url, user));
            }

            var session = await tabs[0].Store.CreateSessionAsync("fault: " + fault);
            await Eventually.TrueAsync(() => tabs.All(t => t.Store.GetSessionById(session.Id) is not null), "every tab sees the session");

            var outcomes = new ConcurrentQueue<Outcome>();
            var writers = tabs.Select(tab => Task.Run(() => WriteAsync(tab, session.Id, outcomes))).ToList();
            await Task.Delay(400);
            // A fifth writer outside the proxy keeps writing while the fault hits: the clients must catch up on it.
            var direct = DirectWritesAsync(user, session.Id, outcomes);
            await inject(proxy);
            await Task.WhenAll(writers);
            await direct;

            // Converge: every tab connected again, then every store equals the database.
            await Eventually.TrueAsync(() => tabs.All(t => t.Store.IsRealtimeConnected), "every tab reconnects", TimeSpan.FromSeconds(30));
            var database = await DatabaseDumpAsync(user);
            try
            {
                await Eventually.TrueAsync(() => tabs.All(t => t.Dump() == database), "every store equals the database", TimeSpan.FromSeconds(20));
            }
            catch (Exception)
            {
                var bad = tabs.First(t => t.Dump() != database);
                var held = bad.Dump();
                // Say what differs, not only where: rows missing, rows extra, or the same rows in another order.
                var want = database.Split('\n');
                var have = held.Split('\n');
                Assert.Fail($"tab {bad.Index} (reconciliations {bad.Store.Current.Stats.Reconciliations}) differs from the database:\n" +
                    $"missing: {string.Join(" / ", want.Except(have))}\nextra: {string.Join(" / ", have.Except(want))}\n" +
                    $"same rows, other order: {want.Order().SequenceEqual(have.Order())}\n--- database\n{database}\n--- store\n{held}");
            }

            // Every write landed exactly once, or failed typed and landed at most once; streams exact.
            var rows = await MessagesAsync(user);
            var byId = rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.ToList());
            Assert.All(rows.GroupBy(r => r.Content), g => Assert.True(g.Count() == 1, $"duplicated content {g.Key}"));
            foreach (var o in outcomes)
            {
                if (o.Kind == "message")
                {
                    var found = byId.GetValueOrDefault(o.Id) ?? [];
                    Assert.True(o.Ok ? found.Count == 1 && found[0].Content == o.Content : found.Count <= 1, $"{o} -> {found.Count} rows");
                }
                else if (o.Ok)
                {
                    var found = byId.GetValueOrDefault(o.Id) ?? [];
                    Assert.True(found.Count == 1 && found[0].Content == o.Content && found[0].Status == "complete", $"stream {o.Id}: {string.Join(",", found)}");
                }
                else
                {
                    Assert.True(rows.Count(r => r.Content.StartsWith(o.Content[..o.Content.IndexOf('>', StringComparison.Ordinal)], StringComparison.Ordinal)) <= 1, $"failed stream {o} duplicated");
                }
            }

            var ok = outcomes.Count(o => o.Ok);
            var failed = outcomes.Count(o => !o.Ok);
            Totals.Add(fault, outcomes.Count, ok, failed);
            output.WriteLine($"fault '{fault}': {outcomes.Count} writes by {Tabs} clients and a direct writer ({outcomes.Count(o => o.Kind == "stream")} streamed replies), " +
                $"{ok} landed exactly once, {failed} failed with a typed error (ChatOperationException in the clients, NpgsqlException for the direct writer: {string.Join("; ", outcomes.Where(o => !o.Ok).Select(o => o.Error).Distinct().Take(3))}), " +
                $"{rows.Count} rows in the database, lost 0, duplicated 0; {proxy.AcceptedConnections} proxied connections; {sw.ElapsedMilliseconds} ms");
        }
        finally
        {
            foreach (var tab in tabs)
            {
                await tab.DisposeAsync();
            }
        }
    }

    private static async Task WriteAsync(FaultTab tab, Guid session, ConcurrentQueue<Outcome> outcomes)
    {
        var random = new Random(tab.Index);
        for (var i = 0; i < MessagesPerTab; i++)
        {
            var id = Guid.NewGuid();
            var content = $"tab{tab.Index}-message{i}";
            try
            {
                var row = await tab.Store.AddMessageAsync(session, content, messageId: id);
                Assert.Equal(id, row.Id);
                outcomes.Enqueue(new Outcome("message", id, content, true, null));
            }
            catch (ChatOperationException e)
            {
                outcomes.Enqueue(new Outcome("message", id, content, false, e.InnerException?.GetType().Name ?? e.Message));
            }

            await Task.Delay(random.Next(20, 120));
            if (i == MessagesPerTab / 2)
            {
                var tokens = Enumerable.Range(0, StreamTokens).Select(k => $"<{tab.Index}:{k}>").ToList();
                var expected = string.Concat(tokens);
                try
                {
                    var row = await tab.Store.StreamAssistantReplyAsync(session, PacedAsync(tokens));
                    outcomes.Enqueue(new Outcome("stream", row.Id, expected, true, null));
                }
                catch (ChatOperationException e)
                {
                    outcomes.Enqueue(new Outcome("stream", Guid.Empty, expected, false, e.InnerException?.GetType().Name ?? e.Message));
                }
            }
        }
    }

    private async Task DirectWritesAsync(Guid user, Guid session, ConcurrentQueue<Outcome> outcomes)
    {
        for (var i = 0; i < 6; i++)
        {
            var id = Guid.NewGuid();
            var content = $"direct-message{i}";
            try
            {
                await RealtimeTestData.ExecuteAsync(fixture.Stack, "insert into ai_chat_messages (id, session_id, user_id, content) values ($1, $2, $3, $4)", id, session, user, content);
                outcomes.Enqueue(new Outcome("message", id, content, true, null));
            }
            catch (NpgsqlException e)
            {
                outcomes.Enqueue(new Outcome("message", id, content, false, e.GetType().Name)); // the database is down
                NpgsqlConnection.ClearAllPools();
            }

            await Task.Delay(150);
        }
    }

    private static async IAsyncEnumerable<string> PacedAsync(IEnumerable<string> tokens, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var t in tokens)
        {
            await Task.Delay(10, ct);
            yield return t;
        }
    }

    private async Task<string> DatabaseDumpAsync(Guid user)
    {
        var sessions = new List<(Guid Id, string Title, List<(Guid Id, string Content, string Status)> Messages)>();
        await using var conn = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand("select id, title from ai_chat_sessions where user_id = $1", conn) { Parameters = { new() { Value = user } } })
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sessions.Add((reader.GetGuid(0), reader.GetString(1), []));
            }
        }

        foreach (var s in sessions)
        {
            await using var cmd = new NpgsqlCommand("select id, content, status from ai_chat_messages where session_id = $1 order by created_at, id", conn) { Parameters = { new() { Value = s.Id } } };
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                s.Messages.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        return FaultTab.Format(sessions);
    }

    private async Task<List<(Guid Id, string Content, string Status)>> MessagesAsync(Guid user)
    {
        var rows = new List<(Guid, string, string)>();
        await using var conn = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select id, content, status from ai_chat_messages where user_id = $1", conn) { Parameters = { new() { Value = user } } };
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
        }
        return rows;
    }

    private sealed record Outcome(string Kind, Guid Id, string Content, bool Ok, string? Error)
    {
        public override string ToString() => $"{Kind} {Id} '{(Content.Length > 40 ? Content[..40] + "…" : Content)}' ok={Ok} {Error}";
    }

    /// <summary>Run-wide figures (printed by each test as it finishes).</summary>
    private static class Totals
    {
        private static int _faults;
        private static int _writes;
        private static int _ok;
        private static int _failed;

        public static void Add(string fault, int writes, int ok, int failed)
        {
            _ = fault;
            Interlocked.Increment(ref _faults);
            Interlocked.Add(ref _writes, writes);
            Interlocked.Add(ref _ok, ok);
            Interlocked.Add(ref _failed, failed);
        }

        public static string Summary => $"{_faults} faults, {_writes} writes, {_ok} landed, {_failed} typed failures";
    }
}
