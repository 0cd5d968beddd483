using System.Diagnostics;
using System.Globalization;
using System.Reactive.Concurrency;
using StrideCampus.AiChat.Benchmarks.Infrastructure;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Benchmarks.Load;

/// <summary>
/// <c>history</c> (issue 16): what opening and catching up cost at any history size, through LocalStack on loopback.
/// A small user (10 sessions of 50 messages) and a large one (2,000 sessions of 100: user messages about 200 bytes,
/// assistant replies about 1.5 KB), seeded with SQL generate_series. For each: the store's open (time to
/// IsInitialized, REST bytes received, bytes allocated; median of 9 after a warm-up), the previous release's full load
/// (every session and message, paged at Max rows; one run for the large user), and a resync after K = 0, 10 and
/// 1,000 rows changed (RefreshAsync, the path a reconnect takes; median of 3). Then the large user's store after
/// browsing 100 sessions: heap and what it holds against its cache bound.
/// </summary>
internal static class HistoryCommand
{
    private const int Runs = 9;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var server = await BenchServer.StartAsync(cancellationToken).ConfigureAwait(false);
        var small = await server.CreateUserAsync(null, cancellationToken).ConfigureAwait(false);
        var large = await server.CreateUserAsync(null, cancellationToken).ConfigureAwait(false);
        var seed = Stopwatch.StartNew();
        await SeedAsync(server, small, 10, 50, cancellationToken).ConfigureAwait(false);
        await SeedAsync(server, large, 2_000, 100, cancellationToken).ConfigureAwait(false);
        // Each user's newest session is the active one, as in a chat app: opening reads its newest messages.
        await server.ExecuteAsync(
            "update public.ai_chat_sessions s set is_active = true where s.id in (select distinct on (user_id) id from public.ai_chat_sessions where user_id in ($1, $2) order by user_id, created_at desc)",
            cancellationToken, small, large).ConfigureAwait(false);
        await server.ExecuteAsync("analyze", cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"seeded 10 x 50 and 2,000 x 100 messages in {seed.Elapsed.TotalSeconds:F1} s");

