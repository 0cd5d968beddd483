using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.HostedLimits;

/// <summary>
/// Issue 13 point 7 against LocalStack <c>--private-only</c>: public joins are refused as Supabase refuses them
/// (supabase/realtime lib/realtime_web/channels/realtime_channel.ex, <c>only_private?</c>: a join error reply with
/// reason "PrivateOnly: This project only allows private channels"), and the store and RealtimeAIChats still work,
/// their feed on a private channel authorized by database/ai_chat_stream_authorization.sql.
/// </summary>
[Collection(PrivateOnlyCollection.Name)]
public sealed class PrivateOnlyTests(PrivateOnlyFixture fixture) : IAsyncLifetime
{
    private const string PrivateOnly = "PrivateOnly: This project only allows private channels";
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_public_join_is_refused_with_Supabases_PrivateOnly_reason_for_good()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var channel = NewClient(RealtimeTestData.Token(fixture.Stack, user)).Channel("public-" + Guid.NewGuid().ToString("N"));
        var statuses = channel.Statuses.Record();

        var refusal = await Assert.ThrowsAsync<RealtimeException>(() => channel.SubscribeAsync());

        Assert.Contains(PrivateOnly, refusal.Message, StringComparison.Ordinal);
        Assert.True(refusal.IsPermissionRefusal);
        Assert.Contains(statuses.Items, s => s.Status == SubscribeStatus.ChannelError && s.Reason == PrivateOnly);
        // Stopped, not rejoining: retrying cannot fix it.
        Assert.NotEqual(ChannelState.Joining, channel.State);
        Assert.NotEqual(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task The_store_and_RealtimeAIChats_stay_live_on_private_feeds_and_two_users_stay_apart()
    {
        var alice = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var bob = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var tabA = await Own(ChatTab.OpenAsync(fixture.Stack, alice));
        var tabB = await Own(ChatTab.OpenAsync(fixture.Stack, alice));
        var bobTab = await Own(ChatTab.OpenAsync(fixture.Stack, bob));
        var chats = await Own(RealtimeAIChats.CreateAsync(tabB.Realtime, tabB.Rest, alice, new RealtimeAIChatsOptions { Scheduler = ImmediateScheduler.Instance }));
        var created = new ConcurrentQueue<ChatMessage>();
        using var watch = chats.MessageCreated.Subscribe(created.Enqueue);
        var seenByBob = new ConcurrentQueue<ChatChange>();
        using var bobWatch = bobTab.Store.Changes.Subscribe(seenByBob.Enqueue);

        // Public joins are refused here: being live proves the feeds moved to private channels.
        Assert.True(tabA.Store.IsRealtimeConnected);
        Assert.True(tabB.Store.IsRealtimeConnected);
        Assert.True(chats.IsConnected);

        var session = await tabA.Store.CreateSessionAsync("private only");
        var message = await tabA.Store.AddMessageAsync(session.Id, "hello from a private-only project");
        await Eventually.TrueAsync(() => tabB.Store.GetSessionById(session.Id)?.Messages.Any(m => m.Id == message.Id) == true, "tab B sees the message live");
        await Eventually.TrueAsync(() => created.Any(m => m.Id == message.Id), "RealtimeAIChats reports the message");
        Assert.Equal(await tabB.DatabaseDumpAsync(), tabB.StoreDump());

        // Bob's feed is private too, and his own: nothing of Alice's reaches it.
        var bobSession = await bobTab.Store.CreateSessionAsync("bob's");
        await Eventually.TrueAsync(() => seenByBob.Any(c => c.Id == bobSession.Id) || bobTab.Store.GetSessionById(bobSession.Id) is not null, "Bob's own session");
        Assert.DoesNotContain(seenByBob, c => c.Id == session.Id || c.Id == message.Id);
        Assert.Null(bobTab.Store.GetSessionById(session.Id));
    }

    [Fact]
    public async Task Another_user_is_refused_the_private_feed_topic_of_a_user()
    {
        var alice = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var bob = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var feedTopic = $"ai-chat:{alice:N}:{Guid.NewGuid():N}";

        var bobs = NewClient(RealtimeTestData.Token(fixture.Stack, bob)).Channel(feedTopic, new RealtimeChannelOptions { Private = true });
        var refusal = await Assert.ThrowsAsync<RealtimeException>(() => bobs.SubscribeAsync());
        Assert.Contains("Unauthorized: You do not have permissions to read from this Channel topic: " + feedTopic, refusal.Message, StringComparison.Ordinal);

        var alices = NewClient(RealtimeTestData.Token(fixture.Stack, alice)).Channel(feedTopic, new RealtimeChannelOptions { Private = true });
        await alices.SubscribeAsync();
        Assert.Equal(ChannelState.Joined, alices.State);
    }

    [Fact]
    public async Task Without_the_feed_policy_RealtimeAIChats_fails_with_the_servers_reason_instead_of_retrying()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "alter policy \"ai_chat_feed_read_own_topic\" on realtime.messages using (false)");
        try
        {
            var token = RealtimeTestData.Token(fixture.Stack, user);
            var realtime = NewClient(token);
            var chats = new RealtimeAIChats(realtime, user);
            _owned.Add(chats);

            var failure = await Assert.ThrowsAsync<ChatOperationException>(() => chats.StartAsync());

            var refusal = Assert.IsType<RealtimeException>(failure.InnerException);
            Assert.True(refusal.IsPermissionRefusal);
            Assert.Contains("Unauthorized: You do not have permissions to read from this Channel topic: ai-chat:", refusal.Message, StringComparison.Ordinal);
            await Eventually.TrueAsync(
                () => chats.CurrentStatus is { State: ChatConnectionState.Disconnected, Error: RealtimeException { IsPermissionRefusal: true } },
                "the status says the subscription is refused for good");
        }
        finally
        {
            await RealtimeTestData.ExecuteAsync(
                fixture.Stack,
                """
                alter policy "ai_chat_feed_read_own_topic" on realtime.messages using (
                  realtime.messages.extension = 'broadcast'
                  and split_part((select realtime.topic()), ':', 1) = 'ai-chat'
                  and split_part((select realtime.topic()), ':', 2) = replace((select auth.uid())::text, '-', ''))
                """);
        }
    }

    private async Task<T> Own<T>(Task<T> creation)
        where T : IAsyncDisposable
    {
        var owned = await creation;
        _owned.Add(owned);
        return owned;
    }

    private RealtimeClient NewClient(string token)
    {
        var client = new RealtimeClient(
            new RealtimeClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey, RejoinDelay = _ => TimeSpan.FromMilliseconds(300) },
            new StaticAccessTokenProvider(token));
        _owned.Add(client);
        return client;
    }
}
