using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>
/// The real <c>StrideCampus.AiChat.LocalStack start</c> process (built beside the tests), for what only a process
/// shows: a SIGKILL, the watchdog, the printed settings.
/// </summary>
internal sealed class LocalStackProcess : IAsyncDisposable
{
    private readonly Process _process;

    private LocalStackProcess(Process process, IReadOnlyDictionary<string, string> settings, string dataDirectory, int postmasterPid)
    {
        _process = process;
        Settings = settings;
        DataDirectory = dataDirectory;
        PostmasterPid = postmasterPid;
    }

    /// <summary>What <c>start</c> printed: API_URL, DB_URL, ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    public string DataDirectory { get; }

    public int PostmasterPid { get; }

    public int Pid => _process.Id;

    public static async Task<LocalStackProcess> StartAsync(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "StrideCampus.AiChat.LocalStack.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("start");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        var settings = new Dictionary<string, string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            while (!settings.ContainsKey("JWT_SECRET"))
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    await process.WaitForExitAsync(timeout.Token);
                    lock (stderr)
                    {
                        throw new InvalidOperationException($"start exited with {process.ExitCode}: {stderr}");
                    }
                }
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    settings[line[..eq]] = line[(eq + 1)..].Trim('"');
                }
            }
            await using var conn = new NpgsqlConnection(ToConnectionString(settings["DB_URL"]));
            await conn.OpenAsync(timeout.Token);
            await using var cmd = new NpgsqlCommand("select current_setting('data_directory')", conn);
            var dataDir = (string)(await cmd.ExecuteScalarAsync(timeout.Token))!;
            var pid = int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            return new LocalStackProcess(process, settings, dataDir, pid);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The shell that stops this stack's PostgreSQL when the stack dies.</summary>
    public int? WatchdogPid() => FindProcess(cmd => cmd.Contains("stridecampus-pg-watchdog", StringComparison.Ordinal) && cmd.Contains(DataDirectory, StringComparison.Ordinal));

    /// <summary>SIGKILL: no code of the stack runs after it.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public static bool IsAlive(int pid) => Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)) && !IsZombie(pid);

    public static void SigKill(int pid)
    {
        using var kill = Process.Start("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(30)), "timed out waiting until " + what);
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int? FindProcess(Func<string, bool> matches)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                if (matches(File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return null;
    }

    private static string ToConnectionString(string url)
    {
        var uri = new Uri(url);
        var userInfo = uri.UserInfo.Split(':');
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Password = Uri.UnescapeDataString(userInfo[1]),
            Database = uri.AbsolutePath.Trim('/'),
            Pooling = false,
        }.ConnectionString;
    }
}
