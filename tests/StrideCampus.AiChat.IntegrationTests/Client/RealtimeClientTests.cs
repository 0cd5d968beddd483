using System.Text.Json;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>The SDK's realtime client against LocalStack's realtime (real logical replication and RLS).</summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeClientTests(LocalStackFixture fixture) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly CapturingLoggerFactory _logs = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    [Fact]
    public async Task Insert_update_and_delete_arrive_through_a_filtered_subscription()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        var otherSession = await RealtimeTestData.CreateSessionAsync(stack, user, "other");
        var client = NewClient(new StaticAccessTokenProvider(RealtimeTestData.Token(stack, user)));
        var channel = client.Channel("messages-" + session);
        var changes = channel.OnPostgresChanges(Messages($"session_id=eq.{session}")).Record();
        // Under the default replica identity a delete's old row holds only the key, so a filter on session_id never
        // matches it (supabase/realtime realtime.is_visible_through_filters): deletes come through an unfiltered binding.
        var deletes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Delete, "public", "ai_chat_messages")).Record();
        await channel.SubscribeAsync();
        var probe = await EnsureFlowingAsync(changes, session, user);

        var skipped = await InsertMessageAsync(otherSession, user, "elsewhere");
        var message = await InsertMessageAsync(session, user, "hello");
        var insert = await changes.FirstAsync(c => c.Type == PostgresChangeType.Insert && Id(c) == message, "insert " + message + " " + skipped + " " + probe + ": " + Describe(changes.Items) + Environment.NewLine + _logs);
        Assert.Equal(message.ToString(), insert.New!.Value.GetProperty("id").GetString());
        Assert.Equal("hello", insert.New!.Value.GetProperty("content").GetString());
        Assert.Equal("public", insert.Schema);
        Assert.Equal("ai_chat_messages", insert.Table);
        Assert.True(insert.CommitTimestamp > DateTimeOffset.UtcNow.AddMinutes(-5));

        await RealtimeTestData.ExecuteAsync(stack, "update public.ai_chat_messages set content = 'hello again' where id = $1", message);
        var update = await changes.FirstAsync(c => c.Type == PostgresChangeType.Update, "update");
        Assert.Equal("hello again", update.New!.Value.GetProperty("content").GetString());
        Assert.False(update.Old is { } old && old.TryGetProperty("content", out _)); // no old values under the default replica identity

        await RealtimeTestData.ExecuteAsync(stack, "delete from public.ai_chat_messages where id = $1", message);
        var delete = await deletes.FirstAsync(c => c.Type == PostgresChangeType.Delete && OldId(c) == message, "delete");
        Assert.Null(delete.New);
        Assert.Equal(["id"], delete.Old!.Value.EnumerateObject().Select(p => p.Name).ToArray());
        var after = await InsertMessageAsync(session, user, "after");
        await changes.FirstAsync(c => Id(c) == after, "the insert after the delete");

        Assert.DoesNotContain(changes.Items, c => Id(c) == skipped);
        Assert.Equal(2, changes.Items.Count(c => Id(c) == message || OldId(c) == message));
        Assert.All(changes.Items, c => Assert.True(Id(c) == probe || Id(c) == message || Id(c) == after));
    }

    [Fact]
    public async Task After_the_connection_is_killed_the_client_reconnects_rejoins_and_events_flow_again()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        var proxy = new FaultProxy(stack.ApiUrl.Port);
        _owned.Add(proxy);
        var client = NewClient(new StaticAccessTokenProvider(RealtimeTestData.Token(stack, user)), proxy.Url);
        var states = client.ConnectionStates.Record();
        var channel = client.Channel("drop-" + session);
        var statuses = channel.Statuses.Record();
        var changes = channel.OnPostgresChanges(Messages($"session_id=eq.{session}")).Record();
        // Under the default replica identity a delete's old row holds only the key, so a filter on session_id never
        // matches it (supabase/realtime realtime.is_visible_through_filters): deletes come through an unfiltered binding.
        var deletes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Delete, "public", "ai_chat_messages")).Record();
        await channel.SubscribeAsync();
        await EnsureFlowingAsync(changes, session, user);

        proxy.DropAll();
        await states.FirstAsync(s => s.State == ConnectionState.Disconnected && s.Reason != "not connected", "disconnected");
        await statuses.FirstAsync(s => s.Status == SubscribeStatus.Subscribed && s.Reason == "rejoined", "rejoined without any call from the test");
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(ChannelState.Joined, channel.State);
        Assert.True(proxy.AcceptedConnections >= 2);

        var after = await InsertMessageAsync(session, user, "after");
        var change = await changes.FirstAsync(c => Id(c) == after, "event after the reconnect");
        Assert.Equal("after", change.New!.Value.GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_token_refreshed_mid_subscription_keeps_the_channel_alive_past_the_old_expiry()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        var tokens = new StaticAccessTokenProvider(RealtimeTestData.Token(stack, user, TimeSpan.FromSeconds(3)));
        var client = NewClient(tokens);
        var channel = client.Channel("refresh-" + session);
        var statuses = channel.Statuses.Record();
        var changes = channel.OnPostgresChanges(Messages($"session_id=eq.{session}")).Record();
        // Under the default replica identity a delete's old row holds only the key, so a filter on session_id never
        // matches it (supabase/realtime realtime.is_visible_through_filters): deletes come through an unfiltered binding.
        var deletes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Delete, "public", "ai_chat_messages")).Record();
        await channel.SubscribeAsync();
        await EnsureFlowingAsync(changes, session, user);

        tokens.SetToken(RealtimeTestData.Token(stack, user, TimeSpan.FromHours(1)));
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        var message = await InsertMessageAsync(session, user, "after the first token expired");
        await changes.FirstAsync(c => Id(c) == message, "event after the old token's expiry");
        Assert.Equal(ChannelState.Joined, channel.State);
        Assert.DoesNotContain(statuses.Items, s => s.Status is SubscribeStatus.Closed or SubscribeStatus.ChannelError);
        // The server subscribes to the database again after each access_token (realtime_channel.ex,
        // handle_in("access_token") -> postgres_subscribe): the channel says so, so that consumers catch up.
        var subscribed = statuses.Items.Where(s => s.Status == SubscribeStatus.Subscribed).ToList();
        Assert.Equal("joined", subscribed[0].Reason);
        Assert.All(subscribed.Skip(1), s => Assert.Equal("postgres_changes resubscribed", s.Reason));
    }

    [Fact]
    public async Task An_expired_token_without_refresh_errors_the_channel_with_the_server_reason_until_a_new_token_comes()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var tokens = new StaticAccessTokenProvider(RealtimeTestData.Token(stack, user, TimeSpan.FromSeconds(2)));
        var client = NewClient(tokens);
        var channel = client.Channel("expiring-" + user);
        var statuses = channel.Statuses.Record();
        channel.OnPostgresChanges(Messages());
        await channel.SubscribeAsync();

        var error = await statuses.FirstAsync(s => s.Status == SubscribeStatus.ChannelError, "system error", TimeSpan.FromSeconds(10));
        Assert.StartsWith("Token has expired", error.Reason, StringComparison.Ordinal);
        // Not a permission refusal: the channel is not closed for good, it keeps rejoining (refused while the token
        // is expired) and comes back as soon as the app has a new token.
        await statuses.FirstAsync(s => s.Status == SubscribeStatus.ChannelError && s.Reason!.Contains("closed", StringComparison.Ordinal) is false && s != error, "a refused rejoin", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(statuses.Items, s => s.Status == SubscribeStatus.Closed);
        tokens.SetToken(RealtimeTestData.Token(stack, user));
        await statuses.FirstAsync(s => s.Status == SubscribeStatus.Subscribed && s.Reason == "rejoined", "rejoined with the new token", TimeSpan.FromSeconds(15));
        Assert.Equal(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task With_a_refreshable_provider_a_channel_ended_for_an_expired_token_comes_back()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        var tokens = new RefreshingTokenProvider(
            RealtimeTestData.Token(stack, user, TimeSpan.FromSeconds(2)),
            () => RealtimeTestData.Token(stack, user, TimeSpan.FromHours(1)));
        var client = NewClient(tokens);
        var channel = client.Channel("revive-" + session);
        var statuses = channel.Statuses.Record();
        var changes = channel.OnPostgresChanges(Messages($"session_id=eq.{session}")).Record();
        // Under the default replica identity a delete's old row holds only the key, so a filter on session_id never
        // matches it (supabase/realtime realtime.is_visible_through_filters): deletes come through an unfiltered binding.
        var deletes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Delete, "public", "ai_chat_messages")).Record();
        await channel.SubscribeAsync();

        await statuses.FirstAsync(s => s.Status == SubscribeStatus.ChannelError, "token expiry", TimeSpan.FromSeconds(10));
        await statuses.FirstAsync(s => s.Status == SubscribeStatus.Subscribed && s.Reason == "rejoined", "rejoined with a refreshed token");
        Assert.Equal(1, tokens.Refreshes);
        await EnsureFlowingAsync(changes, session, user);
        Assert.Equal(ChannelState.Joined, channel.State);
        Assert.DoesNotContain(statuses.Items, s => s.Status == SubscribeStatus.Closed);
    }

    [Fact]
    public async Task Each_user_receives_only_their_own_rows()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(stack, alice);
        var bobSession = await RealtimeTestData.CreateSessionAsync(stack, bob);
        var aliceClient = NewClient(new StaticAccessTokenProvider(RealtimeTestData.Token(stack, alice)));
        var bobClient = NewClient(new StaticAccessTokenProvider(RealtimeTestData.Token(stack, bob)));
        var aliceChannel = aliceClient.Channel("rls");
        var bobChannel = bobClient.Channel("rls");
        var aliceChanges = aliceChannel.OnPostgresChanges(Messages()).Record();
        var bobChanges = bobChannel.OnPostgresChanges(Messages()).Record();
        var bobSessions = bobChannel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_sessions")).Record();
        aliceChannel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_sessions"));
        await aliceChannel.SubscribeAsync();
        await bobChannel.SubscribeAsync();
        await EnsureFlowingAsync(aliceChanges, aliceSession, alice);
        await EnsureFlowingAsync(bobChanges, bobSession, bob);

        // Step by step: like Supabase, LocalStack checks RLS against the table when it delivers a change, so a row
        // deleted before its insert is delivered would be (rightly) invisible by then.
        var aliceMessage = await InsertMessageAsync(aliceSession, alice, "alice secret");
        await aliceChanges.FirstAsync(c => c.Type == PostgresChangeType.Insert && Id(c) == aliceMessage, "alice's insert");
        await RealtimeTestData.ExecuteAsync(stack, "update public.ai_chat_messages set content = 'alice secret 2' where id = $1", aliceMessage);
        await aliceChanges.FirstAsync(c => c.Type == PostgresChangeType.Update && Id(c) == aliceMessage, "alice's update");
        await RealtimeTestData.ExecuteAsync(stack, "update public.ai_chat_sessions set title = 'alice title' where id = $1", aliceSession);
        await RealtimeTestData.ExecuteAsync(stack, "delete from public.ai_chat_messages where id = $1", aliceMessage);
        await aliceChanges.FirstAsync(c => c.Type == PostgresChangeType.Delete && OldId(c) == aliceMessage, "alice's delete");
        var bobMessage = await InsertMessageAsync(bobSession, bob, "bob's own");
        await bobChanges.FirstAsync(c => Id(c) == bobMessage, "bob's own insert");

        Assert.DoesNotContain(bobChanges.Items, c => c.Type != PostgresChangeType.Delete && Id(c) == aliceMessage);
        Assert.DoesNotContain(bobSessions.Items, c => c.New?.GetProperty("id").GetString() == aliceSession.ToString());
        foreach (var delete in bobChanges.Items.Where(c => c.Type == PostgresChangeType.Delete))
        {
            // A delete cannot be checked against RLS: it carries the primary key alone, never row content.
            Assert.Equal(["id"], delete.Old!.Value.EnumerateObject().Select(p => p.Name));
        }

        Assert.DoesNotContain(bobChanges.Items, c => c.New?.GetRawText().Contains("alice secret", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Broadcast_and_presence_work_between_two_clients()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var token = RealtimeTestData.Token(stack, user);
        var first = NewClient(new StaticAccessTokenProvider(token));
        var second = NewClient(new StaticAccessTokenProvider(token), binaryBroadcasts: true);
        var a = first.Channel("room-" + user, new RealtimeChannelOptions { PresenceKey = "tab-a" });
        var b = second.Channel("room-" + user, new RealtimeChannelOptions { PresenceKey = "tab-b" });
        var received = a.OnBroadcast("typing").Record();
        var presence = a.Presence.Record();
        await a.SubscribeAsync();
        await b.SubscribeAsync();

        await b.SendBroadcastAsync("typing", JsonDocument.Parse("{\"who\":\"b\"}").RootElement);
        var message = await received.FirstAsync(_ => true, "broadcast");
        Assert.Equal("b", message.Payload.GetProperty("who").GetString());

        await b.TrackAsync(JsonDocument.Parse("{\"tab\":\"b\"}").RootElement);
        await presence.FirstAsync(p => p.State.ContainsKey("tab-b"), "b's presence");
        await b.UntrackAsync();
        await presence.FirstAsync(p => !p.State.ContainsKey("tab-b"), "b left");
    }

    private RealtimeClient NewClient(IAccessTokenProvider tokens, Uri? url = null, bool binaryBroadcasts = false)
    {
        var client = new RealtimeClient(
            new RealtimeClientOptions
            {
                Url = url ?? fixture.Stack.ApiUrl,
                ApiKey = fixture.Stack.AnonKey,
                ReconnectDelay = _ => TimeSpan.FromMilliseconds(200),
                RejoinDelay = _ => TimeSpan.FromMilliseconds(500),
                BinaryBroadcasts = binaryBroadcasts,
            },
            tokens,
            _logs);
        _owned.Add(client);
        return client;
    }

    private static PostgresChangesFilter Messages(string? filter = null) =>
        new(PostgresChangeEventFilter.All, "public", "ai_chat_messages", filter);

    private Task<Guid> InsertMessageAsync(Guid session, Guid user, string content) =>
        RealtimeTestData.ScalarAsync<Guid>(
            fixture.Stack,
            "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3) returning id",
            session,
            user,
            content);

    /// <summary>
    /// Supabase Realtime may confirm a subscription before replication flows to it (and never replays what it missed):
    /// insert probe rows until one arrives, so the test's own changes cannot fall into that gap.
    /// </summary>
    private async Task<Guid> EnsureFlowingAsync(Recorder<PostgresChangeEvent> changes, Guid session, Guid user)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var probe = await InsertMessageAsync(session, user, "probe");
            try
            {
                await changes.FirstAsync(c => Id(c) == probe, "probe", TimeSpan.FromSeconds(1));
                return probe;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    private static string Describe(IEnumerable<PostgresChangeEvent> changes) =>
        string.Join("; ", changes.Select(c => $"{c.Type} {c.Table} new={c.New?.GetRawText()} old={c.Old?.GetRawText()}"));

    private static Guid? Id(PostgresChangeEvent change) =>
        change.New is { } row && row.TryGetProperty("id", out var id) ? Guid.Parse(id.GetString()!) : null;

    private static Guid? OldId(PostgresChangeEvent change) =>
        change.Old is { } row && row.TryGetProperty("id", out var id) ? Guid.Parse(id.GetString()!) : null;
}
