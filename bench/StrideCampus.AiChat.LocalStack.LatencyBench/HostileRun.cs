using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace StrideCampus.AiChat.LocalStack.LatencyBench;

/// <summary>
/// One hostile client against a LocalStack process, beside two ordinary users, in one run (issue 14): the users'
/// commit-to-event latency and LocalStack's resident memory are measured first without, then with the hostile client,
/// which never reads and at once (a) holds many sockets of one user, each with a token of its own, subscribed to that
/// user's changes; (b) joins hundreds of channels and tracks a large presence on each; (c) fires large HTTP broadcasts
/// at many of its sockets. Shared by the bench command <c>hostile</c> and the bounded integration test
/// (linked into the test project), so both measure the same thing.
/// </summary>
public sealed class HostileRun
{
    /// <summary>A running LocalStack: where it listens, its keys, its database, its process.</summary>
    public sealed record Target(Uri ApiUrl, string AnonKey, string ServiceRoleKey, string JwtSecret, string DbConnectionString, int Pid)
    {
        /// <summary>The target from what <c>start</c> prints (API_URL, ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET, DB_URL).</summary>
        public static Target FromSettings(IReadOnlyDictionary<string, string> settings, int pid)
        {
            var db = new Uri(settings["DB_URL"]);
            var userInfo = db.UserInfo.Split(':');
            var connectionString = new NpgsqlConnectionStringBuilder
            {
                Host = db.Host,
                Port = db.Port,
                Username = Uri.UnescapeDataString(userInfo[0]),
                Password = Uri.UnescapeDataString(userInfo[1]),
                Database = db.AbsolutePath.Trim('/'),
            }.ConnectionString;
            return new Target(new Uri(settings["API_URL"]), settings["ANON_KEY"], settings["SERVICE_ROLE_KEY"], settings["JWT_SECRET"], connectionString, pid);
        }
    }

    /// <summary>What the hostile client does (the defaults are the bench's; the test may scale them down).</summary>
    public sealed record Load(int TokenSockets = 50, int HogSockets = 3, int ChannelsPerHog = 100, int PresenceBytes = 200_000,
        int BroadcastSockets = 20, int Broadcasts = 100, int BroadcastBytes = 200_000, int Inserts = 200, int InsertsPerSecond = 20);

    /// <summary>Latency of the ordinary users' changes and LocalStack's memory in one phase.</summary>
    public sealed record Phase(string Name, double P50, double P99, double Max, int Delivered, int Expected, int Leaked, long RssPeakBytes);

    public sealed record Result(Phase Quiet, Phase Hostile, long RssStartBytes, long RssEndBytes, int HostileSockets);

    private readonly Target _target;
    private readonly Load _load;
    private readonly Action<string> _log;

    public HostileRun(Target target, Load? load = null, Action<string>? log = null)
    {
        _target = target;
        _load = load ?? new Load();
        _log = log ?? (_ => { });
    }

    public async Task<Result> RunAsync(CancellationToken ct = default)
    {
        var alice = await CreateUserAsync(ct);
        var bob = await CreateUserAsync(ct);
        var mallory = await CreateUserAsync(ct);
        var sessions = new Dictionary<Guid, Guid>
        {
            [alice] = await CreateSessionAsync(alice, ct),
            [bob] = await CreateSessionAsync(bob, ct),
            [mallory] = await CreateSessionAsync(mallory, ct),
        };
        await using var aliceProbe = await Probe.StartAsync(this, alice, ct);
        await using var bobProbe = await Probe.StartAsync(this, bob, ct);
        var rssStart = Rss(_target.Pid);

        var quiet = await MeasureAsync("quiet", [(alice, aliceProbe, bobProbe), (bob, bobProbe, aliceProbe)], sessions, null, ct);
        _log($"quiet: p50 {quiet.P50:F2} p99 {quiet.P99:F2} ms, {quiet.Delivered}/{quiet.Expected}, RSS peak {quiet.RssPeakBytes / 1048576.0:F1} MiB");

        var hostile = new List<ClientWebSocket>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Phase loud;
        try
        {
            await StartHostileAsync(mallory, hostile, ct);
            var flood = FloodAsync(stop.Token);
            loud = await MeasureAsync("hostile", [(alice, aliceProbe, bobProbe), (bob, bobProbe, aliceProbe)], sessions, mallory, ct);
            await stop.CancelAsync();
            await flood;
        }
        finally
        {
            await stop.CancelAsync();
        }
        foreach (var socket in hostile)
        {
            socket.Abort();
            socket.Dispose();
        }
        _log($"hostile: p50 {loud.P50:F2} p99 {loud.P99:F2} ms, {loud.Delivered}/{loud.Expected}, RSS peak {loud.RssPeakBytes / 1048576.0:F1} MiB");
        return new Result(quiet, loud, rssStart, Rss(_target.Pid), hostile.Count);
    }

