using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;
using StrideCampus.AiChat.LocalStack.Realtime;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>A LocalStack that registers postgres_changes bindings as hosted Supabase does: 2 s after the join reply.</summary>
public sealed class DelayedSubscriptionFixture : IAsyncLifetime
{
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private LocalStackServer? _stack;

    public LocalStackServer Stack => _stack ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _stack = await LocalStackServer.StartAsync(new LocalStackOptions { SubscribeDelay = Delay });

    public async Task DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
    }
}

/// <summary>
/// Hosted Supabase subscribes to the database after the join reply and says so with the <c>system</c> message
/// "Subscribed to PostgreSQL" (supabase/realtime lib/realtime_web/channels/realtime_channel.ex,
/// handle_info(:postgres_subscribe)); a change-capture restart is only another such message. LocalStack with
/// <c>--subscribe-delay-ms</c> does the same, and the SDK loses nothing to either.
/// </summary>
public sealed class DelayedSubscriptionTests(DelayedSubscriptionFixture fixture) : IClassFixture<DelayedSubscriptionFixture>
{
    private LocalStackServer Stack => fixture.Stack;

    private async Task<PhoenixTestSocket> JoinMessagesAsync(Guid user, Guid session)
    {
        var socket = await ConnectAsync(Stack.ApiUrl, Stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:delayed", "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "ai_chat_messages", filter = $"user_id=eq.{user}" } } },
            access_token = RealtimeTestData.Token(Stack, user),
        });
        await socket.WaitForReplyAsync("1");
        return socket;
    }

    private static bool IsChange(System.Text.Json.JsonElement m) => Parts(m).Event == "postgres_changes";

    [Fact]
    public async Task Changes_committed_before_Subscribed_to_PostgreSQL_are_not_delivered_and_later_ones_are()
    {
        var user = await RealtimeTestData.CreateUserAsync(Stack);
        var other = await RealtimeTestData.CreateUserAsync(Stack);
        var session = await RealtimeTestData.CreateSessionAsync(Stack, user);
        var otherSession = await RealtimeTestData.CreateSessionAsync(Stack, other);
        await using var socket = await JoinMessagesAsync(user, session);

        // After the join reply, before the confirmation: hosted Supabase never delivers this one.
        await RealtimeTestData.ExecuteAsync(Stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'in the window')", session, user);
        var system = Parts(await socket.WaitForEventAsync("system", timeout: TimeSpan.FromSeconds(15))).Payload;
        Assert.Equal("""{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"delayed"}""", system.GetRawText());

        await RealtimeTestData.ExecuteAsync(Stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'not yours')", otherSession, other);
        await RealtimeTestData.ExecuteAsync(Stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'flowing')", session, user);
        var change = Parts(await socket.WaitForEventAsync("postgres_changes")).Payload;
        Assert.Equal("flowing", change.GetProperty("data").GetProperty("record").GetProperty("content").GetString());
        Assert.Single(socket.Received, IsChange);
    }

    [Fact]
    public async Task A_change_committed_between_the_join_reply_and_Subscribed_is_not_lost_by_the_store()
    {
        var user = await RealtimeTestData.CreateUserAsync(Stack);
        var other = await RealtimeTestData.CreateUserAsync(Stack);
        await using var tab = await ChatTab.OpenAsync(Stack, user);
        await using var otherTab = await ChatTab.OpenAsync(Stack, other);

        // Right after the store says it is ready. Were it ready at the join reply (2 s before changes flow), this
        // session would be neither in its load nor delivered, and nothing would ever bring it.
        var session = await RealtimeTestData.CreateSessionAsync(Stack, user, "committed at once");
        var otherSession = await RealtimeTestData.CreateSessionAsync(Stack, other, "someone else's");
        await Eventually.TrueAsync(() => tab.Store.GetSessionById(session) is not null, "the store sees the session", TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => otherTab.Store.GetSessionById(otherSession) is not null, "the other user's store sees theirs", TimeSpan.FromSeconds(10));
        Assert.Null(tab.Store.GetSessionById(otherSession));
        Assert.Null(otherTab.Store.GetSessionById(session));
        Assert.Equal(0, tab.Store.Current.Stats.Reconciliations); // no catch-up was needed: the session came live
    }

    [Fact]
    public async Task A_change_capture_restart_resends_Subscribed_without_phx_error_and_the_store_catches_up_on_the_gap()
    {
        var user = await RealtimeTestData.CreateUserAsync(Stack);
        var other = await RealtimeTestData.CreateUserAsync(Stack);
        var session = await RealtimeTestData.CreateSessionAsync(Stack, user, "gap");
        var otherSession = await RealtimeTestData.CreateSessionAsync(Stack, other, "other");
        await using var tab = await ChatTab.OpenAsync(Stack, user);
        await using var otherTab = await ChatTab.OpenAsync(Stack, other);
        Assert.Empty(await tab.Store.LoadMessagesAsync(session));
        Assert.Empty(await otherTab.Store.LoadMessagesAsync(otherSession));
        await using var socket = await JoinMessagesAsync(user, session);
        await socket.WaitForEventAsync("system", timeout: TimeSpan.FromSeconds(15));

        // The walsender of LocalStack's replication stream dies; while it is down, both users write.
        var replication = Stack.Services.GetRequiredService<RealtimeService>().Replication;
        var slot = replication.SlotName;
        await RealtimeTestData.ExecuteAsync(Stack, "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1", slot);
        await Eventually.TrueAsync(() => !replication.IsStreaming, "replication stops");
        await RealtimeTestData.ExecuteAsync(Stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'in the gap')", session, user);
        await RealtimeTestData.ExecuteAsync(Stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'other gap')", otherSession, other);

        // Supabase's only trace: another "Subscribed to PostgreSQL". The gap's change is lost on the wire...
        var again = Parts(await socket.WaitForEventAsync("system", timeout: TimeSpan.FromSeconds(15))).Payload;
        Assert.Equal("Subscribed to PostgreSQL", again.GetProperty("message").GetString());
        Assert.NotEqual(slot, replication.SlotName);

        // ...but each store catches up on it, and changes flow again on the same join.
        await Eventually.TrueAsync(() => tab.Store.GetSessionById(session)?.Messages.Any(m => m.Content == "in the gap") == true, "the store catches up on the gap");
        await Eventually.TrueAsync(() => otherTab.Store.GetSessionById(otherSession)?.Messages.Any(m => m.Content == "other gap") == true, "the other store catches up too");
        await RealtimeTestData.ExecuteAsync(Stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'after')", session, user);
        var after = Parts(await socket.WaitForAsync(IsChange)).Payload;
        Assert.Equal("after", after.GetProperty("data").GetProperty("record").GetProperty("content").GetString());
        Assert.DoesNotContain(socket.Received, m => Parts(m).Event is "phx_error" or "phx_close");
        Assert.DoesNotContain(socket.Received, m => IsChange(m) && m.GetRawText().Contains("in the gap", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => tab.Store.GetSessionById(session)!.Messages.Any(m => m.Content == "after"), "the store sees the later change live");
        Assert.DoesNotContain(tab.Store.Current.Sessions, s => s.Id == otherSession);
        Assert.DoesNotContain(otherTab.Store.Current.Sessions, s => s.Id == session);
    }

    [Fact]
    public async Task The_official_client_still_works_and_sees_Subscribed_to_PostgreSQL_after_SUBSCRIBED()
    {
        var alice = await RealtimeTestData.CreateUserAsync(Stack);
        var bob = await RealtimeTestData.CreateUserAsync(Stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(Stack, alice);
        var bobSession = await RealtimeTestData.CreateSessionAsync(Stack, bob);
        var readyFile = Path.Combine(Path.GetTempPath(), $"rt-delayed-{Guid.NewGuid():N}");
        var run = NodeScript.RunAsync("realtime-delayed.mjs", new Dictionary<string, string>
        {
            ["API_URL"] = Stack.ApiUrl.ToString(),
            ["ANON_KEY"] = Stack.AnonKey,
            ["TOKEN"] = RealtimeTestData.Token(Stack, alice),
            ["SESSION"] = aliceSession.ToString(),
            ["READY_FILE"] = readyFile,
        }, TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(() => File.Exists(readyFile) || run.IsCompleted, "the script sees Subscribed to PostgreSQL", TimeSpan.FromSeconds(60));
        Assert.True(File.Exists(readyFile), "script ended before READY: " + (run.IsCompleted ? (await run).ToString() : ""));
        File.Delete(readyFile);

        const string Insert = "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)";
        await RealtimeTestData.ExecuteAsync(Stack, Insert, bobSession, bob, "bob's");
        await RealtimeTestData.ExecuteAsync(Stack, Insert, aliceSession, alice, "hello");
        await RealtimeTestData.ExecuteAsync(Stack, Insert, aliceSession, alice, "END");
        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonDocument.Parse(result.StdOut.Trim().Split('\n')[^1]).RootElement;
        // SUBSCRIBED with the join reply, as on hosted Supabase; then the confirmation (CLOSED comes from the script's cleanup).
        Assert.Equal(["SUBSCRIBED", "system"], output.GetProperty("order").EnumerateArray().Select(e => e.GetString()).Take(2));
        var system = Assert.Single(output.GetProperty("systems").EnumerateArray().ToList());
        Assert.Equal("Subscribed to PostgreSQL", system.GetProperty("message").GetString());
        Assert.Equal("postgres_changes", system.GetProperty("extension").GetString());
        Assert.Equal(["hello", "END"], output.GetProperty("received").EnumerateArray().Select(e => e.GetString()));
    }
}
