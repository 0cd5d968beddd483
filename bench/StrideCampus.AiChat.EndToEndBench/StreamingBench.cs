using System.Diagnostics;
using System.Globalization;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// A streamed assistant reply: store A streams a paced token source with <c>StreamAssistantReplyAsync</c>; store B of
/// the same user watches the message grow through <see cref="ChatChangeKind.MessageUpdated"/>. Per token: the lag from
/// its production to the first moment B's copy contains it. Plus the database writes the stream caused. Runs with the
/// token relay over Realtime broadcast (the default) and without it (B then follows the rate-limited database writes).
/// </summary>
internal sealed class StreamingBench(BenchArguments args)
{
    private readonly int _tokens = args.Int("tokens", 2000);
    private readonly double _rate = args.Double("rate", 200);
    private readonly double[] _relayWriteRates = args.Doubles("relay-writes-per-second", [10]);
    private readonly double[] _writeRates = args.Doubles("writes-per-second", [10, 20, 50]);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        await using var stack = await BenchStack.StartAsync(ct);
        var user = (await stack.CreateUsersAsync(1, "streaming", ct))[0];
        await using var b = await SdkTab.OpenAsync(stack, user, new MessageStoreOptions(), ct);
        await b.WaitConnectedAsync(ct);
        var writesBySession = new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<long>>();
        await using var listener = await PgOutputListener.StartAsync(
            stack.ConnectionString,
            row =>
            {
                if (row.Table == "ai_chat_messages" && row.Columns.Count > 1 && row.Columns[1] is { } session)
                {
                    writesBySession.GetOrAdd(session, _ => new()).Enqueue(row.ReceivedAt);
                }
            },
            ct);

        using var stalls = new SchedulerStallProbe();
        var results = new List<(bool Relay, double WritesPerSecond, RunResult Result)>();
        var ok = true;
        // A short warm-up stream so JIT and connection set-up do not land in the first measured run.
        await RunOnceAsync(stack, user, b, writesBySession, 10, 100, 10, relay: true, ct);
        stalls.Reset();
        // With the token relay (the default) and without it (other tabs then follow the database writes alone).
        foreach (var (relay, writeRate) in _relayWriteRates.Select(r => (true, r)).Concat(_writeRates.Select(r => (false, r))))
        {
            var result = await RunOnceAsync(stack, user, b, writesBySession, _tokens, _rate, writeRate, relay, ct);
            results.Add((relay, writeRate, result));
            ok &= result.ContentExact && result.StatusComplete;
        }

