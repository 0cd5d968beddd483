using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using StrideCampus.AiChat.LocalStack.Hosting;

// Measures, on loopback, the time from a committed INSERT (the moment the autocommit statement is
// issued) to:
//   floor    - its arrival as a pgoutput InsertMessage on a bare Npgsql replication connection;
//   realtime - its arrival as a postgres_changes frame on a raw WebSocket subscriber of LocalStack
//              (serializer 2.0.0, user token, filter session_id=eq.<id>, RLS checked per change).
// With `others` > 0, that many more users subscribe to the whole table (one channel each, on one
// extra socket): every change is then RLS-checked for them too (and delivered to none of them),
// which shows what the visibility check costs per subscriber.
// Usage: dotnet run -c Release --project bench/StrideCampus.AiChat.LocalStack.LatencyBench -- [count] [rate/s] [others]
if (args.Length > 0 && args[0] == "hostile")
{
    return await StrideCampus.AiChat.LocalStack.LatencyBench.HostileCommand.RunAsync();
}
var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var rate = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var others = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0;
const int Warmup = 50;
var interval = TimeSpan.FromSeconds(1 / rate);

await using var stack = await LocalStackServer.StartAsync();
Console.WriteLine($"LocalStack up in {stack.StartupTime.TotalMilliseconds:F0} ms; {count} inserts at {rate}/s after {Warmup} warm-up inserts; {others} other subscribers");

Guid user, session;
await using (var conn = new NpgsqlConnection(stack.Postgres.ConnectionString))
{
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand("insert into auth.users (email, encrypted_password) values ('bench@example.test', 'x') returning id", conn);
    user = (Guid)(await cmd.ExecuteScalarAsync())!;
    await using var cmd2 = new NpgsqlCommand("insert into public.ai_chat_sessions (user_id, title) values ($1, 'bench') returning id", conn);
    cmd2.Parameters.AddWithValue(user);
    session = (Guid)(await cmd2.ExecuteScalarAsync())!;
}

// Both paths observe the same inserts at the same time, so machine noise hits both alike.
var floorArrivals = new ConcurrentDictionary<string, long>();
var realtimeArrivals = new ConcurrentDictionary<string, long>();
await using var floorListener = await StartFloorAsync(floorArrivals);
await using var realtimeListener = await StartRealtimeAsync(realtimeArrivals);
await using var bystanders = others > 0 ? await StartBystandersAsync(others) : null;
var starts = await WriteAsync(floorArrivals, realtimeArrivals);
var floor = Samples(starts, floorArrivals);
var realtime = Samples(starts, realtimeArrivals);
var overhead = Enumerable.Range(Warmup, count)
    .Select(i => Key(i))
    .Where(k => floorArrivals.ContainsKey(k) && realtimeArrivals.ContainsKey(k))
    .Select(k => Stopwatch.GetElapsedTime(floorArrivals[k], realtimeArrivals[k]).TotalMilliseconds)
    .Order().ToArray();
Console.WriteLine();
Console.WriteLine($"{"path",-40} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8}");
Print("floor: commit -> pgoutput (bare Npgsql)", floor);
Print("realtime: commit -> postgres_changes frame", realtime);
Print("realtime minus floor, per change", overhead);
return 0;

static string Key(int i) => "bench-" + i.ToString(CultureInfo.InvariantCulture);

double[] Samples(long[] starts, ConcurrentDictionary<string, long> arrivals)
{
    var samples = new List<double>();
    for (var i = Warmup; i < Warmup + count; i++)
    {
        if (arrivals.TryGetValue(Key(i), out var arrived))
        {
            samples.Add(Stopwatch.GetElapsedTime(starts[i], arrived).TotalMilliseconds);
        }
    }
    if (samples.Count < count)
    {
        Console.WriteLine($"WARNING: {count - samples.Count} of {count} changes did not arrive");
    }
    return [.. samples.Order()];
}

async Task<long[]> WriteAsync(params ConcurrentDictionary<string, long>[] arrivals)
{
    await using var writer = new NpgsqlConnection(stack.Postgres.ConnectionString);
    await writer.OpenAsync();
    await using var insert = new NpgsqlCommand("insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)", writer);
    insert.Parameters.AddWithValue(session);
    insert.Parameters.AddWithValue(user);
    var content = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
    await insert.PrepareAsync();
    var starts = new long[Warmup + count];
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < Warmup + count; i++)
    {
        var wait = interval * i - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        content.Value = Key(i);
        starts[i] = Stopwatch.GetTimestamp();
        await insert.ExecuteNonQueryAsync();
    }
    var deadline = Stopwatch.StartNew();
    while (arrivals.Any(a => a.Count < Warmup + count) && deadline.Elapsed < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(10);
    }
    return starts;
}

