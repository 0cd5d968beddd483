using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

[Collection(LocalStackCollection.Name)]
public sealed class RealtimeProtocolTests(LocalStackFixture fixture)
{
    [Theory]
    [InlineData("2.0.0")]
    [InlineData("1.0.0")]
    public async Task Heartbeat_is_answered_with_an_ok_reply(string vsn)
    {
        await using var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey, vsn);
        await socket.PushAsync(null, "7", "phoenix", "heartbeat", new { });
        var reply = await socket.WaitForReplyAsync("7");
        var (joinRef, _, topic, _, payload) = Parts(reply);
        Assert.Null(joinRef);
        Assert.Equal("phoenix", topic);
        Assert.Equal("""{"status":"ok","response":{}}""", payload.GetRawText());
        if (vsn == "2.0.0")
        {
            Assert.Equal("""[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]""", reply.GetRawText());
        }
        else
        {
            Assert.Equal(JsonValueKind.Object, reply.ValueKind);
        }
    }

    [Fact]
    public async Task Upgrade_with_a_bad_or_missing_api_key_is_refused_with_401()
    {
        var forged = new StrideCampus.AiChat.LocalStack.Auth.JwtService(new string('x', 40)).CreateApiKey("anon");
        foreach (var key in new[] { forged, "not-a-jwt" })
        {
            using var ws = new ClientWebSocket();
            ws.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(Url(fixture.Stack.ApiUrl, key, "2.0.0"), CancellationToken.None));
            Assert.Equal(HttpStatusCode.Unauthorized, ws.HttpStatusCode);
        }
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiUrl };
        var response = await http.GetAsync(new Uri("/realtime/v1/websocket?vsn=2.0.0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"API key is missing"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Join_with_an_expired_or_forged_token_gets_Supabase_error_replies()
    {
        var user = Guid.NewGuid();
        await using var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        var expired = RealtimeTestData.Token(fixture.Stack, user, TimeSpan.FromSeconds(-30));
        await socket.PushAsync("1", "1", "realtime:room", "phx_join", new { config = new { }, access_token = expired });
        var (_, _, _, _, payload) = Parts(await socket.WaitForReplyAsync("1"));
        Assert.Equal("error", payload.GetProperty("status").GetString());
        Assert.Matches("^InvalidJWTToken: Token has expired (3[0-9]) seconds ago$", payload.GetProperty("response").GetProperty("reason").GetString());

        var forged = new StrideCampus.AiChat.LocalStack.Auth.JwtService(new string('y', 40)).Create(new Dictionary<string, object>
        {
            ["sub"] = user.ToString(), ["role"] = "authenticated", ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        });
        await socket.PushAsync("2", "2", "realtime:room", "phx_join", new { config = new { }, access_token = forged });
        (_, _, _, _, payload) = Parts(await socket.WaitForReplyAsync("2"));
        Assert.Equal("""{"status":"error","response":{"reason":"JwtSignatureError: Failed to validate JWT signature"}}""", payload.GetRawText());

        await socket.PushAsync("3", "3", "realtime:room", "phx_join", new { config = new { }, access_token = "garbage" });
        (_, _, _, _, payload) = Parts(await socket.WaitForReplyAsync("3"));
        Assert.Equal("MalformedJWT: The token provided is not a valid JWT", payload.GetProperty("response").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Serializer_1_0_0_joins_and_receives_broadcasts_as_objects()
    {
        await using var a = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey, "1.0.0");
        await using var b = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey, "2.0.0");
        var config = new { config = new { broadcast = new { ack = true, self = false }, presence = new { key = "", enabled = false }, postgres_changes = Array.Empty<object>(), @private = false } };
        await a.PushAsync("1", "1", "realtime:v1room", "phx_join", config);
        var join = await a.WaitForReplyAsync("1");
        Assert.Equal("""{"topic":"realtime:v1room","event":"phx_reply","payload":{"status":"ok","response":{"postgres_changes":[]}},"ref":"1","join_ref":"1"}""", join.GetRawText());
        await b.PushAsync("1", "1", "realtime:v1room", "phx_join", config);
        await b.WaitForReplyAsync("1");

        // JSON broadcast from the 2.0.0 client arrives at the 1.0.0 client; the sender gets its ack only.
        await b.PushAsync("1", "2", "realtime:v1room", "broadcast", new { type = "broadcast", @event = "hello", payload = new { n = 1 } });
        await b.WaitForReplyAsync("2");
        var got = await a.WaitForEventAsync("broadcast");
        Assert.Equal("""{"topic":"realtime:v1room","event":"broadcast","payload":{"type":"broadcast","event":"hello","payload":{"n":1}},"ref":null,"join_ref":null}""", got.GetRawText());

        // A binary (kind 3) JSON user broadcast reaches the 1.0.0 client as JSON.
        await b.SendBinaryAsync(BinaryPush("1", "3", "realtime:v1room", "bin", """{"x":true}"""));
        await b.WaitForReplyAsync("3");
        got = await a.WaitForEventAsync("broadcast");
        Assert.Equal("""{"event":"bin","payload":{"x":true},"type":"broadcast"}""", Parts(got).Payload.GetRawText());

        await a.PushAsync("1", "4", "realtime:v1room", "phx_leave", new { });
        Assert.Equal("ok", Parts(await a.WaitForReplyAsync("4")).Payload.GetProperty("status").GetString());
        await a.WaitForEventAsync("phx_close");
    }

    [Fact]
    public async Task Binary_user_broadcast_is_relayed_as_kind_4()
    {
        await using var a = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await using var b = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        foreach (var s in new[] { a, b })
        {
            await s.PushAsync("1", "1", "realtime:binroom", "phx_join", new { config = new { broadcast = new { self = false } } });
            await s.WaitForReplyAsync("1");
        }
        await a.SendBinaryAsync(BinaryPush("1", "2", "realtime:binroom", "ev", """{"a":1}"""));
        var frame = await b.WaitForAsync(m => m.ValueKind == JsonValueKind.String);
        var bytes = Convert.FromBase64String(frame.GetString()!);
        var topic = "realtime:binroom"u8.ToArray();
        var expected = new byte[] { 4, (byte)topic.Length, 2, 0, 1 }.Concat(topic).Concat("ev"u8.ToArray()).Concat("""{"a":1}"""u8.ToArray()).ToArray();
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public async Task Expired_access_token_ends_the_channel_with_a_system_error_and_phx_close()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:tok", "phx_join", new { config = new { }, access_token = RealtimeTestData.Token(fixture.Stack, user) });
        await socket.WaitForReplyAsync("1");
        await socket.PushAsync("1", "2", "realtime:tok", "access_token", new { access_token = RealtimeTestData.Token(fixture.Stack, user, TimeSpan.FromSeconds(-5)) });
        var system = await socket.WaitForEventAsync("system");
        var payload = Parts(system).Payload;
        Assert.Equal("error", payload.GetProperty("status").GetString());
        Assert.Equal("system", payload.GetProperty("extension").GetString());
        Assert.StartsWith("Token has expired", payload.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("tok", payload.GetProperty("channel").GetString());
        var close = await socket.WaitForEventAsync("phx_close");
        Assert.Equal("1", Parts(close).JoinRef);
        await socket.PushAsync("1", "3", "realtime:tok", "broadcast", new { type = "broadcast", @event = "x", payload = new { } });
        Assert.Equal("unmatched topic", Parts(await socket.WaitForReplyAsync("3")).Payload.GetProperty("response").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Socket_without_heartbeats_is_closed_after_the_timeout()
    {
        var options = fixture.Stack.Services.GetRequiredService<RealtimeService>().Options;
        var previous = options.HeartbeatTimeout;
        options.HeartbeatTimeout = TimeSpan.FromMilliseconds(600);
        PhoenixTestSocket socket;
        try
        {
            socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        }
        finally
        {
            options.HeartbeatTimeout = previous;
        }
        await using (socket)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Null(await socket.ReceiveAsync(cts.Token));
        }
    }

    private static byte[] BinaryPush(string joinRef, string @ref, string topic, string @event, string json)
    {
        var parts = new[] { joinRef, @ref, topic, @event }.Select(Encoding.UTF8.GetBytes).ToArray();
        var header = new byte[] { 3, (byte)parts[0].Length, (byte)parts[1].Length, (byte)parts[2].Length, (byte)parts[3].Length, 0, 1 };
        return header.Concat(parts.SelectMany(p => p)).Concat(Encoding.UTF8.GetBytes(json)).ToArray();
    }
}
