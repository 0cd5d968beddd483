using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// One change fanned out to N subscribed clients of distinct users, each delivery RLS-checked by LocalStack. Rows are
/// inserted one at a time; each is timed from the moment its autocommit INSERT is issued to its arrival at every client.
/// </summary>
internal sealed class FanoutBench(BenchArguments args)
{
    public const string Table = "bench_announcements";

    // Readable by every signed-in user (the ai_chat tables only show users their own rows), published for realtime.
    private const string CreateTableSql = """
        create table if not exists public.bench_announcements (id bigserial primary key, body text not null, created_at timestamptz not null default now());
        alter table public.bench_announcements enable row level security;
        drop policy if exists bench_announcements_read on public.bench_announcements;
        create policy bench_announcements_read on public.bench_announcements for select to authenticated using (true);
        grant select on public.bench_announcements to authenticated;
        do $$ begin
          if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'bench_announcements') then
            alter publication supabase_realtime add table public.bench_announcements;
          end if;
        end $$;
        """;

    private readonly double[] _clientCounts = args.Doubles("clients", [1, 10, 100, 500]);
    private readonly int _rows = args.Int("rows", 30);
    private readonly int _spacingMs = args.Int("spacing-ms", 200);
    private readonly int _connectParallelism = args.Int("connect-parallelism", 16);

    // --sockets-per-user K: each user holds K sockets (a token each, as K devices or refreshed tokens); --shared-topic 1:
    // every socket joins the same channel name. Together they show the work done once per change: one RLS check per
    // user (not per token) and one frame per topic and serializer (not per socket).
    private readonly int _socketsPerUser = Math.Max(1, args.Int("sockets-per-user", 1));
    private readonly bool _sharedTopic = args.Int("shared-topic", 0) != 0;

    private readonly ConcurrentDictionary<string, long> _pgoutput = new();
    private volatile PhaseRecorder? _phase;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        await using var stack = await BenchStack.StartAsync(ct);
        await stack.ExecuteAsync(CreateTableSql, ct);
        var maxClients = (int)_clientCounts.Max();
        var users = await stack.CreateUsersAsync((maxClients + _socketsPerUser - 1) / _socketsPerUser, "fanout", ct);
        Console.WriteLine($"{users.Length} users, {_socketsPerUser} socket(s) each, {(_sharedTopic ? "one shared topic" : "a topic per socket")}");
        await using var listener = await PgOutputListener.StartAsync(
            stack.ConnectionString,
            row =>
            {
                if (row.Kind == ReplicatedRowKind.Insert && row.Table == Table && row.Columns[1] is { } body)
                {
                    _pgoutput.TryAdd(body, row.ReceivedAt);
                }
            },
            ct);

        using var stalls = new SchedulerStallProbe();
        var subscribers = new List<FanoutSubscriber>();
        var results = new List<(int Clients, PhaseResult Result)>();
        try
        {
            await using var writer = new NpgsqlConnection(stack.ConnectionString);
            await writer.OpenAsync(ct);
            await WriteRowAsync(writer, "warm-up", ct);
            foreach (var clients in _clientCounts.Select(c => (int)c))
            {
                var connectClock = Stopwatch.StartNew();
                await ConnectUpToAsync(stack, users, subscribers, clients, ct);
                Console.WriteLine($"{clients} clients connected and joined ({connectClock.Elapsed.TotalSeconds:F1} s)");
                await Task.Delay(500, ct); // let the joins settle before measuring
                stalls.Reset();
                var work = DispatchWork.Read(stack);
                var result = await RunPhaseAsync(writer, clients, ct);
                Console.WriteLine($"  LocalStack work per row: {DispatchWork.Read(stack).PerRow(work, _rows)}");
                results.Add((clients, result));
                var lateness = stalls.Lateness();
                Console.WriteLine($"  stall canary (1 ms sleep wakes late by): p50 {lateness.P50:F2} p99 {lateness.P99:F2} max {lateness.Max:F2} ms; {ProcessSnapshot.LoadAverage()}");
                Console.WriteLine($"  {clients} clients: delivery p50 {result.Delivery.P50:F2} p99 {result.Delivery.P99:F2} max {result.Delivery.Max:F2} ms, {result.Delivered}/{result.Expected} delivered");
            }
        }
        finally
        {
            // Dispose in parallel batches so 500 closes do not take minutes.
            foreach (var batch in subscribers.Chunk(50))
            {
                await Task.WhenAll(batch.Select(s => s.DisposeAsync().AsTask()));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"== fan-out: {_rows} rows per N, one every {_spacingMs} ms; delivery = INSERT issued -> postgres_changes at the client (SDK RealtimeClient, one socket and user each)");
        Console.WriteLine($"{"clients",7} {"floor p50",9} {"floor p99",9} {"deliv p50",9} {"deliv p90",9} {"deliv p99",9} {"deliv max",9} {"last p50",9} {"last p99",9} {"received",13} {"users ok",9}");
        var ok = true;
        foreach (var (clients, r) in results)
        {
            ok &= r.Delivered == r.Expected && r.CompleteUsers == clients;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{clients,7} {r.Floor.P50,9:F2} {r.Floor.P99,9:F2} {r.Delivery.P50,9:F2} {r.Delivery.P90,9:F2} {r.Delivery.P99,9:F2} {r.Delivery.Max,9:F2} {r.LastClient.P50,9:F2} {r.LastClient.P99,9:F2} {r.Delivered + "/" + r.Expected,13} {r.CompleteUsers + "/" + clients,9}"));
        }

        Console.WriteLine("  floor = INSERT issued -> pgoutput on a bare Npgsql consumer; last = INSERT issued -> the last of the N clients has it; users ok = users that received every row exactly once");
        if (results.FirstOrDefault(r => r.Clients == 500) is { Result: { } at500 })
        {
            Console.WriteLine($"target at 500 clients: p99 < 100 ms {(at500.Delivery.P99 < 100 ? "MET" : "MISSED")}");
        }

        return ok ? 0 : 1;
    }

