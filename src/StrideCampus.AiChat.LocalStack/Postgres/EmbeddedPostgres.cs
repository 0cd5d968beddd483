using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// A PostgreSQL cluster owned by this process: created with initdb (logical replication on),
/// started on a loopback port, given the database/ scripts, and stopped (and, when throwaway,
/// deleted) on dispose. When the caller is root the server runs as the <c>postgres</c> OS user,
/// because initdb and postgres refuse to run as root.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private const string DatabaseName = "postgres";
    private readonly EmbeddedPostgresOptions _options;
    private readonly ILogger _logger;
    private readonly string _binDir;
    private readonly bool _runAsPostgresUser;
    private readonly string? _throwawayRoot;
    private PostmasterWatchdog? _watchdog;
    private int _running;
    private int _disposed;

    private EmbeddedPostgres(EmbeddedPostgresOptions options, ILogger logger, string binDir, string dataDir, string? throwawayRoot)
    {
        _options = options;
        _logger = logger;
        _binDir = binDir;
        DataDirectory = dataDir;
        _throwawayRoot = throwawayRoot;
        _runAsPostgresUser = Environment.IsPrivilegedProcess;
    }

    /// <summary>The cluster's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The loopback TCP port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Superuser password (random per cluster, kept in the data directory).</summary>
    public string Password { get; private set; } = "";

    /// <summary>Password of the <c>authenticator</c> login role that API gateways connect as.</summary>
    public string AuthenticatorPassword { get; private set; } = "";

    /// <summary>Whether the server is currently running.</summary>
    public bool IsRunning => Volatile.Read(ref _running) == 1;

    /// <summary>Superuser connection string.</summary>
    public string ConnectionString => BuildConnectionString(SuperUser, Password);

    /// <summary>Connection string of the <c>authenticator</c> role (no privileges of its own).</summary>
    public string AuthenticatorConnectionString => BuildConnectionString("authenticator", AuthenticatorPassword);

    /// <summary>A <c>postgresql://</c> URL for the superuser, as the Supabase CLI prints DB_URL.</summary>
    public string Url => $"postgresql://{SuperUser}:{Uri.EscapeDataString(Password)}@127.0.0.1:{Port}/{DatabaseName}";

    /// <summary>Creates (if needed) and starts a cluster, then applies the database/ scripts.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedPostgresOptions();
        logger ??= NullLogger.Instance;
        var binDir = FindBinDirectory(options.BinDirectory);
        string dataDir;
        string? throwawayRoot = null;
        if (options.DataDirectory is { Length: > 0 } persistent)
        {
            dataDir = Path.GetFullPath(persistent);
        }
        else
        {
            // Under /tmp, not the home directory: the postgres user must be able to enter it.
            throwawayRoot = Path.Combine(Path.GetTempPath(), "stridecampus-pg-" + Guid.NewGuid().ToString("N")[..12]);
            dataDir = Path.Combine(throwawayRoot, "data");
        }

        var pg = new EmbeddedPostgres(options, logger, binDir, dataDir, throwawayRoot);
        try
        {
            // Every start reaps throwaway clusters of LocalStacks that died without cleaning up.
            await OrphanClusterReaper.ReapAsync((args, ct) => pg.RunAsync("pg_ctl", args, ct), logger, cancellationToken).ConfigureAwait(false);
            if (throwawayRoot is null && File.Exists(Path.Combine(dataDir, "PG_VERSION")))
            {
                await StalePostmaster.TakeOverAsync(dataDir, (args, ct) => pg.RunAsync("pg_ctl", args, ct), logger, cancellationToken).ConfigureAwait(false);
            }
            pg._watchdog = PostmasterWatchdog.Start(Path.Combine(binDir, "pg_ctl"), dataDir, throwawayRoot, pg._runAsPostgresUser, logger);
            await pg.InitializeAsync(cancellationToken).ConfigureAwait(false);
            await pg.StartServerAsync(cancellationToken).ConfigureAwait(false);
            if (options.ApplySchema)
            {
                await pg.ApplyDatabaseScriptsAsync(cancellationToken).ConfigureAwait(false);
            }
            return pg;
        }
        catch
        {
            await pg.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Applies every database/ script in order (they are idempotent), and sets the authenticator's password.</summary>
    public async Task ApplyDatabaseScriptsAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (name, sql) in DatabaseScripts.All)
        {
            try
            {
                await using var cmd = new NpgsqlCommand(sql, conn);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw new EmbeddedPostgresException($"Applying {name} failed: {ex.MessageText}", ex);
            }
        }
        await using (var cmd = new NpgsqlCommand($"alter role authenticator with login password '{AuthenticatorPassword}'", conn))
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        _logger.LogInformation("Applied {Count} database scripts", DatabaseScripts.All.Count);
    }

    /// <summary>Stops the server (fast shutdown, or immediate to simulate a crash); the data stays.</summary>
    public async Task StopAsync(bool immediate = false, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 0) == 0)
        {
            return;
        }
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", ((int)_options.Timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "stop"], cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("PostgreSQL stopped ({Mode})", immediate ? "immediate" : "fast");
    }

    /// <summary>Starts a stopped server again on the same port and data directory.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => StartServerAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        try
        {
            using var cts = new CancellationTokenSource(_options.Timeout);
            await StopAsync(false, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is EmbeddedPostgresException or OperationCanceledException)
        {
            _logger.LogWarning(ex, "PostgreSQL did not stop cleanly");
        }
        if (_throwawayRoot is null)
        {
            StalePostmaster.Release(DataDirectory);
        }
        if (_throwawayRoot is not null)
        {
            try
            {
                Directory.Delete(_throwawayRoot, recursive: true);
            }
            catch (IOException ex)
            {
                _logger.LogWarning(ex, "Could not delete {Directory}", _throwawayRoot);
            }
            catch (UnauthorizedAccessException ex)
            {
                _logger.LogWarning(ex, "Could not delete {Directory}", _throwawayRoot);
            }
        }
        _watchdog?.Dispose();
    }

    private string BuildConnectionString(string user, string password) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = user,
        Password = password,
        Database = DatabaseName,
        Pooling = true,
        MaxPoolSize = 100,
        Timeout = 15,
    }.ConnectionString;

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(DataDirectory, "localstack.secret");
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            var lines = await File.ReadAllLinesAsync(passwordFile, cancellationToken).ConfigureAwait(false);
            Password = lines[0];
            AuthenticatorPassword = lines[1];
            _logger.LogInformation("Reusing PostgreSQL cluster in {DataDirectory}", DataDirectory);
            return;
        }

        Password = NewSecret();
        AuthenticatorPassword = NewSecret();
        var root = _throwawayRoot ?? Path.GetDirectoryName(DataDirectory)!;
        Directory.CreateDirectory(root);
        if (_throwawayRoot is not null)
        {
            OrphanClusterReaper.WriteOwner(_throwawayRoot);
        }
        Directory.CreateDirectory(DataDirectory);
        var pwFile = Path.Combine(root, ".initdb-pw-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(pwFile, Password, cancellationToken).ConfigureAwait(false);
        try
        {
            if (_runAsPostgresUser)
            {
                await GiveToPostgresUserAsync(_throwawayRoot ?? DataDirectory, cancellationToken).ConfigureAwait(false);
                await GiveToPostgresUserAsync(pwFile, cancellationToken).ConfigureAwait(false);
            }
            var sw = Stopwatch.StartNew();
            await RunAsync("initdb", ["-D", DataDirectory, "-U", SuperUser, "--pwfile", pwFile, "-E", "UTF8", "--locale", "C",
                "--auth-host", "scram-sha-256", "--auth-local", "peer", "--no-instructions"], cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("initdb took {Elapsed} ms", sw.ElapsedMilliseconds);
        }
        finally
        {
            File.Delete(pwFile);
        }

        var throwaway = _throwawayRoot is not null;
        var conf = string.Join('\n',
            "",
            "# Written by StrideCampus.AiChat.LocalStack",
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "wal_level = logical",
            "max_replication_slots = 32",
            "max_wal_senders = 32",
            "max_connections = 300",
            "shared_buffers = 64MB",
            // A throwaway cluster does not need crash safety; durability costs time on every commit.
            throwaway ? "fsync = off" : "",
            throwaway ? "full_page_writes = off" : "",
            "");
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), conf, cancellationToken).ConfigureAwait(false);
        await File.WriteAllLinesAsync(passwordFile, [Password, AuthenticatorPassword], cancellationToken).ConfigureAwait(false);
        if (_throwawayRoot is null)
        {
            OrphanClusterReaper.WriteOwnerFile(Path.Combine(DataDirectory, StalePostmaster.OwnerFile));
        }
        if (_runAsPostgresUser)
        {
            await GiveToPostgresUserAsync(DataDirectory, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw new ObjectDisposedException(nameof(EmbeddedPostgres));
        }
        if (IsRunning)
        {
            return;
        }
        var fixedPort = _options.Port != 0 ? _options.Port : Port;
        for (var attempt = 0; ; attempt++)
        {
            Port = fixedPort != 0 ? fixedPort : FreeLoopbackPort();
            var sw = Stopwatch.StartNew();
            try
            {
                var log = Path.Combine(DataDirectory, "postgres.log");
                await RunAsync("pg_ctl", ["-D", DataDirectory, "-l", log, "-w", "-t", ((int)_options.Timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "-o", $"-p {Port}", "start"], cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _running, 1);
                AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
                AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
                _logger.LogInformation("PostgreSQL started on 127.0.0.1:{Port} in {Elapsed} ms", Port, sw.ElapsedMilliseconds);
                return;
            }
            catch (EmbeddedPostgresException ex) when (attempt < 2)
            {
                // Another process may have taken the port between probing and binding; after a crash, the
                // killed server's backends may hold its shared memory for a moment longer.
                _logger.LogWarning(ex, "PostgreSQL failed to start on port {Port}; trying again", Port);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        // Last resort when the host exits without disposing: never leave a server running.
        if (IsRunning)
        {
            try
            {
                StopAsync(immediate: true).Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
            }
        }
    }

    private async Task GiveToPostgresUserAsync(string path, CancellationToken cancellationToken)
    {
        await RunRawAsync("chown", ["-R", "postgres:postgres", path], cancellationToken).ConfigureAwait(false);
    }

    private Task RunAsync(string tool, string[] args, CancellationToken cancellationToken)
    {
        var exe = Path.Combine(_binDir, tool);
        if (_runAsPostgresUser)
        {
            return RunRawAsync("runuser", ["-u", "postgres", "--", exe, .. args], cancellationToken);
        }
        return RunRawAsync(exe, args, cancellationToken);
    }

    private static async Task RunRawAsync(string fileName, string[] args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new EmbeddedPostgresException($"Could not run '{fileName}': {ex.Message}", ex);
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            throw;
        }
        if (process.ExitCode != 0)
        {
            throw new EmbeddedPostgresException(
                $"'{Path.GetFileName(fileName)} {string.Join(' ', args)}' exited with {process.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()} {(await stdout.ConfigureAwait(false)).Trim()}");
        }
    }

    internal static string FindBinDirectory(string? configured, bool searchDefaults = true)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured))
        {
            candidates.Add(configured);
        }
        if (searchDefaults && Environment.GetEnvironmentVariable("PG_BINDIR") is { Length: > 0 } env)
        {
            candidates.Add(env);
        }
        // Debian and Ubuntu install server binaries per major version, newest wins.
        const string debianRoot = "/usr/lib/postgresql";
        if (searchDefaults && Directory.Exists(debianRoot))
        {
            candidates.AddRange(Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: d, Major: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => x.Major >= 15)
                .OrderByDescending(x => x.Major)
                .Select(x => Path.Combine(x.Dir, "bin")));
        }
        if (searchDefaults)
        {
            candidates.Add("/usr/local/pgsql/bin");
            candidates.Add("/usr/bin");
        }
        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres")))
            {
                return dir;
            }
        }
        throw new PostgresNotInstalledException(string.Join(", ", candidates));
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
}
