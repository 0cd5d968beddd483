using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Security;

/// <summary>Realtime: B's subscriptions (unfiltered, or filtered on A's ids) never carry A's rows; bad tokens cannot join; a refreshed token keeps a subscription alive.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeSecurityTests(LocalStackFixture fixture, ITestOutputHelper output)
{
    private const string WrongSecret = "not-the-secret-of-this-stack-0123456789abcdef";

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private RealtimeClient NewClient(IAccessTokenProvider tokens) => new(
        new RealtimeClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey, Timeout = TimeSpan.FromSeconds(5) }, tokens);

    [Fact]
    public async Task B_subscriptions_with_and_without_filters_naming_A_receive_none_of_A_rows()
    {
        var a = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var b = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var aSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, a, "A-SECRET-TITLE");
        var bSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, b, "b own");
        await using var client = NewClient(new StaticAccessTokenProvider(RealtimeTestData.Token(fixture.Stack, b)));
        await client.ConnectAsync();

        var received = new ConcurrentQueue<(string Channel, PostgresChangeEvent Event)>();
        var filters = new (string Name, PostgresChangesFilter Filter)[]
        {
            ("sessions-all", new(PostgresChangeEventFilter.All, "public", "ai_chat_sessions")),
            ("messages-all", new(PostgresChangeEventFilter.All, "public", "ai_chat_messages")),
            ("sessions-user-A", new(PostgresChangeEventFilter.All, "public", "ai_chat_sessions", $"user_id=eq.{a}")),
            ("messages-user-A", new(PostgresChangeEventFilter.All, "public", "ai_chat_messages", $"user_id=eq.{a}")),
            ("messages-session-A", new(PostgresChangeEventFilter.All, "public", "ai_chat_messages", $"session_id=eq.{aSession}")),
            ("sessions-id-A", new(PostgresChangeEventFilter.All, "public", "ai_chat_sessions", $"id=eq.{aSession}")),
            ("messages-in-A", new(PostgresChangeEventFilter.Insert, "public", "ai_chat_messages", $"session_id=in.({aSession},{bSession})")),
        };
        var channels = new List<RealtimeChannel>();
        foreach (var (name, filter) in filters)
        {
            var channel = client.Channel("sec-" + name + Guid.NewGuid().ToString("N")[..6]);
            channel.OnPostgresChanges(filter).Subscribe(e => received.Enqueue((name, e)));
            await channel.SubscribeAsync();
            channels.Add(channel);
        }

        // A writes every kind of change; then B writes a barrier row that B's unfiltered channel must see.
        for (var i = 0; i < 5; i++)
        {
            var id = await RealtimeTestData.ScalarAsync<Guid>(fixture.Stack,
                "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, $3) returning id", aSession, a, $"A-SECRET-CONTENT-{i}");
            await RealtimeTestData.ExecuteAsync(fixture.Stack, "update ai_chat_messages set content = content || '-EDITED' where id = $1", id);
            if (i % 2 == 0)
            {
                await RealtimeTestData.ExecuteAsync(fixture.Stack, "delete from ai_chat_messages where id = $1", id);
            }
        }
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "update ai_chat_sessions set title = 'A-SECRET-TITLE-2' where id = $1", aSession);
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'B-BARRIER')", bSession, b);
        await Eventually.TrueAsync(() => received.Any(r => r.Channel == "messages-all" && r.Event.New?.GetRawText().Contains("B-BARRIER", StringComparison.Ordinal) == true), "B sees its own barrier row");
        await Eventually.TrueAsync(() => received.Any(r => r.Channel == "messages-in-A" && r.Event.New?.GetRawText().Contains("B-BARRIER", StringComparison.Ordinal) == true), "the in() channel sees B's row");
        await Task.Delay(300);

        var leaks = received.Where(r =>
            (r.Event.New?.GetRawText() ?? "").Contains("A-SECRET", StringComparison.Ordinal) || (r.Event.Old?.GetRawText() ?? "").Contains("A-SECRET", StringComparison.Ordinal) ||
            (r.Event.New?.GetRawText() ?? "").Contains(a.ToString(), StringComparison.Ordinal) || (r.Event.Old?.GetRawText() ?? "").Contains(a.ToString(), StringComparison.Ordinal) ||
            // Filters on anything but the key never match a delete's key-only old row (DeleteLeakTests has the attack).
            r.Channel is "sessions-user-A" or "messages-user-A" or "messages-session-A" ||
            (r.Event.Type != PostgresChangeType.Delete && r.Channel is "sessions-id-A")).ToList();
        Assert.True(leaks.Count == 0, "leaked: " + string.Join("\n", leaks.Select(l => $"{l.Channel} {l.Event.Type} {l.Event.New} {l.Event.Old}")));
        // Deletes are not RLS-checked by Supabase (the row is gone): they may carry the key, never content.
        var deletes = received.Where(r => r.Event.Type == PostgresChangeType.Delete).ToList();
        Assert.All(deletes, d => Assert.Equal(["id"], d.Event.Old!.Value.EnumerateObject().Select(p => p.Name).ToArray()));
        output.WriteLine($"B received {received.Count} events ({deletes.Count} key-only deletes of A's rows), none with A's content; A wrote 14 changes seen by 7 subscriptions");
        foreach (var channel in channels)
        {
            await channel.DisposeAsync();
        }
    }

    [Fact]
    public async Task Expired_forged_and_edited_tokens_cannot_join()
    {
        var b = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var good = RealtimeTestData.Token(fixture.Stack, b);
        var bad = new Dictionary<string, string>
        {
            ["expired"] = RealtimeTestData.Token(fixture.Stack, b, TimeSpan.FromMinutes(-1)),
            ["wrong secret"] = TokenForge.Sign(TokenForge.Claims(b), WrongSecret),
            ["role edited"] = TokenForge.EditPayload(good, p => p["role"] = "service_role"),
            ["service_role forged"] = TokenForge.Sign(TokenForge.Claims(b, "service_role"), WrongSecret),
        };
        var refused = 0;
        foreach (var (name, token) in bad)
        {
            await using var client = NewClient(new StaticAccessTokenProvider(token));
            await client.ConnectAsync();
            await using var channel = client.Channel("sec-bad-" + Guid.NewGuid().ToString("N")[..8]);
            channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_messages")).Subscribe(_ => Assert.Fail("event on a refused channel"));
            var e = await Assert.ThrowsAsync<RealtimeException>(() => channel.SubscribeAsync());
            Assert.Equal(SubscribeStatus.ChannelError, e.SubscribeStatus);
            output.WriteLine($"{name}: {e.Message}");
            refused++;
        }

        output.WriteLine($"realtime joins refused: {refused}");
        Assert.Equal(bad.Count, refused);
    }

    [Fact]
    public async Task A_refreshed_token_keeps_the_subscription_alive_without_a_gap()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user);
        // The first token lives 4 s: without the refresh, the server closes the channel when it expires.
        var start = DateTimeOffset.UtcNow;
        var tokens = new StaticAccessTokenProvider(RealtimeTestData.Token(fixture.Stack, user, TimeSpan.FromSeconds(4)));
        await using var client = NewClient(tokens);
        await client.ConnectAsync();
        var states = new ConcurrentQueue<ConnectionState>();
        using var s1 = client.ConnectionStates.Subscribe(c => states.Enqueue(c.State));
        await using var channel = client.Channel("sec-refresh-" + Guid.NewGuid().ToString("N")[..8]);
        var statuses = new ConcurrentQueue<SubscribeStatus>();
        using var s2 = channel.Statuses.Subscribe(s => statuses.Enqueue(s.Status));
        var contents = new ConcurrentQueue<string>();
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", "ai_chat_messages", $"session_id=eq.{session}"))
            .Subscribe(e => contents.Enqueue(e.New!.Value.GetProperty("content").GetString()!));
        await channel.SubscribeAsync();

        async Task WriteAsync(string content) => await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)", session, user, content);

        var expected = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            expected.Add($"before-{i}");
            await WriteAsync(expected[^1]);
        }

        // Refresh through the provider (what SupabaseAuthClient does), then through SetAuthAsync; write at once after each.
        tokens.SetToken(RealtimeTestData.Token(fixture.Stack, user, TimeSpan.FromSeconds(5)));
        var secondExpiry = DateTimeOffset.UtcNow.AddSeconds(5);
        for (var i = 0; i < 3; i++)
        {
            expected.Add($"after-provider-{i}");
            await WriteAsync(expected[^1]);
        }

        await client.SetAuthAsync(RealtimeTestData.Token(fixture.Stack, user, TimeSpan.FromHours(1)));
        for (var i = 0; i < 3; i++)
        {
            expected.Add($"after-setauth-{i}");
            await WriteAsync(expected[^1]);
        }

        // Past the first two tokens' expiry (the server checks every second): still delivered, so the server
        // holds the refreshed token.
        var wait = Max(start.AddSeconds(4), secondExpiry).AddSeconds(1.5) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        for (var i = 0; i < 3; i++)
        {
            expected.Add($"after-expiry-{i}");
            await WriteAsync(expected[^1]);
        }

        await Eventually.TrueAsync(() => contents.Count >= expected.Count, $"all {expected.Count} events arrive (got {contents.Count})", TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        Assert.Equal(expected, contents.ToArray());
        // Only Subscribed (again after each access_token: the server subscribes to the database again).
        Assert.All(statuses.ToArray(), s => Assert.Equal(SubscribeStatus.Subscribed, s));
        Assert.DoesNotContain(ConnectionState.Disconnected, states);
        Assert.Equal(ChannelState.Joined, channel.State);
    }
}