    private async Task ConnectUpToAsync(BenchStack stack, Guid[] users, List<FanoutSubscriber> subscribers, int count, CancellationToken ct)
    {
        var indexes = Enumerable.Range(subscribers.Count, count - subscribers.Count).ToArray();
        foreach (var batch in indexes.Chunk(_connectParallelism))
        {
            subscribers.AddRange(await Task.WhenAll(batch.Select(i => FanoutSubscriber.ConnectAsync(
                stack, users[i / _socketsPerUser], i, OnDelivered, ct, _sharedTopic ? "fanout" : null, TimeSpan.FromMinutes(i % _socketsPerUser)))));
        }
    }

    private void OnDelivered(int client, string body, long arrived) => _phase?.Record(client, body, arrived);

    private static async Task<long> WriteRowAsync(NpgsqlConnection writer, string body, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("insert into public.bench_announcements (body) values ($1)", writer);
        insert.Parameters.AddWithValue(body);
        var start = Stopwatch.GetTimestamp();
        await insert.ExecuteNonQueryAsync(ct);
        return start;
    }

    private async Task<PhaseResult> RunPhaseAsync(NpgsqlConnection writer, int clients, CancellationToken ct)
    {
        var phase = new PhaseRecorder("n" + clients.ToString(CultureInfo.InvariantCulture), _rows, clients);
        _phase = phase;
        var starts = new long[_rows];
        for (var row = 0; row < _rows; row++)
        {
            starts[row] = await WriteRowAsync(writer, phase.Body(row), ct);
            await Task.Delay(_spacingMs, ct);
        }

        await Poll.UntilAsync(() => phase.IsComplete, TimeSpan.FromSeconds(5), ct);

        _phase = null;
        var delivery = new List<double>();
        var last = new List<double>();
        var floor = new List<double>();
        for (var row = 0; row < _rows; row++)
        {
            var arrivals = Enumerable.Range(0, clients).Select(c => phase.ArrivedAt(row, c)).Where(t => t != 0).ToArray();
            delivery.AddRange(arrivals.Select(t => Stopwatch.GetElapsedTime(starts[row], t).TotalMilliseconds));
            if (arrivals.Length == clients)
            {
                last.Add(Stopwatch.GetElapsedTime(starts[row], arrivals.Max()).TotalMilliseconds);
            }

            if (_pgoutput.TryGetValue(phase.Body(row), out var replicated))
            {
                floor.Add(Stopwatch.GetElapsedTime(starts[row], replicated).TotalMilliseconds);
            }
        }

        return new PhaseResult(
            LatencySummary.Of(floor), LatencySummary.Of(delivery), LatencySummary.Of(last), delivery.Count, _rows * clients, phase.UsersWithEveryRowOnce());
    }

    private sealed record PhaseResult(LatencySummary Floor, LatencySummary Delivery, LatencySummary LastClient, int Delivered, int Expected, int CompleteUsers);

    /// <summary>The arrivals of one phase: first arrival time per (row, client) and how often each arrived.</summary>
    private sealed class PhaseRecorder(string prefix, int rows, int clients)
    {
        private readonly long[,] _arrivedAt = new long[rows, clients];
        private readonly int[,] _deliveries = new int[rows, clients];
        private int _firstArrivals;

        public bool IsComplete => Volatile.Read(ref _firstArrivals) >= rows * clients;

        public string Body(int row) => prefix + "-r" + row.ToString(CultureInfo.InvariantCulture);

        public long ArrivedAt(int row, int client) => Volatile.Read(ref _arrivedAt[row, client]);

        public void Record(int client, string body, long arrived)
        {
            if (client >= clients || !body.StartsWith(prefix + "-r", StringComparison.Ordinal)
                || !int.TryParse(body.AsSpan(prefix.Length + 2), CultureInfo.InvariantCulture, out var row) || row >= rows)
            {
                return;
            }

            if (Interlocked.Increment(ref _deliveries[row, client]) == 1)
            {
                Volatile.Write(ref _arrivedAt[row, client], arrived);
                Interlocked.Increment(ref _firstArrivals);
            }
        }

        public int UsersWithEveryRowOnce() =>
            Enumerable.Range(0, clients).Count(c => Enumerable.Range(0, rows).All(r => Volatile.Read(ref _deliveries[r, c]) == 1));
    }
}