    /// <summary>Inserts for both users at a steady rate (and, when hostile, as many for Mallory), timing each to its owner's event.</summary>
    private async Task<Phase> MeasureAsync(string name, (Guid User, Probe Owner, Probe Other)[] users, Dictionary<Guid, Guid> sessions, Guid? mallory, CancellationToken ct)
    {
        using var sampler = new RssSampler(_target.Pid);
        await using var conn = new NpgsqlConnection(_target.DbConnectionString);
        await conn.OpenAsync(ct);
        var starts = new Dictionary<string, (long Start, Probe Owner, Probe Other)>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < _load.Inserts; i++)
        {
            var (user, owner, other) = users[i % users.Length];
            var content = $"{name}-{i}-{Guid.NewGuid():N}";
            starts[content] = (Stopwatch.GetTimestamp(), owner, other);
            await InsertAsync(conn, sessions[user], user, content, ct);
            if (mallory is { } m)
            {
                await InsertAsync(conn, sessions[m], m, $"mallory-{i}", ct);
            }
            var due = TimeSpan.FromSeconds((i + 1) / (double)_load.InsertsPerSecond);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct);
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (starts.Any(s => !s.Value.Owner.Arrivals.ContainsKey(s.Key)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
        }
        var latencies = starts.Where(s => s.Value.Owner.Arrivals.ContainsKey(s.Key))
            .Select(s => Stopwatch.GetElapsedTime(s.Value.Start, s.Value.Owner.Arrivals[s.Key]).TotalMilliseconds).Order().ToArray();
        var leaked = starts.Count(s => s.Value.Other.Arrivals.ContainsKey(s.Key));
        return new Phase(name, Percentile(latencies, 0.5), Percentile(latencies, 0.99), latencies.Length == 0 ? double.NaN : latencies[^1],
            latencies.Length, starts.Count, leaked, sampler.Peak);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private async Task StartHostileAsync(Guid mallory, List<ClientWebSocket> sockets, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var joins = 0;
        var dropped = new HashSet<ClientWebSocket>();
        // Joins are paced under LocalStack's (and Supabase's) 100 joins a second; the hostile client reads nothing.
        async Task JoinAsync(ClientWebSocket socket, string topic, object config, string? token)
        {
            joins++;
            var due = TimeSpan.FromMilliseconds(joins * 14);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct);
            }
            await TrySendAsync(socket, ["1", "1", topic, "phx_join", new { config, access_token = token }]);
        }
        // LocalStack drops a socket of the hostile client once too much waits for it: later sends to it fail, as expected.
        async Task TrySendAsync(ClientWebSocket socket, object?[] frame)
        {
            if (dropped.Contains(socket))
            {
                return;
            }
            try
            {
                await SendAsync(socket, frame, ct);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or System.Net.Sockets.SocketException)
            {
                dropped.Add(socket);
            }
        }
        // (a) many tokens of one user, each socket subscribed to that user's changes
        for (var i = 0; i < _load.TokenSockets; i++)
        {
            var socket = await ConnectAsync(sockets, ct);
            await JoinAsync(socket, "realtime:mallory-changes", new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "ai_chat_messages" } } },
                Token(mallory, TimeSpan.FromMinutes(60 + i)));
        }
        // (b) hundreds of channels, a large presence on each
        var blob = new string('p', _load.PresenceBytes);
        for (var h = 0; h < _load.HogSockets; h++)
        {
            var socket = await ConnectAsync(sockets, ct);
            for (var c = 0; c < _load.ChannelsPerHog; c++)
            {
                var topic = $"realtime:hog-{h}-{c}";
                await JoinAsync(socket, topic, new { presence = new { key = $"k{c}", enabled = true } }, null);
                await TrySendAsync(socket, ["1", "2", topic, "presence", new { type = "presence", @event = "track", payload = new { blob } }]);
            }
        }
        // (c) the targets of the large HTTP broadcasts
        for (var i = 0; i < _load.BroadcastSockets; i++)
        {
            var socket = await ConnectAsync(sockets, ct);
            await JoinAsync(socket, "realtime:flood", new { broadcast = new { self = false } }, null);
        }
        _log($"hostile client: {sockets.Count} sockets, {joins} joins in {clock.Elapsed.TotalSeconds:F1} s; {dropped.Count} sockets found dropped by LocalStack while sending");
    }

    /// <summary>Large HTTP broadcasts to the flood topic, one after another, until stopped or all sent.</summary>
    private async Task FloodAsync(CancellationToken ct)
    {
        using var http = new HttpClient();
        var body = JsonSerializer.Serialize(new { messages = new[] { new { topic = "flood", @event = "big", payload = new { text = new string('b', _load.BroadcastBytes) } } } });
        try
        {
            for (var i = 0; i < _load.Broadcasts && !ct.IsCancellationRequested; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_target.ApiUrl, "/realtime/v1/api/broadcast"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("apikey", _target.ServiceRoleKey);
                request.Headers.Add("Authorization", "Bearer " + _target.ServiceRoleKey);
                using var response = await http.SendAsync(request, ct);
                await Task.Delay(20, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (HttpRequestException ex)
        {
            _log("flood: " + ex.Message);
        }
    }

    private async Task<ClientWebSocket> ConnectAsync(List<ClientWebSocket> sockets, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetBuffer(4096, 4096);
        await socket.ConnectAsync(SocketUri(), ct);
        sockets.Add(socket);
        return socket;
    }

    private Uri SocketUri() => new($"ws://{_target.ApiUrl.Authority}/realtime/v1/websocket?apikey={Uri.EscapeDataString(_target.AnonKey)}&vsn=2.0.0");

    private static Task SendAsync(ClientWebSocket socket, object?[] frame, CancellationToken ct) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, ct);

    private async Task<Guid> CreateUserAsync(CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(_target.DbConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("insert into auth.users (email, encrypted_password, email_confirmed_at) values ($1, 'x', now()) returning id", conn);
        cmd.Parameters.AddWithValue($"hostile-{Guid.NewGuid():N}@example.test");
        return (Guid)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private async Task<Guid> CreateSessionAsync(Guid user, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(_target.DbConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("insert into public.ai_chat_sessions (user_id, title) values ($1, 'hostile run') returning id", conn);
        cmd.Parameters.AddWithValue(user);
        return (Guid)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task InsertAsync(NpgsqlConnection conn, Guid session, Guid user, string content, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)", conn);
        cmd.Parameters.AddWithValue(session);
        cmd.Parameters.AddWithValue(user);
        cmd.Parameters.AddWithValue(content);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>An HS256 access token for the user, as GoTrue signs it with the project's secret.</summary>
    private string Token(Guid user, TimeSpan lifetime)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow;
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = user.ToString(), ["role"] = "authenticated", ["aud"] = "authenticated",
            ["iat"] = now.AddMinutes(-1).ToUnixTimeSeconds(), ["exp"] = now.Add(lifetime).ToUnixTimeSeconds(),
        }));
        var signature = B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_target.JwtSecret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    /// <summary>Resident memory of a process (VmRSS), in bytes.</summary>
    public static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>Samples a process's resident memory every 50 ms and keeps the peak.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peak;

        public RssSampler(int pid)
        {
            _peak = Rss(pid);
            _timer = new Timer(_ =>
            {
                try
                {
                    var now = Rss(pid);
                    if (now > Interlocked.Read(ref _peak))
                    {
                        Interlocked.Exchange(ref _peak, now);
                    }
                }
                catch (IOException)
                {
                }
            }, null, 0, 50);
        }

        public long Peak => Interlocked.Read(ref _peak);

        public void Dispose() => _timer.Dispose();
    }

    /// <summary>An ordinary user's socket, subscribed to the messages it may see, reading all the time and noting arrivals.</summary>
    private sealed class Probe : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _reader = Task.CompletedTask;
        private Task _heartbeat = Task.CompletedTask;

        private Probe(ClientWebSocket socket) => _socket = socket;

        public ConcurrentDictionary<string, long> Arrivals { get; } = new();

        public static async Task<Probe> StartAsync(HostileRun run, Guid user, CancellationToken ct)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(run.SocketUri(), ct);
            var probe = new Probe(socket);
            probe._reader = probe.ReadAsync();
            await SendAsync(socket, ["1", "1", "realtime:probe-" + user.ToString("N"), "phx_join", new
            {
                config = new { postgres_changes = new[] { new { @event = "INSERT", schema = "public", table = "ai_chat_messages" } } },
                access_token = run.Token(user, TimeSpan.FromHours(1)),
            }], ct);
            await probe._subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            probe._heartbeat = probe.HeartbeatAsync();
            return probe;
        }

        private async Task HeartbeatAsync()
        {
            try
            {
                for (var i = 0; ; i++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                    await SendAsync(_socket, [null, "hb" + i, "phoenix", "heartbeat", new { }], _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[1 << 16];
            using var frame = new MemoryStream();
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    frame.Write(buffer, 0, result.Count);
                    if (!result.EndOfMessage)
                    {
                        continue;
                    }
                    var arrived = Stopwatch.GetTimestamp();
                    Note(frame.GetBuffer().AsSpan(0, (int)frame.Length), arrived);
                    frame.SetLength(0);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }

        private void Note(ReadOnlySpan<byte> utf8, long arrived)
        {
            using var doc = JsonDocument.Parse(utf8.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 5)
            {
                return;
            }
            var payload = root[4];
            switch (root[3].GetString())
            {
                case "system" when payload.TryGetProperty("message", out var m) && m.GetString() == "Subscribed to PostgreSQL":
                    _subscribed.TrySetResult();
                    break;
                case "postgres_changes" when payload.GetProperty("data").TryGetProperty("record", out var record)
                                              && record.TryGetProperty("content", out var content) && content.GetString() is { } text:
                    Arrivals.TryAdd(text, arrived);
                    break;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_reader, _heartbeat);
            _socket.Abort();
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