        Console.WriteLine();
        Console.WriteLine("=== open: time to IsInitialized, REST response bytes, client allocations ===");
        Console.WriteLine($"{"user",-16} {"how",-22} {"ms (median)",12} {"KB received",12} {"alloc MB",9} {"requests",9} {"sessions",9} {"messages",9}");
        var opens = new Dictionary<Guid, double>();
        foreach (var (name, user) in new[] { ("10 x 50", small), ("2,000 x 100", large) })
        {
            var open = await MeasureOpenAsync(server, user, cancellationToken).ConfigureAwait(false);
            opens[user] = open.Ms;
            Print(name, "paged open (this)", open);
            var full = await MeasureFullLoadAsync(server, user, user == large ? 1 : Runs, cancellationToken).ConfigureAwait(false);
            Print(name, "full load (previous)", full);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"large open / small open: x{opens[large] / opens[small]:F2}"));
        Console.WriteLine();
        Console.WriteLine("=== resync after K changed rows (RefreshAsync: a sync point, then rows and deletions since the last) ===");
        Console.WriteLine($"{"user",-16} {"K",6} {"ms (median)",12} {"KB received",12} {"alloc MB",9} {"requests",9} {"applied",8}");
        foreach (var (name, user) in new[] { ("10 x 50", small), ("2,000 x 100", large) })
        {
            foreach (var k in new[] { 0, 10, 1_000 })
            {
                var r = await MeasureResyncAsync(server, user, k, cancellationToken).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-16} {k,6:N0} {r.Ms,12:F1} {r.Bytes / 1024.0,12:F1} {r.Allocated / 1048576.0,9:F2} {r.Requests,9} {r.Messages,8}"));
            }
        }

        Console.WriteLine();
        await MeasureBrowsingAsync(server, large, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static void Print(string user, string how, Measure m) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{user,-16} {how,-22} {m.Ms,12:F1} {m.Bytes / 1024.0,12:F1} {m.Allocated / 1048576.0,9:F2} {m.Requests,9} {m.Sessions,9:N0} {m.Messages,9:N0}"));

    private static async Task<Measure> MeasureOpenAsync(BenchServer server, Guid user, CancellationToken cancellationToken)
    {
        var results = new List<Measure>();
        for (var run = 0; run < Runs + 1; run++)
        {
            var counter = new ReceivedBytes();
            await using var clients = new UserClients(server, user, counter);
            await clients.Realtime.ConnectAsync(cancellationToken).ConfigureAwait(false); // the socket is not what is measured
            var m = await TimedAsync(counter, async () =>
            {
                var (store, _) = await clients.CreateStoreAsync(new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance }, cancellationToken).ConfigureAwait(false);
                var state = store.Current;
                await store.DisposeAsync().ConfigureAwait(false);
                return (state.Stats.SessionCount, state.Stats.MessageCount);
            }).ConfigureAwait(false);
            if (run > 0)
            {
                results.Add(m);
            }
        }

        return Median(results);
    }

    private static async Task<Measure> MeasureFullLoadAsync(BenchServer server, Guid user, int runs, CancellationToken cancellationToken)
    {
        var results = new List<Measure>();
        for (var run = 0; run < runs; run++)
        {
            var counter = new ReceivedBytes();
            await using var clients = new UserClients(server, user, counter);
            var source = new PostgrestChatDataSource(clients.Rest, user);
            results.Add(await TimedAsync(counter, async () =>
            {
                var rows = await source.LoadSessionsWithMessagesAsync(cancellationToken).ConfigureAwait(false);
                return (rows.Count, rows.Sum(r => r.AiChatMessages?.Count ?? 0));
            }).ConfigureAwait(false));
        }

        return Median(results);
    }

    private static async Task<Measure> MeasureResyncAsync(BenchServer server, Guid user, int k, CancellationToken cancellationToken)
    {
        var counter = new ReceivedBytes();
        await using var clients = new UserClients(server, user, counter);
        var (store, _) = await clients.CreateStoreAsync(new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance }, cancellationToken).ConfigureAwait(false);
        await using var _ = store;
        var results = new List<Measure>();
        for (var run = 0; run < 3; run++)
        {
            if (k > 0)
            {
                // K rows of the user change in one transaction (the newest K messages: what a store is likeliest to
                // hold), each keeping its length: the last two characters become the run's number.
                await server.ExecuteAsync(
                    "update public.ai_chat_messages set content = left(content, length(content) - 2) || lpad($3::text, 2, '0') where id in " +
                    "(select id from public.ai_chat_messages where user_id = $1 order by created_at desc limit $2)",
                    cancellationToken, user, k, run).ConfigureAwait(false);
            }

            var changes = 0;
            using var sub = store.Changes.Subscribe(_ => Interlocked.Increment(ref changes));
            var m = await TimedAsync(counter, async () =>
            {
                await store.RefreshAsync(cancellationToken).ConfigureAwait(false);
                return (0, Volatile.Read(ref changes));
            }).ConfigureAwait(false);
            results.Add(m);
        }

        return Median(results);
    }

    private static async Task MeasureBrowsingAsync(BenchServer server, Guid user, CancellationToken cancellationToken)
    {
        var counter = new ReceivedBytes();
        await using var clients = new UserClients(server, user, counter);
        var options = new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance };
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var (store, _) = await clients.CreateStoreAsync(options, cancellationToken).ConfigureAwait(false);
        await using var _ = store;
        while (store.Current.Sessions.Count < 100 && store.Current.HasMoreSessions)
        {
            await store.LoadMoreSessionsAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var session in store.Current.Sessions.Take(100).ToList())
        {
            await store.LoadMessagesAsync(session.Id, cancellationToken).ConfigureAwait(false);
        }

        var stats = store.Current.Stats;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine("=== browsing: the 2,000 x 100 user's store after opening 100 sessions ===");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sessions held {stats.SessionCount}, sessions with messages in memory {stats.CachedSessionCount} (MaxCachedSessions {options.MaxCachedSessions}), " +
            $"messages held {stats.MessageCount:N0} (bound {options.MaxCachedSessions * options.MessagePageSize:N0} = MaxCachedSessions x MessagePageSize), " +
            $"evictions {stats.CacheEvictions}, heap growth {(after - before) / 1048576.0:F2} MB, REST received {counter.Bytes / 1048576.0:F2} MB in {counter.Requests} requests"));
    }

    private static async Task<Measure> TimedAsync(ReceivedBytes counter, Func<Task<(int Sessions, int Messages)>> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var bytesBefore = counter.Bytes;
        var requestsBefore = counter.Requests;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var (sessions, messages) = await action().ConfigureAwait(false);
        watch.Stop();
        return new Measure(
            watch.Elapsed.TotalMilliseconds, counter.Bytes - bytesBefore, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore,
            counter.Requests - requestsBefore, sessions, messages);
    }

    private static Measure Median(List<Measure> results) =>
        results.OrderBy(r => r.Ms).ElementAt(results.Count / 2);

    /// <summary>Sessions newest first a minute apart; messages alternate user (~200 B) and assistant (~1.5 KB).</summary>
    private static Task SeedAsync(BenchServer server, Guid user, int sessions, int messages, CancellationToken cancellationToken) =>
        server.ExecuteAsync(
            """
            with s as (
              insert into public.ai_chat_sessions (user_id, title, created_at, updated_at)
              select $1, 'history ' || g, now() - make_interval(mins => g), now() - make_interval(mins => g)
              from generate_series(1, $2::int) g
              returning id, created_at)
            insert into public.ai_chat_messages (session_id, user_id, content, is_user, status, created_at, updated_at)
            select s.id, $1,
                   case when m % 2 = 1 then left(repeat('a user question about the topic at hand, ', 5), 200)
                        else left(repeat('an assistant reply that explains the answer step by step. ', 26), 1500) end,
                   m % 2 = 1, 'complete', s.created_at + make_interval(secs => m), s.created_at + make_interval(secs => m)
            from s cross join generate_series(1, $3::int) m
            """,
            cancellationToken, user, sessions, messages);

    private sealed record Measure(double Ms, long Bytes, long Allocated, long Requests, int Sessions, int Messages);
}
