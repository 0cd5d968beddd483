using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.LocalStack.Hosting;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Security;

/// <summary>A full flow with every SDK client and LocalStack logging at Trace: no token, password, key or secret in any log line.</summary>
public sealed class SecretsInLogsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task No_secret_appears_in_any_log_of_the_sdk_or_localstack()
    {
        var capture = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(capture));
        await using var stack = await LocalStackServer.StartAsync(null, loggers);
        using var http = new HttpClient();
        const string password = "Sup3r-Secret-Passw0rd!";
        const string wrongPassword = "Wr0ng-Secret-Passw0rd?";
        var secrets = new ConcurrentDictionary<string, string>();
        secrets["password"] = password;
        secrets["wrong password"] = wrongPassword;
        secrets["anon key"] = stack.AnonKey;
        secrets["service key"] = stack.ServiceRoleKey;
        secrets["jwt secret"] = stack.JwtSecret;

        await using (var auth = new SupabaseAuthClient(http, new SupabaseAuthOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, loggers.CreateLogger<SupabaseAuthClient>()))
        {
            using var sessions = auth.SessionChanged.Subscribe(s =>
            {
                if (s is not null)
                {
                    secrets["access token " + secrets.Count] = s.AccessToken;
                    secrets["refresh token " + secrets.Count] = s.RefreshToken;
                }
            });
            var email = $"logs-{Guid.NewGuid():N}@example.com";
            var session = await auth.SignUpAsync(email, password);
            await Assert.ThrowsAsync<AuthException>(() => auth.SignInWithPasswordAsync(email, wrongPassword));
            session = await auth.SignInWithPasswordAsync(email, password);
            var rest = new PostgrestClient(http, new PostgrestClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, auth, loggers.CreateLogger<PostgrestClient>());
            await using var realtime = new RealtimeClient(new RealtimeClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, auth, loggers);
            await using (var store = await MessageStore.CreateAsync(rest, realtime, session.User.Id, new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance }, loggers))
            {
                var chat = await store.CreateSessionAsync("logged chat");
                await store.AddMessageAsync(chat.Id, "hello");
                await auth.RefreshSessionAsync(); // forwarded to realtime as access_token
                await store.AddMessageAsync(chat.Id, "after refresh");
                await store.StreamAssistantReplyAsync(chat.Id, Tokens());
                await Assert.ThrowsAsync<ChatOperationException>(() => store.RenameSessionAsync(chat.Id, new string('x', 150) + "\u0000"));
            }

            // A refused request carrying a forged token, and a bad refresh token.
            var forged = TokenForge.EditPayload(auth.CurrentSession!.AccessToken, p => p["role"] = "service_role");
            secrets["forged token"] = forged;
            var forgedRest = new PostgrestClient(http, new PostgrestClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, new StaticAccessTokenProvider(forged), loggers.CreateLogger<PostgrestClient>());
            await Assert.ThrowsAsync<PostgrestException>(() => forgedRest.From("ai_chat_sessions", Client.ClientTestJsonContext.Default.TestSession).GetAsync());
            await auth.SignOutAsync();
        }

        var lines = capture.Events.Select(e => e.Text).ToList();
        Assert.True(lines.Count > 30, $"the flow logged ({lines.Count} lines)");
        var leaks = new List<string>();
        foreach (var (name, secret) in secrets)
        {
            // the whole value, and for a JWT its signature alone (a token logged in part)
            var needles = new List<string> { secret };
            if (secret.Count(c => c == '.') == 2)
            {
                needles.Add(secret[(secret.LastIndexOf('.') + 1)..]);
            }
            foreach (var needle in needles.Where(n => n.Length >= 8))
            {
                leaks.AddRange(lines.Where(l => l.Contains(needle, StringComparison.Ordinal)).Select(l => $"{name}: {l}"));
            }
        }

        output.WriteLine($"{lines.Count} log lines checked against {secrets.Count} secrets");
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Take(10)));
    }

    private static async IAsyncEnumerable<string> Tokens()
    {
        for (var i = 0; i < 20; i++)
        {
            await Task.Yield();
            yield return $"t{i} ";
        }
    }
}
