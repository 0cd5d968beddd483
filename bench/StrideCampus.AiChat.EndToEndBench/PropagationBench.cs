using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// Tab-to-tab propagation: store A of user U adds messages on an open-loop schedule; store B of the same user (own
/// socket) sees <see cref="ChatChangeKind.MessageCreated"/>. Steady latency at one rate, the highest sustained rate,
/// and, in the same run, the floors of the path (pgoutput, WebSocket round trip, REST insert round trip).
/// </summary>
internal sealed class PropagationBench(BenchArguments args)
{
    private readonly int _count = args.Int("count", 3000);
    private readonly double _rate = args.Double("rate", 100);
    private readonly int _warmup = args.Int("warmup", 300);
    private readonly int _floorCount = args.Int("floor-count", 1000);
    private readonly double[] _stepRates = args.Doubles("rates", [200, 400, 800, 1600, 3200]);
    private readonly double _stepSeconds = args.Double("step-seconds", 5);
    private readonly double _p99Bound = args.Double("p99-bound", 100);

    private readonly ConcurrentDictionary<Guid, long> _pgoutput = new();
    private readonly ConcurrentDictionary<Guid, long> _seenByB = new();
    private readonly SchedulerStallProbe _stalls = new();
    private readonly GcPauseRecorder _gc = new();

    public async Task<int> RunAsync(CancellationToken ct)
    {
        using var stalls = _stalls;
        using var gc = _gc;
        await using var stack = await BenchStack.StartAsync(ct);
        var user = (await stack.CreateUsersAsync(1, "propagation", ct))[0];
        await using var a = await SdkTab.OpenAsync(stack, user, new MessageStoreOptions(), ct);
        await using var b = await SdkTab.OpenAsync(stack, user, new MessageStoreOptions(), ct);
        await a.WaitConnectedAsync(ct);
        await b.WaitConnectedAsync(ct);
        await using var listener = await PgOutputListener.StartAsync(stack.ConnectionString, OnReplicated, ct);
        using var subscription = b.Store.Changes.Subscribe(change =>
        {
            if (change.Kind == ChatChangeKind.MessageCreated)
            {
                _seenByB.TryAdd(change.Id, Stopwatch.GetTimestamp());
            }
        });

        Console.WriteLine($"warm-up: {_warmup} messages at {_rate}/s");
        await RunPhaseAsync(a, b, _warmup, _rate, ct);

        Console.WriteLine($"steady: {_count} messages at {_rate}/s (open loop)");
        var before = ProcessSnapshot.Take();
        _stalls.Reset();
        _gc.Reset();
        var steady = await RunPhaseAsync(a, b, _count, _rate, ct);
        var during = ProcessSnapshot.Take().Since(before);
        var lateness = _stalls.Lateness();
        var gcPauses = _gc.Summary();

        Console.WriteLine($"floors: {_floorCount} each at {_rate}/s");
        var probeSession = await a.CreateSessionSeenByAsync(b, "floors", ct);
        var sqlFloor = await SqlInsertProbe.MeasureAsync(stack, user, probeSession, _pgoutput, _floorCount, _rate, ct);
        var wsFloor = await HeartbeatProbe.MeasureAsync(stack.RealtimeSocketUri, _floorCount, _rate, ct);
        var restFloor = await RestInsertProbe.MeasureAsync(stack, user, probeSession, _floorCount, _rate, ct);

        Console.WriteLine();
        Console.WriteLine($"== propagation at {_rate}/s: {steady.Delivered}/{_count} delivered, offered {steady.Schedule.AchievedRate:F1}/s, failures {steady.Schedule.Failures}");
        Console.WriteLine($"during the steady phase: {during}");
        Console.WriteLine($"  stall canary (a thread sleeping 1 ms wakes late by): p50 {lateness.P50:F2} p99 {lateness.P99:F2} max {lateness.Max:F2} ms");
        Console.WriteLine($"  GC pauses (runtime events): {gcPauses.Count}, p50 {gcPauses.P50:F2} max {gcPauses.Max:F2} ms");
        Console.WriteLine($"  of {steady.Slow} messages slower than 20 ms end to end, {steady.SlowDuringStall} overlapped a canary stall of >= 5 ms, {steady.SlowDuringGc} a GC pause of >= 1 ms");
        LatencySummary.PrintHeader();
        steady.AddToSeen.Print("A AddMessageAsync -> B MessageCreated (end to end)");
        steady.AddCall.Print("  A AddMessageAsync call (REST upsert, SDK)");
        steady.HttpExchange.Print("    its HTTP exchange (as A's HttpClient handler sees it)");
        steady.AddToPgoutput.Print("  A AddMessageAsync -> pgoutput (REST+commit+WAL)");
        steady.PgoutputToSeen.Print("  pgoutput -> B MessageCreated (realtime + SDK)");
        LatencySummary.Of(sqlFloor).Print("floor a: SQL insert -> pgoutput (bare Npgsql)");
        LatencySummary.Of(wsFloor).Print("floor b: WebSocket heartbeat round trip (raw)");
        LatencySummary.Of(restFloor).Print("floor c: REST upsert round trip (raw HttpClient)");
        Console.WriteLine($"targets at {_rate}/s: p50 < 5 ms {Verdict(steady.AddToSeen.P50 < 5)}, p99 < 20 ms {Verdict(steady.AddToSeen.P99 < 20)}");

        Console.WriteLine();
        Console.WriteLine($"== highest sustained rate ({_stepSeconds} s per step; sustained = all delivered, sent and delivered at >= 95% of the offered rate, p99 <= {_p99Bound} ms)");
        Console.WriteLine($"{"offered/s",10} {"sent/s",8} {"deliv/s",8} {"lost",6} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"add->pg p99",11} {"pg->B p99",9}  verdict");
        var best = (Rate: _rate, Result: steady);
        PrintStep(_rate, steady, IsSustained(_rate, steady));
        foreach (var rate in _stepRates.Where(r => r > _rate))
        {
            var count = (int)(rate * _stepSeconds);
            var stepStart = ProcessSnapshot.Take();
            var result = await RunPhaseAsync(a, b, count, rate, ct);
            var sustained = IsSustained(rate, result);
            PrintStep(rate, result, sustained);
            Console.WriteLine($"{"",10} {ProcessSnapshot.Take().Since(stepStart)}");
            if (!sustained)
            {
                break;
            }

            best = (rate, result);
        }

        Console.WriteLine($"highest sustained rate: {best.Rate}/s, p50 {best.Result.AddToSeen.P50:F2} ms, p99 {best.Result.AddToSeen.P99:F2} ms");
        return 0;
    }

