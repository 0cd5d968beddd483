using System.Diagnostics;
using System.Text.Json;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>
/// The SDK's private channels (<see cref="RealtimeChannelOptions.Private"/>) against LocalStack's Realtime Authorization
/// and database/ai_chat_stream_authorization.sql: the stream topic <c>ai-chat-stream:{user id}</c> is its user's only.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class PrivateChannelTests(LocalStackFixture fixture) : IAsyncLifetime
{
    private const string Unauthorized = "Unauthorized: You do not have permissions to read from this Channel topic: ";
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

    private static string StreamTopic(Guid user) => "ai-chat-stream:" + user.ToString("D");

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public async Task Two_clients_of_a_user_relay_on_their_stream_topic_while_another_user_is_refused()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceToken = RealtimeTestData.Token(stack, alice);
        var tabA = NewClient(aliceToken).Channel(StreamTopic(alice), new RealtimeChannelOptions { Private = true });
        var tabB = NewClient(aliceToken, binaryBroadcasts: true).Channel(StreamTopic(alice), new RealtimeChannelOptions { Private = true, BroadcastAck = true });
        var received = tabA.OnBroadcast("token").Record();
        await tabA.SubscribeAsync();
        await tabB.SubscribeAsync();

        await tabB.SendBroadcastAsync("token", Json("""{"text":"Hel"}"""));
        await tabB.SendBroadcastAsync("token", Json("""{"text":"lo"}"""));
        await received.FirstAsync(_ => received.Items.Count == 2, "both tokens at tab A");
        Assert.Equal(new string?[] { "Hel", "lo" }, received.Items.Select(m => m.Payload.GetProperty("text").GetString()).ToArray());

        // Bob is refused alice's topic at once, with the server's reason, and the channel does not retry by itself.
        var intruder = NewClient(RealtimeTestData.Token(stack, bob)).Channel(StreamTopic(alice), new RealtimeChannelOptions { Private = true });
        var statuses = intruder.Statuses.Record();
        var watch = Stopwatch.StartNew();
        var refusal = await Assert.ThrowsAsync<RealtimeException>(() => intruder.SubscribeAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"refused after {watch.Elapsed}");
        Assert.Equal(SubscribeStatus.ChannelError, refusal.SubscribeStatus);
        Assert.Contains(Unauthorized + StreamTopic(alice), refusal.Message, StringComparison.Ordinal);
        Assert.Contains(statuses.Items, s => s.Status == SubscribeStatus.ChannelError && s.Reason == Unauthorized + StreamTopic(alice));
        await Task.Delay(1500); // three times the test's rejoin delay
        Assert.Single(statuses.Items, s => s.Status == SubscribeStatus.ChannelError);
        Assert.NotEqual(ChannelState.Joining, intruder.State);
        Assert.NotEqual(ChannelState.Joined, intruder.State);

        // A later SubscribeAsync asks again (and is refused again); bob's own topic is his.
        await Assert.ThrowsAsync<RealtimeException>(() => intruder.SubscribeAsync());
        var own = NewClient(RealtimeTestData.Token(stack, bob)).Channel(StreamTopic(bob), new RealtimeChannelOptions { Private = true });
        await own.SubscribeAsync();
        Assert.Equal(ChannelState.Joined, own.State);
        Assert.DoesNotContain(received.Items, m => m.Payload.GetRawText().Contains("bob", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_public_channel_needs_no_policy_and_a_private_topic_without_one_is_refused()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var token = RealtimeTestData.Token(stack, user);
        var name = "no-policy-" + Guid.NewGuid().ToString("N");

        var first = NewClient(token).Channel(name);
        var second = NewClient(token).Channel(name, new RealtimeChannelOptions { Private = false, BroadcastAck = true });
        var received = first.OnBroadcast("ping").Record();
        await first.SubscribeAsync();
        await second.SubscribeAsync();
        await second.SendBroadcastAsync("ping", Json("""{"n":1}"""));
        await received.FirstAsync(_ => true, "public broadcast");

        var refused = NewClient(token).Channel(name, new RealtimeChannelOptions { Private = true });
        var refusal = await Assert.ThrowsAsync<RealtimeException>(() => refused.SubscribeAsync());
        Assert.Contains(Unauthorized + name, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_who_may_read_but_not_write_joins_yet_cannot_deliver_a_broadcast()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var topic = "read-only-" + Guid.NewGuid().ToString("N");
        var policy = "test_sdk_read_only_" + Guid.NewGuid().ToString("N");
        await RealtimeTestData.ExecuteAsync(stack, $"create policy \"{policy}\" on realtime.messages for select to authenticated using ((select realtime.topic()) = '{topic}')");
        try
        {
            var token = RealtimeTestData.Token(stack, user);
            var reader = NewClient(token).Channel(topic, new RealtimeChannelOptions { Private = true });
            var writer = NewClient(token).Channel(topic, new RealtimeChannelOptions { Private = true, BroadcastSelf = true });
            var acked = NewClient(token, timeout: TimeSpan.FromSeconds(1)).Channel(topic, new RealtimeChannelOptions { Private = true, BroadcastAck = true });
            var service = NewClient(stack.ServiceRoleKey).Channel(topic, new RealtimeChannelOptions { Private = true, BroadcastAck = true });
            var received = reader.OnBroadcast("*").Record();
            var echoed = writer.OnBroadcast("*").Record();
            await reader.SubscribeAsync();
            await writer.SubscribeAsync();
            await acked.SubscribeAsync();
            await service.SubscribeAsync();

            await writer.SendBroadcastAsync("token", Json("""{"text":"denied"}"""));
            // The server answers the track after handling the broadcast sent before it: refused too.
            await Assert.ThrowsAsync<RealtimeException>(() => writer.TrackAsync(Json("""{"tab":"w"}""")));
            // With ack, the refused broadcast is never acknowledged.
            await Assert.ThrowsAsync<RealtimeException>(() => acked.SendBroadcastAsync("token", Json("""{"text":"denied too"}""")));

            await service.SendBroadcastAsync("token", Json("""{"text":"allowed"}"""));
            var first = await received.FirstAsync(_ => true, "the service role's broadcast");
            Assert.Equal("allowed", first.Payload.GetProperty("text").GetString());
            Assert.Single(received.Items);
            Assert.All(echoed.Items, m => Assert.Equal("allowed", m.Payload.GetProperty("text").GetString()));
        }
        finally
        {
            await RealtimeTestData.ExecuteAsync(stack, $"drop policy if exists \"{policy}\" on realtime.messages");
        }
    }

    private RealtimeClient NewClient(string token, bool binaryBroadcasts = false, TimeSpan? timeout = null)
    {
        var client = new RealtimeClient(
            new RealtimeClientOptions
            {
                Url = fixture.Stack.ApiUrl,
                ApiKey = fixture.Stack.AnonKey,
                ReconnectDelay = _ => TimeSpan.FromMilliseconds(200),
                RejoinDelay = _ => TimeSpan.FromMilliseconds(500),
                BinaryBroadcasts = binaryBroadcasts,
                Timeout = timeout ?? TimeSpan.FromSeconds(10),
            },
            new StaticAccessTokenProvider(token),
            _logs);
        _owned.Add(client);
        return client;
    }
}
