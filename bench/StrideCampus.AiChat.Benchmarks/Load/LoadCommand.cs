using System.Diagnostics;
using System.Globalization;
using System.Reactive.Concurrency;
using StrideCampus.AiChat.Benchmarks.Infrastructure;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Benchmarks.Load;

/// <summary>
/// <c>load</c>: the initial load of a MessageStore (subscribe, then every session with its messages through
/// LocalStack's REST, paged at 1,000 rows) for users with 10, 100 and 1,000 sessions of 50 messages. Manual
/// harness: 2 warm-up loads, then the median of 7 timed loads per size, with the bytes this process allocated
/// during each and the CPU time this process used (LocalStack runs in a child process, so only the client's
/// allocations and CPU count; the rest of the time is the server's and the wire's).
/// </summary>
internal static class LoadCommand
{
    private const int MessagesPerSession = 50;
    private const int Warmups = 2;
    private const int Runs = 7;
    private static readonly int[] Sizes = [10, 100, 1_000];

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var server = await BenchServer.StartAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<LoadResult>();
        foreach (var sessions in Sizes)
        {
            var user = await server.CreateUserAsync(null, cancellationToken).ConfigureAwait(false);
            var seed = Stopwatch.StartNew();
            await SeedAsync(server, user, sessions, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"seeded {sessions:N0} sessions x {MessagesPerSession} messages in {seed.Elapsed.TotalSeconds:F1} s");
            await using var clients = new UserClients(server, user);
            var times = new List<double>();
            var bytes = new List<double>();
            var cpu = new List<double>();
            using var self = Process.GetCurrentProcess();
            MessageStoreStats? stats = null;
            for (var run = 0; run < Warmups + Runs; run++)
            {
                var options = new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance };
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                self.Refresh();
                var cpuBefore = self.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                var (store, _) = await clients.CreateStoreAsync(options, cancellationToken).ConfigureAwait(false);
                watch.Stop();
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                self.Refresh();
                var cpuUsed = (self.TotalProcessorTime - cpuBefore).TotalMilliseconds;
                stats = store.Current.Stats;
                await store.DisposeAsync().ConfigureAwait(false);
                if (stats.SessionCount != Math.Min(sessions, options.SessionPageSize)) // it opens with a page since issue 16 (see `history`)
                {
                    throw new InvalidOperationException($"loaded {stats.SessionCount} sessions / {stats.MessageCount} messages, expected {sessions} sessions");
                }

                if (run >= Warmups)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                    bytes.Add(allocated);
                    cpu.Add(cpuUsed);
                }
            }

            results.Add(new LoadResult(sessions, sessions * MessagesPerSession, Statistics.Median(times), times.Min(), Statistics.Median(bytes), Statistics.Median(cpu), stats!));
        }

        Console.WriteLine();
        Console.WriteLine($"=== load: MessageStore initial load through LocalStack REST (median of {Runs} after {Warmups} warm-ups) ===");
        Console.WriteLine($"{"sessions",8} {"messages",9} {"median ms",10} {"min ms",8} {"client CPU ms",13} {"alloc MB",9} {"µs/msg",7} {"B/msg",7} {"cached",7} {"queries",8}");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Sessions,8:N0} {r.Messages,9:N0} {r.MedianMs,10:F1} {r.MinMs,8:F1} {r.ClientCpuMs,13:F1} {r.MedianBytes / (1 << 20),9:F2} {r.MedianMs * 1000 / r.Messages,7:F2} {r.MedianBytes / r.Messages,7:N0} {r.Stats.MessageCount,7:N0} {r.Stats.DatabaseQueries,8}"));
        }

        var small = results[1];
        var large = results[^1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"growth 100 -> 1,000 sessions (10x the rows): time x{large.MedianMs / small.MedianMs:F1}, allocations x{large.MedianBytes / small.MedianBytes:F1} (linear = x10)"));
        return 0;
    }

    private static Task SeedAsync(BenchServer server, Guid user, int sessions, CancellationToken cancellationToken) =>
        server.ExecuteAsync(
            """
            with s as (
              insert into public.ai_chat_sessions (user_id, title, created_at, updated_at)
              select $1, 'load ' || g, now() - make_interval(mins => g), now() - make_interval(mins => g)
              from generate_series(1, $2::int) g
              returning id)
            insert into public.ai_chat_messages (session_id, user_id, content, is_user, status)
            select s.id, $1, 'message ' || m || ': a seeded line of conversation, about as long as a real one.', m % 2 = 1, 'complete'
            from s cross join generate_series(1, $3::int) m
            """,
            cancellationToken, user, sessions, MessagesPerSession);

    private sealed record LoadResult(int Sessions, int Messages, double MedianMs, double MinMs, double MedianBytes, double ClientCpuMs, MessageStoreStats Stats);
}