    private static string Verdict(bool met) => met ? "MET" : "MISSED";

    private bool IsSustained(double rate, PhaseResult r) =>
        r.Delivered == r.Count && r.Schedule.AchievedRate >= 0.95 * rate && r.DeliveryRate >= 0.95 * rate && r.AddToSeen.P99 <= _p99Bound;

    private static void PrintStep(double rate, PhaseResult r, bool sustained) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rate,10:F0} {r.Schedule.AchievedRate,8:F0} {r.DeliveryRate,8:F0} {r.Count - r.Delivered,6} {r.AddToSeen.P50,8:F2} {r.AddToSeen.P90,8:F2} {r.AddToSeen.P99,8:F2} {r.AddToSeen.Max,8:F2} {r.AddToPgoutput.P99,11:F2} {r.PgoutputToSeen.P99,9:F2}  {(sustained ? "sustained" : "NOT sustained")}"));

    private void OnReplicated(ReplicatedRow row)
    {
        if (row.Kind == ReplicatedRowKind.Insert && row.Table == "ai_chat_messages" && Guid.TryParse(row.Columns[0], out var id))
        {
            _pgoutput.TryAdd(id, row.ReceivedAt);
        }
    }

    private async Task<PhaseResult> RunPhaseAsync(SdkTab a, SdkTab b, int count, double rate, CancellationToken ct)
    {
        // A fresh session per phase, so no phase pays for the messages of the previous ones.
        var session = await a.CreateSessionSeenByAsync(b, $"{count} at {rate}/s", ct);
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        var done = new long[count];
        // Only this phase's exchanges go into its HTTP figures.
        a.Requests.Reset();
        var schedule = await OpenLoopSchedule.RunAsync(
            count,
            rate,
            async i =>
            {
                await a.Store.AddMessageAsync(session, "message " + i.ToString(CultureInfo.InvariantCulture), messageId: ids[i], cancellationToken: ct);
                done[i] = Stopwatch.GetTimestamp();
            },
            TimeSpan.FromSeconds(20),
            ct);

        // Arrivals trail the last send; wait (bounded) for the stragglers.
        await Poll.UntilAsync(() => ids.All(_seenByB.ContainsKey), TimeSpan.FromSeconds(10), ct);

        var exchanges = LatencySummary.Of(a.Requests.TakeExchanges());
        var addToSeen = new List<double>();
        var addToPg = new List<double>();
        var pgToSeen = new List<double>();
        var addCall = new List<double>();
        long lastArrival = 0;
        int slow = 0, slowDuringStall = 0, slowDuringGc = 0;
        for (var i = 0; i < count; i++)
        {
            var start = schedule.Starts[i];
            if (done[i] != 0)
            {
                addCall.Add(Stopwatch.GetElapsedTime(start, done[i]).TotalMilliseconds);
            }

            var seen = _seenByB.TryGetValue(ids[i], out var s);
            var replicated = _pgoutput.TryGetValue(ids[i], out var p);
            if (seen)
            {
                var latency = Stopwatch.GetElapsedTime(start, s).TotalMilliseconds;
                addToSeen.Add(latency);
                if (latency > 20)
                {
                    slow++;
                    slowDuringStall += _stalls.StalledDuring(start, s, 5) ? 1 : 0;
                    slowDuringGc += _gc.PausedDuring(start, s, 1) ? 1 : 0;
                }

                lastArrival = Math.Max(lastArrival, s);
            }

            if (replicated)
            {
                addToPg.Add(Stopwatch.GetElapsedTime(start, p).TotalMilliseconds);
            }

            if (seen && replicated)
            {
                pgToSeen.Add(Stopwatch.GetElapsedTime(p, s).TotalMilliseconds);
            }
        }

        var deliverySeconds = lastArrival == 0 ? double.PositiveInfinity : Stopwatch.GetElapsedTime(schedule.Starts[0], lastArrival).TotalSeconds;
        return new PhaseResult(
            count, addToSeen.Count, schedule, addToSeen.Count / deliverySeconds,
            LatencySummary.Of(addToSeen), LatencySummary.Of(addCall), LatencySummary.Of(addToPg), LatencySummary.Of(pgToSeen), exchanges, slow, slowDuringStall, slowDuringGc);
    }

    private sealed record PhaseResult(
        int Count,
        int Delivered,
        OpenLoopSchedule.Result Schedule,
        double DeliveryRate,
        LatencySummary AddToSeen,
        LatencySummary AddCall,
        LatencySummary AddToPgoutput,
        LatencySummary PgoutputToSeen,
        LatencySummary HttpExchange,
        int Slow,
        int SlowDuringStall,
        int SlowDuringGc);
}
