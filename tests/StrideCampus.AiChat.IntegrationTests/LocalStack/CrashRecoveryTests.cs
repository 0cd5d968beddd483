using Npgsql;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// The real <c>start</c> process killed with SIGKILL: it leaves nothing behind, a leftover of a dead stack is reaped
/// at the next start, and a kept data directory starts again with the same keys.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task A_sigkilled_stack_takes_its_postgres_and_throwaway_directory_along()
    {
        await using var stack = await LocalStackProcess.StartAsync();
        var root = Path.GetDirectoryName(stack.DataDirectory)!;
        Assert.True(LocalStackProcess.IsAlive(stack.PostmasterPid));

        await stack.KillAsync();

        await LocalStackProcess.WaitUntilAsync(() => !LocalStackProcess.IsAlive(stack.PostmasterPid), "PostgreSQL stopped");
        await LocalStackProcess.WaitUntilAsync(() => !Directory.Exists(root), "the throwaway directory is gone");
    }

    [Fact]
    public async Task A_throwaway_cluster_left_by_a_dead_stack_is_reaped_at_the_next_start()
    {
        await using var dead = await StartAndKillLeavingItsClusterAsync();
        var root = Path.GetDirectoryName(dead.DataDirectory)!;

        await using (await LocalStackServer.StartAsync())
        {
            Assert.False(LocalStackProcess.IsAlive(dead.PostmasterPid));
            Assert.False(Directory.Exists(root));
        }
    }

    [Fact]
    public async Task Starts_at_the_same_time_each_return_only_once_the_dead_stacks_cluster_is_gone()
    {
        // Tests start stacks in parallel: a start must not return while another start is still stopping the orphan
        // both found (seen once in a loaded run of the test above: its server still ran after the start returned).
        await using var dead = await StartAndKillLeavingItsClusterAsync();
        var root = Path.GetDirectoryName(dead.DataDirectory)!;

        async Task<bool> StartAndCheckAsync()
        {
            await using var server = await LocalStackServer.StartAsync();
            return !LocalStackProcess.IsAlive(dead.PostmasterPid) && !Directory.Exists(root);
        }

        var results = await Task.WhenAll(StartAndCheckAsync(), StartAndCheckAsync(), StartAndCheckAsync());
        Assert.Equal([true, true, true], results);
    }

    /// <summary>A stack killed after its watchdog (as under a <c>kill -9</c> of the whole tree): its cluster is left running.</summary>
    private static async Task<LocalStackProcess> StartAndKillLeavingItsClusterAsync()
    {
        var dead = await LocalStackProcess.StartAsync();
        try
        {
            LocalStackProcess.SigKill(dead.WatchdogPid() ?? throw new InvalidOperationException("no watchdog"));
            await dead.KillAsync();
            Assert.True(LocalStackProcess.IsAlive(dead.PostmasterPid), "the leftover server runs");
            return dead;
        }
        catch
        {
            await dead.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task A_kept_data_directory_starts_again_while_a_backend_of_its_killed_postgres_still_runs()
    {
        // A backend busy in a query notices its postmaster's death only at its next wait, and keeps the shared memory
        // attached meanwhile: PostgreSQL refuses to start on the directory until it is gone (sysv_shmem.c,
        // "pre-existing shared memory block is still in use"). On a loaded machine any backend can be that slow.
        var dir = Path.Combine(Path.GetTempPath(), "stridecampus-orphan-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            int orphan;
            Task busy;
            await using (var first = await LocalStackProcess.StartAsync("--data-dir", dir))
            {
                var url = new Uri(first.Settings["DB_URL"]);
                var userInfo = url.UserInfo.Split(':', 2);
                var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
                {
                    Host = url.Host, Port = url.Port, Database = url.AbsolutePath.TrimStart('/'),
                    Username = Uri.UnescapeDataString(userInfo[0]), Password = Uri.UnescapeDataString(userInfo[1]), Pooling = false,
                }.ConnectionString);
                await connection.OpenAsync();
                orphan = connection.ProcessID;
                // Minutes of work with no wait in it: the backend runs on after its postmaster is killed.
                busy = new NpgsqlCommand("select count(*) from generate_series(1, 100000000000)", connection) { CommandTimeout = 0 }.ExecuteScalarAsync();
                await Task.Delay(300);
                LocalStackProcess.SigKill(first.WatchdogPid()!.Value);
                LocalStackProcess.SigKill(first.PostmasterPid);
                await first.KillAsync();
                Assert.True(LocalStackProcess.IsAlive(orphan), "the busy backend outlives its postmaster");
            }

            await using (var second = await LocalStackProcess.StartAsync("--data-dir", dir))
            {
                Assert.False(LocalStackProcess.IsAlive(orphan), "the orphaned backend was ended before PostgreSQL started");
                Assert.True(LocalStackProcess.IsAlive(second.PostmasterPid));
                await second.KillAsync();
                await LocalStackProcess.WaitUntilAsync(() => !LocalStackProcess.IsAlive(second.PostmasterPid), "PostgreSQL stopped");
            }

            await Assert.ThrowsAnyAsync<Exception>(() => busy); // its server is gone
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_kept_data_directory_starts_again_after_sigkill_with_the_same_keys()
    {
        var dir = Path.Combine(Path.GetTempPath(), "stridecampus-crash-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string anonKey, serviceKey, accessToken;
            int stalePid;
            await using (var first = await LocalStackProcess.StartAsync("--data-dir", dir))
            {
                anonKey = first.Settings["ANON_KEY"];
                serviceKey = first.Settings["SERVICE_ROLE_KEY"];
                using var api = new HttpClient { BaseAddress = new Uri(first.Settings["API_URL"]) };
                accessToken = await SignUpAsync(api, anonKey);
                // The stack dies, its PostgreSQL survives (watchdog killed first): the next start must stop it.
                LocalStackProcess.SigKill(first.WatchdogPid()!.Value);
                await first.KillAsync();
                stalePid = first.PostmasterPid;
                Assert.True(LocalStackProcess.IsAlive(stalePid));
            }

            await using (var second = await LocalStackProcess.StartAsync("--data-dir", dir))
            {
                Assert.False(LocalStackProcess.IsAlive(stalePid), "the stale postmaster was stopped");
                await AssertSameKeysAndUserAsync(second, anonKey, serviceKey, accessToken);
                // Now everything dies by SIGKILL at once: stack, watchdog and postmaster.
                LocalStackProcess.SigKill(second.WatchdogPid()!.Value);
                LocalStackProcess.SigKill(second.PostmasterPid);
                await second.KillAsync();
            }

            await using (var third = await LocalStackProcess.StartAsync("--data-dir", dir))
            {
                await AssertSameKeysAndUserAsync(third, anonKey, serviceKey, accessToken);
                await third.KillAsync();
                // A kept directory's server is stopped by the watchdog, and the directory stays.
                await LocalStackProcess.WaitUntilAsync(() => !LocalStackProcess.IsAlive(third.PostmasterPid), "PostgreSQL stopped");
                Assert.True(File.Exists(Path.Combine(third.DataDirectory, "PG_VERSION")));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_given_jwt_secret_makes_keys_that_depend_on_it_alone()
    {
        var secret = new string('k', 40);
        await using var stack = await LocalStackServer.StartAsync(new LocalStackOptions { JwtSecret = secret });
        var fresh = new JwtService(secret);
        Assert.Equal(fresh.CreateApiKey("anon"), stack.AnonKey);
        Assert.Equal(fresh.CreateApiKey("service_role"), stack.ServiceRoleKey);
        Assert.True((await fresh.ValidateAsync(stack.AnonKey)).IsValid);
    }

    private static async Task AssertSameKeysAndUserAsync(LocalStackProcess stack, string anonKey, string serviceKey, string accessToken)
    {
        Assert.Equal(anonKey, stack.Settings["ANON_KEY"]);
        Assert.Equal(serviceKey, stack.Settings["SERVICE_ROLE_KEY"]);
        using var api = new HttpClient { BaseAddress = new Uri(stack.Settings["API_URL"]) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/v1/user");
        request.Headers.TryAddWithoutValidation("apikey", anonKey);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + accessToken);
        using var response = await api.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<string> SignUpAsync(HttpClient api, string anonKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/signup")
        {
            Content = new StringContent($$"""{"email":"{{StackHttp.NewEmail("crash")}}","password":"password-123"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("apikey", anonKey);
        using var response = await api.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }
}
