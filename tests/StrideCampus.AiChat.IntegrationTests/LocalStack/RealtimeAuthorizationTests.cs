using System.Net;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// Realtime Authorization (private channels) on the wire: the join reply, dropped broadcasts, refused
/// presence, separation from public channels and the re-check on a new token, as Supabase Realtime does them.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeAuthorizationTests(LocalStackFixture fixture)
{
    private static string StreamTopic(Guid user) => "ai-chat-stream:" + user.ToString("D");

    private static object JoinPayload(string token, bool isPrivate = true, bool ack = false, bool self = false) => new
    {
        config = new { broadcast = new { ack, self }, presence = new { key = "" }, postgres_changes = Array.Empty<object>(), @private = isPrivate },
        access_token = token,
    };

    private static object Broadcast(string text) => new { type = "broadcast", @event = "token", payload = new { text } };

    private async Task<PhoenixTestSocket> ConnectAsync() => await PhoenixTestSocket.ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);

    /// <summary>Joins and returns the reply's payload.</summary>
    private static async Task<JsonElement> JoinAsync(PhoenixTestSocket socket, string topic, object payload, string joinRef = "1")
    {
        await socket.PushAsync(joinRef, joinRef, "realtime:" + topic, "phx_join", payload);
        return Parts(await socket.WaitForReplyAsync(joinRef)).Payload;
    }

    private static async Task JoinOkAsync(PhoenixTestSocket socket, string topic, object payload, string joinRef = "1")
    {
        var reply = await JoinAsync(socket, topic, payload, joinRef);
        Assert.True(reply.GetProperty("status").GetString() == "ok", "join of " + topic + " refused: " + reply.GetRawText());
    }

    /// <summary>A heartbeat round trip: every frame the server sent before its reply has arrived.</summary>
    private static async Task RoundTripAsync(PhoenixTestSocket socket, string @ref)
    {
        await socket.PushAsync(null, @ref, "phoenix", "heartbeat", new { });
        await socket.WaitForReplyAsync(@ref);
    }

    [Fact]
    public async Task Own_stream_topic_joins_and_relays_while_another_user_is_refused_with_the_server_reason()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var topic = StreamTopic(alice);
        await using var first = await ConnectAsync();
        await using var second = await ConnectAsync();
        await using var intruder = await ConnectAsync();

        await JoinOkAsync(first, topic, JoinPayload(RealtimeTestData.Token(stack, alice)));
        await JoinOkAsync(second, topic, JoinPayload(RealtimeTestData.Token(stack, alice), ack: true));

        var refused = await JoinAsync(intruder, topic, JoinPayload(RealtimeTestData.Token(stack, bob)));
        Assert.Equal(
            $$$"""{"status":"error","response":{"reason":"Unauthorized: You do not have permissions to read from this Channel topic: {{{topic}}}"}}""",
            refused.GetRawText());
        // Not joined: what the intruder sends on the topic is unmatched, and nothing reaches alice.
        await intruder.PushAsync("1", "2", "realtime:" + topic, "broadcast", Broadcast("from bob"));
        Assert.Equal("unmatched topic", Parts(await intruder.WaitForReplyAsync("2")).Payload.GetProperty("response").GetProperty("reason").GetString());

        await second.PushAsync("1", "3", "realtime:" + topic, "broadcast", Broadcast("hello"));
        Assert.Equal("ok", Parts(await second.WaitForReplyAsync("3")).Payload.GetProperty("status").GetString());
        var relayed = Parts(await first.WaitForEventAsync("broadcast")).Payload;
        Assert.Equal("hello", relayed.GetProperty("payload").GetProperty("text").GetString());
        Assert.DoesNotContain(first.Received, m => Parts(m).Event == "broadcast" && Parts(m).Payload.GetRawText().Contains("from bob", StringComparison.Ordinal));

        // Bob's own stream topic is his.
        await JoinOkAsync(intruder, StreamTopic(bob), JoinPayload(RealtimeTestData.Token(stack, bob)), "4");
    }

    [Fact]
    public async Task A_private_topic_no_policy_allows_is_refused_and_anon_is_refused_the_stream_topic()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var topic = "no-policy-" + Guid.NewGuid().ToString("N");
        await using var socket = await ConnectAsync();

        var refused = await JoinAsync(socket, topic, JoinPayload(RealtimeTestData.Token(stack, user)));
        Assert.Equal("error", refused.GetProperty("status").GetString());
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: " + topic, refused.GetProperty("response").GetProperty("reason").GetString());

        var anon = await JoinAsync(socket, StreamTopic(user), JoinPayload(stack.AnonKey), "2");
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: " + StreamTopic(user), anon.GetProperty("response").GetProperty("reason").GetString());

        // The same name as a public channel needs no policy.
        await JoinOkAsync(socket, topic, JoinPayload(RealtimeTestData.Token(stack, user), isPrivate: false), "3");
    }

    [Fact]
    public async Task Private_and_public_channels_of_one_name_never_hear_each_other()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var token = RealtimeTestData.Token(stack, user);
        var topic = StreamTopic(user);
        await using var privateSocket = await ConnectAsync();
        await using var publicSocket = await ConnectAsync();
        await JoinOkAsync(privateSocket, topic, JoinPayload(token, ack: true));
        await JoinOkAsync(publicSocket, topic, JoinPayload(token, isPrivate: false, ack: true));

        await publicSocket.PushAsync("1", "2", "realtime:" + topic, "broadcast", Broadcast("public"));
        await publicSocket.WaitForReplyAsync("2");
        await privateSocket.PushAsync("1", "2", "realtime:" + topic, "broadcast", Broadcast("private"));
        await privateSocket.WaitForReplyAsync("2");
        await publicSocket.PushAsync("1", "3", "realtime:" + topic, "broadcast", Broadcast("public again"));
        await publicSocket.WaitForReplyAsync("3");

        // Each socket sent with self: false, so anything it receives came from the other kind of channel.
        await RoundTripAsync(privateSocket, "9");
        await RoundTripAsync(publicSocket, "9");
        Assert.DoesNotContain(privateSocket.Received, m => Parts(m).Event == "broadcast");
        Assert.DoesNotContain(publicSocket.Received, m => Parts(m).Event == "broadcast");
    }

    [Fact]
    public async Task Read_without_write_joins_but_its_broadcasts_are_dropped_without_ack_and_presence_is_refused()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var topic = "read-only-" + Guid.NewGuid().ToString("N");
        var policy = "test_read_only_" + Guid.NewGuid().ToString("N");
        await RealtimeTestData.ExecuteAsync(stack, $"create policy \"{policy}\" on realtime.messages for select to authenticated using ((select realtime.topic()) = '{topic}')");
        try
        {
            var token = RealtimeTestData.Token(stack, user);
            await using var reader = await ConnectAsync();
            await using var writer = await ConnectAsync();
            await using var service = await ConnectAsync();
            await JoinOkAsync(reader, topic, JoinPayload(token));
            await JoinOkAsync(writer, topic, JoinPayload(token, ack: true, self: true));
            // service_role bypasses RLS, so it may write where the user may only read.
            await JoinOkAsync(service, topic, JoinPayload(stack.ServiceRoleKey, ack: true));

            await writer.PushAsync("1", "2", "realtime:" + topic, "broadcast", Broadcast("denied"));
            await writer.PushAsync("1", "3", "realtime:" + topic, "presence", new { type = "presence", @event = "track", payload = new { tab = "w" } });
            // Supabase answers a track without permission with a bare error, and never acks a refused broadcast.
            Assert.Equal("""{"status":"error","response":{}}""", Parts(await writer.WaitForReplyAsync("3")).Payload.GetRawText());
            Assert.DoesNotContain(writer.Received, m => Parts(m).Event == "phx_reply" && Parts(m).Ref == "2");
            Assert.DoesNotContain(writer.Received, m => Parts(m).Event == "broadcast");

            await service.PushAsync("1", "2", "realtime:" + topic, "broadcast", Broadcast("allowed"));
            Assert.Equal("ok", Parts(await service.WaitForReplyAsync("2")).Payload.GetProperty("status").GetString());
            var first = Parts(await reader.WaitForEventAsync("broadcast")).Payload;
            Assert.Equal("allowed", first.GetProperty("payload").GetProperty("text").GetString());
        }
        finally
        {
            await RealtimeTestData.ExecuteAsync(stack, $"drop policy if exists \"{policy}\" on realtime.messages");
        }
    }

    [Fact]
    public async Task A_new_token_of_another_user_ends_the_private_channel_with_the_server_message()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var topic = StreamTopic(alice);
        await using var socket = await ConnectAsync();
        await JoinOkAsync(socket, topic, JoinPayload(RealtimeTestData.Token(stack, alice)));

        // A fresh token of the same user keeps the channel.
        await socket.PushAsync("1", "2", "realtime:" + topic, "access_token", new { access_token = RealtimeTestData.Token(stack, alice, TimeSpan.FromHours(2)) });
        await RoundTripAsync(socket, "3");
        Assert.DoesNotContain(socket.Received, m => Parts(m).Event is "system" or "phx_close");

        await socket.PushAsync("1", "4", "realtime:" + topic, "access_token", new { access_token = RealtimeTestData.Token(stack, bob) });
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("error", system.GetProperty("status").GetString());
        Assert.Equal("system", system.GetProperty("extension").GetString());
        Assert.Equal("You do not have permissions to read from this Channel topic: " + topic, system.GetProperty("message").GetString());
        Assert.Equal(topic, system.GetProperty("channel").GetString());
        await socket.WaitForEventAsync("phx_close");
    }

    [Fact]
    public async Task Http_broadcast_to_a_private_topic_needs_write_permission_and_reaches_only_private_channels()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var topic = StreamTopic(alice);
        await using var privateSocket = await ConnectAsync();
        await using var publicSocket = await ConnectAsync();
        await JoinOkAsync(privateSocket, topic, JoinPayload(RealtimeTestData.Token(stack, alice)));
        await JoinOkAsync(publicSocket, topic, JoinPayload(RealtimeTestData.Token(stack, alice), isPrivate: false));
        using var http = new HttpClient { BaseAddress = stack.ApiUrl };

        async Task PostAsync(Guid user, string text)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
            {
                Content = new StringContent(
                    JsonSerializer.Serialize(new { messages = new[] { new { topic, @event = "token", payload = new { text }, @private = true } } }),
                    Encoding.UTF8,
                    "application/json"),
            };
            request.Headers.Add("apikey", stack.AnonKey);
            request.Headers.Authorization = new("Bearer", RealtimeTestData.Token(stack, user));
            // Accepted either way: Supabase drops a refused private message without saying so.
            Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(request)).StatusCode);
        }

        await PostAsync(bob, "from bob");
        await PostAsync(alice, "from alice");
        var got = Parts(await privateSocket.WaitForEventAsync("broadcast")).Payload;
        Assert.Equal("from alice", got.GetProperty("payload").GetProperty("text").GetString());
        await RoundTripAsync(publicSocket, "9");
        Assert.DoesNotContain(publicSocket.Received, m => Parts(m).Event == "broadcast");
    }

    [Fact]
    public async Task A_private_join_after_a_postgres_restart_is_checked_on_a_fresh_connection()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var token = RealtimeTestData.Token(stack, user);
        await using (var before = await ConnectAsync())
        {
            await JoinOkAsync(before, StreamTopic(user), JoinPayload(token));
        }

        await stack.Postgres.StopAsync(immediate: true);
        await stack.Postgres.RestartAsync();
        // This test process's own pooled superuser connections died with the server.
        Npgsql.NpgsqlConnection.ClearAllPools();

        await using var after = await ConnectAsync();
        await JoinOkAsync(after, StreamTopic(user), JoinPayload(token));
    }
}
