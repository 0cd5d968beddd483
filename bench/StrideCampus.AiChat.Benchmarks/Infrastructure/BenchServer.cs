using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.Benchmarks.Infrastructure;

/// <summary>
/// LocalStack in a child process (this executable run as <c>serve</c>), so the server's own allocations and
/// heap stay out of the client figures. The child stops when its standard input closes.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private const string ReadyMarker = "BENCH-SERVER ";

    private readonly Process _process;

    private BenchServer(Process process, ServerSettings settings)
    {
        _process = process;
        ApiUrl = new Uri(settings.ApiUrl);
        AnonKey = settings.AnonKey;
        ConnectionString = settings.ConnectionString;
        Jwt = new JwtService(settings.JwtSecret);
    }

    public Uri ApiUrl { get; }

    public string AnonKey { get; }

    /// <summary>The superuser connection string of the embedded PostgreSQL (bypasses RLS; for seeding).</summary>
    public string ConnectionString { get; }

    public JwtService Jwt { get; }

    /// <summary>Child-process side: runs LocalStack until standard input closes.</summary>
    public static async Task<int> ServeAsync(CancellationToken cancellationToken)
    {
        await using var stack = await LocalStackServer.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var settings = new ServerSettings(stack.ApiUrl.ToString(), stack.AnonKey, stack.Postgres.ConnectionString, stack.JwtSecret);
        await Console.Out.WriteLineAsync(ReadyMarker + JsonSerializer.Serialize(settings)).ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        // The parent closes our stdin when it is done (or dies): then shut down and remove the cluster.
        await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Parent side: starts the child and waits until LocalStack is up.</summary>
    public static async Task<BenchServer> StartAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("no process path"), "serve")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the LocalStack child process");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("the LocalStack child process exited before it was ready");
                if (line.StartsWith(ReadyMarker, StringComparison.Ordinal))
                {
                    var settings = JsonSerializer.Deserialize<ServerSettings>(line.AsSpan(ReadyMarker.Length))
                        ?? throw new InvalidOperationException("bad settings line");
                    return new BenchServer(process, settings);
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Creates a user in auth.users (with the given id when one is given) and returns its id.</summary>
    public async Task<Guid> CreateUserAsync(Guid? id, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "insert into auth.users (id, email, encrypted_password, email_confirmed_at) values (coalesce($1, gen_random_uuid()), $2, 'x', now()) returning id", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id is { } g ? g : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        cmd.Parameters.AddWithValue($"bench-{Guid.NewGuid():N}@example.test");
        return (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>A user's access token signed with the stack's secret.</summary>
    public string Token(Guid userId) => Jwt.CreateUserToken(userId, TimeSpan.FromHours(6));

    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object[] args)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        return conn;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LocalStack at {ApiUrl}");

    private sealed record ServerSettings(string ApiUrl, string AnonKey, string ConnectionString, string JwtSecret);
}
