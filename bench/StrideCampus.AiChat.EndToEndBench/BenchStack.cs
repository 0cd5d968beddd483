using Npgsql;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>An in-process LocalStack plus the superuser helpers the benchmarks need (users, tokens, rows).</summary>
internal sealed class BenchStack : IAsyncDisposable
{
    private BenchStack(LocalStackServer server) => Server = server;

    public LocalStackServer Server { get; }

    public string ConnectionString => Server.Postgres.ConnectionString;

    /// <summary>LocalStack's realtime endpoint (serializer 2.0.0) as a raw client would open it.</summary>
    public Uri RealtimeSocketUri => new($"ws://{Server.ApiUrl.Authority}/realtime/v1/websocket?apikey={Server.AnonKey}&vsn=2.0.0");

    public static async Task<BenchStack> StartAsync(CancellationToken ct)
    {
        // The benchmarks connect hundreds of clients at once: LocalStack's join rate limit (Supabase's 100 a second,
        // which refuses the join and drops the socket) would refuse them; what they measure comes after the joins.
        var server = await LocalStackServer.StartAsync(new LocalStackOptions { RealtimeMaxJoinsPerSecond = 0 }, cancellationToken: ct);
        Console.WriteLine($"LocalStack up in {server.StartupTime.TotalMilliseconds:F0} ms at {server.ApiUrl}");
        return new BenchStack(server);
    }

    /// <summary>Creates <paramref name="count"/> confirmed users in one statement (as GoTrue would store them).</summary>
    public async Task<Guid[]> CreateUsersAsync(int count, string prefix, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "insert into auth.users (email, encrypted_password, email_confirmed_at) " +
            "select $1 || g || '-' || gen_random_uuid() || '@example.test', 'x', now() from generate_series(1, $2) g returning id", conn);
        cmd.Parameters.AddWithValue(prefix);
        cmd.Parameters.AddWithValue(count);
        var ids = new List<Guid>(count);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetGuid(0));
        }

        return [.. ids];
    }

    /// <summary>An access token for the user, as GoTrue would mint it.</summary>
    public string Token(Guid userId, TimeSpan skew = default) => Server.Jwt.CreateUserToken(userId, TimeSpan.FromHours(2) + skew);

    public async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<T> ScalarAsync<T>(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
