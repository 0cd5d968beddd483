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
        await using var dead = await LocalStackProcess.StartAsync();
        var root = Path.GetDirectoryName(dead.DataDirectory)!;
        // Its watchdog dies first (as under a `kill -9` of the whole tree): the cluster is left behind.
        LocalStackProcess.SigKill(dead.WatchdogPid() ?? throw new InvalidOperationException("no watchdog"));
        await dead.KillAsync();
        Assert.True(LocalStackProcess.IsAlive(dead.PostmasterPid), "the leftover server runs");

        await using (await LocalStackServer.StartAsync())
        {
            Assert.False(LocalStackProcess.IsAlive(dead.PostmasterPid));
            Assert.False(Directory.Exists(root));
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