        var lateness = stalls.Lateness();
        Console.WriteLine();
        Console.WriteLine($"stall canary over the runs (a thread sleeping 1 ms wakes late by): p50 {lateness.P50:F2} p99 {lateness.P99:F2} max {lateness.Max:F2} ms; {ProcessSnapshot.LoadAverage()}");
        Console.WriteLine($"== streaming: {_tokens} tokens at {_rate}/s, lag = token produced in A -> B's copy first contains it");
        Console.WriteLine($"{"relay",5} {"max writes/s",12} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"REST writes",11} {"WAL rows",8} {"mean/s",7} {"max in 1 s",10} {"min gap ms",10} {"stream s",8} {"B events",8}  final");
        foreach (var (relay, writeRate, r) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(relay ? "on" : "off"),5} {writeRate,12:F0} {r.Lag.P50,8:F2} {r.Lag.P90,8:F2} {r.Lag.P99,8:F2} {r.Lag.Max,8:F2} {r.RestWrites,11} {r.WalRows,8} {r.MeanWritesPerSecond,7:F2} {r.WritesPerSecond,10} {r.MinGapMs,10:F1} {r.StreamSeconds,8:F2} {r.Events,8}  {(r.ContentExact ? "exact" : "WRONG TEXT")}, {(r.StatusComplete ? "complete" : "NOT complete")}"));
        }

        Console.WriteLine();
        Console.WriteLine("  mean/s = (writes - 1) / (last write start - first); max in 1 s = most write starts in any [t, t + 1 s); min gap = shortest start-to-start gap, as A's HTTP handler sees it");
        Console.WriteLine("lag split without the relay: wait = token produced -> start of the write that carried it; write -> B = that write's start -> B has it");
        Console.WriteLine($"{"max writes/s",12} {"wait p50",9} {"wait p99",9} {"wait max",9} {"w->B p50",9} {"w->B p99",9} {"w->B max",9}");
        foreach (var (_, writeRate, r) in results.Where(r => !r.Relay))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{writeRate,12:F0} {r.WaitForWrite.P50,9:F2} {r.WaitForWrite.P99,9:F2} {r.WaitForWrite.Max,9:F2} {r.WriteToB.P50,9:F2} {r.WriteToB.P99,9:F2} {r.WriteToB.Max,9:F2}"));
        }

        if (results.FirstOrDefault(r => r.Relay && r.WritesPerSecond == 10) is { Result: { } atDefault })
        {
            Console.WriteLine($"targets with the defaults (relay on, 10 writes/s): lag p99 < 50 ms {(atDefault.Lag.P99 < 50 ? "MET" : "MISSED")}, <= 10 writes/s {(atDefault.MeanWritesPerSecond <= 10.05 ? "MET" : "MISSED")} on average ({atDefault.MeanWritesPerSecond:F2}/s), {atDefault.WritesPerSecond} in the busiest 1 s window");
        }

        if (results.FirstOrDefault(r => !r.Relay && r.WritesPerSecond == 10) is { Result: { } dbOnly })
        {
            Console.WriteLine($"without the relay at 10 writes/s: lag p99 < 50 ms {(dbOnly.Lag.P99 < 50 ? "MET" : "MISSED")} ({dbOnly.Lag.P99:F1} ms)");
            Console.WriteLine("  (without the relay a token waits for the next write, which starts at most every 1/writes-per-second: at 10/s up to 100 ms, plus the write and its propagation)");
        }

        return ok ? 0 : 1;
    }

    private static async Task<RunResult> RunOnceAsync(
        BenchStack stack, Guid user, SdkTab b, System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<long>> walRows,
        int tokens, double rate, double writesPerSecond, bool relay, CancellationToken ct)
    {
        var options = new MessageStoreOptions { MaxStreamWritesPerSecond = writesPerSecond, RelayStreamedTokens = relay };
        await using var a = await SdkTab.OpenAsync(stack, user, options, ct);
        await a.WaitConnectedAsync(ct);
        var sessionId = await a.CreateSessionSeenByAsync(b, $"stream at {writesPerSecond} writes/s", ct);

        var source = new PacedTokenSource(tokens, rate);
        var seenAt = new long[tokens];
        var next = 0;
        var events = 0;
        ChatMessage? lastSeen = null;
        using var subscription = b.Store.Changes.Subscribe(change =>
        {
            if (change is not MessageChange { Message: { IsUser: false } message }
                || message.SessionId != sessionId)
            {
                return;
            }

            // Changes arrive one at a time (the store serialises them), so no lock is needed here.
            var now = Stopwatch.GetTimestamp();
            events++;
            lastSeen = message;
            while (next < tokens && source.CumulativeLength[next] <= message.Content.Length)
            {
                seenAt[next++] = now;
            }
        });

        a.Requests.Reset();
        var started = Stopwatch.GetTimestamp();
        var row = await a.Store.StreamAssistantReplyAsync(sessionId, source.ProduceAsync(ct), ct);
        var streamSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var restWrites = a.Requests.WriteStarts.Length;
        await Poll.UntilAsync(() => Volatile.Read(ref next) >= tokens && lastSeen?.Status == MessageStatus.Complete, TimeSpan.FromSeconds(5), ct);

        await Task.Delay(200, ct); // let the last WAL rows reach the counter
        var lag = Enumerable.Range(0, tokens).Where(i => seenAt[i] != 0).Select(i => Stopwatch.GetElapsedTime(source.ProducedAt[i], seenAt[i]).TotalMilliseconds);
        var inB = b.Store.GetSessionById(sessionId)?.Messages.FirstOrDefault(m => m.Id == row.Id);
        var walCount = walRows.TryGetValue(sessionId.ToString(), out var queue) ? queue.Count : 0;

        // Split each token's lag: waiting for the write that carried it (the first write to start after the token was
        // produced, since a write sends the content as of its start) and that write reaching B.
        var writeStarts = a.Requests.WriteStarts;
        var waits = new List<double>();
        var deliveries = new List<double>();
        for (int i = 0, w = 0; i < tokens; i++)
        {
            while (w < writeStarts.Length && writeStarts[w] < source.ProducedAt[i])
            {
                w++;
            }

            if (w < writeStarts.Length && seenAt[i] != 0)
            {
                waits.Add(Stopwatch.GetElapsedTime(source.ProducedAt[i], writeStarts[w]).TotalMilliseconds);
                deliveries.Add(Stopwatch.GetElapsedTime(writeStarts[w], seenAt[i]).TotalMilliseconds);
            }
        }

        var gaps = writeStarts.Zip(writeStarts.Skip(1), (x, y) => Stopwatch.GetElapsedTime(x, y).TotalMilliseconds).DefaultIfEmpty(double.NaN).Min();
        return new RunResult(
            LatencySummary.Of(lag),
            LatencySummary.Of(waits),
            LatencySummary.Of(deliveries),
            restWrites,
            walCount,
            MaxInAnySecond(writeStarts),
            writeStarts.Length < 2 ? double.NaN : (writeStarts.Length - 1) / Stopwatch.GetElapsedTime(writeStarts[0], writeStarts[^1]).TotalSeconds,
            gaps,
            streamSeconds,
            events,
            inB?.Content == source.FullText && lastSeen?.Content == source.FullText,
            inB?.Status == MessageStatus.Complete && lastSeen?.Status == MessageStatus.Complete);
    }

    /// <summary>The most write starts within any one-second window [t, t + 1 s) (the rate cap's real test).</summary>
    private static int MaxInAnySecond(long[] timestamps)
    {
        Array.Sort(timestamps);
        var max = 0;
        for (int first = 0, last = 0; last < timestamps.Length; last++)
        {
            while (Stopwatch.GetElapsedTime(timestamps[first], timestamps[last]) >= TimeSpan.FromSeconds(1))
            {
                first++;
            }

            max = Math.Max(max, last - first + 1);
        }

        return max;
    }

    private sealed record RunResult(
        LatencySummary Lag, LatencySummary WaitForWrite, LatencySummary WriteToB, int RestWrites, int WalRows, int WritesPerSecond, double MeanWritesPerSecond, double MinGapMs, double StreamSeconds, int Events, bool ContentExact, bool StatusComplete);
}