async Task<Listener> StartFloorAsync(ConcurrentDictionary<string, long> arrivals)
{
    var replication = new LogicalReplicationConnection(stack.Postgres.ConnectionString);
    await replication.Open();
    var slot = await replication.CreatePgOutputReplicationSlot("bench_floor", temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport);
    var stop = new CancellationTokenSource();
    var reader = Task.Run(async () =>
    {
        try
        {
            await foreach (var message in replication.StartReplication(slot, new PgOutputReplicationOptions("supabase_realtime", PgOutputProtocolVersion.V1), stop.Token))
            {
                if (message is InsertMessage insert)
                {
                    var now = Stopwatch.GetTimestamp();
                    string? text = null;
                    var column = 0;
                    await foreach (var value in insert.NewRow)
                    {
                        // content is the fourth column of ai_chat_messages
                        var s = value.IsDBNull || value.IsUnchangedToastedValue ? null : await value.Get<string>();
                        if (column++ == 3)
                        {
                            text = s;
                        }
                    }
                    if (text is not null)
                    {
                        arrivals.TryAdd(text, now);
                    }
                }
                replication.SetReplicationStatus(message.WalEnd);
            }
        }
        catch (OperationCanceledException)
        {
        }
    });
    return new Listener(stop, reader, replication);
}

async Task<Listener> StartRealtimeAsync(ConcurrentDictionary<string, long> arrivals)
{
    var token = UserToken(user);
    var socket = new ClientWebSocket();
    await socket.ConnectAsync(new Uri($"ws://{stack.ApiUrl.Authority}/realtime/v1/websocket?apikey={stack.AnonKey}&vsn=2.0.0"), CancellationToken.None);
    var join = JsonSerializer.Serialize(new object?[]
    {
        "1", "1", "realtime:bench", "phx_join",
        new Dictionary<string, object>
        {
            ["config"] = new Dictionary<string, object>
            {
                ["postgres_changes"] = new[] { new Dictionary<string, string> { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "ai_chat_messages", ["filter"] = $"session_id=eq.{session}" } },
            },
            ["access_token"] = token,
        },
    });
    await socket.SendAsync(Encoding.UTF8.GetBytes(join), WebSocketMessageType.Text, true, CancellationToken.None);
    var joined = new TaskCompletionSource();
    var stop = new CancellationTokenSource();
    var reader = Task.Run(async () =>
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), stop.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                var arrived = Stopwatch.GetTimestamp();
                using var doc = JsonDocument.Parse(buffer.AsMemory(0, length));
                var root = doc.RootElement;
                var ev = root[3].GetString();
                if (ev == "phx_reply" && root[1].GetString() == "1")
                {
                    joined.TrySetResult();
                }
                else if (ev == "postgres_changes")
                {
                    var content = root[4].GetProperty("data").GetProperty("record").GetProperty("content").GetString();
                    if (content is not null)
                    {
                        arrivals.TryAdd(content, arrived);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    });
    await joined.Task.WaitAsync(TimeSpan.FromSeconds(10));
    return new Listener(stop, reader, socket);
}

string UserToken(Guid id) => stack.Jwt.CreateUserToken(id, TimeSpan.FromHours(1));

async Task<Listener> StartBystandersAsync(int n)
{
    var ids = new List<Guid>();
    await using (var conn = new NpgsqlConnection(stack.Postgres.ConnectionString))
    {
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("insert into auth.users (email, encrypted_password) select 'other' || g || '@example.test', 'x' from generate_series(1, $1) g returning id", conn);
        cmd.Parameters.AddWithValue(n);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }
    }
    var socket = new ClientWebSocket();
    await socket.ConnectAsync(new Uri($"ws://{stack.ApiUrl.Authority}/realtime/v1/websocket?apikey={stack.AnonKey}&vsn=2.0.0"), CancellationToken.None);
    var replies = 0;
    var stop = new CancellationTokenSource();
    var allJoined = new TaskCompletionSource();
    var reader2 = Task.Run(async () =>
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), stop.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                using var doc = JsonDocument.Parse(buffer.AsMemory(0, length));
                if (doc.RootElement[3].GetString() == "phx_reply" && ++replies == n)
                {
                    allJoined.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    });
    for (var i = 0; i < n; i++)
    {
        var join = JsonSerializer.Serialize(new object?[]
        {
            "j" + i, "j" + i, "realtime:other-" + i, "phx_join",
            new Dictionary<string, object>
            {
                ["config"] = new Dictionary<string, object>
                {
                    ["postgres_changes"] = new[] { new Dictionary<string, string> { ["event"] = "*", ["schema"] = "public", ["table"] = "ai_chat_messages" } },
                },
                ["access_token"] = UserToken(ids[i]),
            },
        });
        await socket.SendAsync(Encoding.UTF8.GetBytes(join), WebSocketMessageType.Text, true, CancellationToken.None);
    }
    await allJoined.Task.WaitAsync(TimeSpan.FromSeconds(60));
    return new Listener(stop, reader2, socket);
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

static void Print(string name, double[] sorted) =>
    Console.WriteLine($"{name,-40} {Percentile(sorted, 50),8:F2} {Percentile(sorted, 90),8:F2} {Percentile(sorted, 99),8:F2} {Percentile(sorted, 100),8:F2}");

/// <summary>A running listener: stopped and disposed with the run.</summary>
internal sealed class Listener(CancellationTokenSource stop, Task reader, IDisposable? connection = null, IAsyncDisposable? asyncConnection = null) : IAsyncDisposable
{
    public Listener(CancellationTokenSource stop, Task reader, IAsyncDisposable connection)
        : this(stop, reader, null, connection)
    {
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await reader;
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or NpgsqlException)
        {
        }
        connection?.Dispose();
        if (asyncConnection is not null)
        {
            await asyncConnection.DisposeAsync();
        }
        stop.Dispose();
    }
}
