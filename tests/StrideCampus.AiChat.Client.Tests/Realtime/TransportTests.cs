using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>The socket comes from <see cref="RealtimeClientOptions.WebSocketFactory"/>; why it ends is typed.</summary>
public class TransportTests
{
    private static RealtimeClientOptions Options(Func<Uri, CancellationToken, Task<WebSocket>> factory) => new()
    {
        Url = new Uri("https://project.example.com"),
        ApiKey = "anon-key",
        HeartbeatInterval = TimeSpan.FromSeconds(30),
        Timeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = _ => TimeSpan.FromMilliseconds(20),
        RejoinDelay = _ => TimeSpan.FromMilliseconds(20),
        WebSocketFactory = factory,
    };

    [Fact]
    public async Task An_in_memory_transport_carries_a_join_broadcasts_and_the_servers_close()
    {
        var endpoints = new ConcurrentQueue<Uri>();
        var servers = new ConcurrentQueue<WebSocket>();
        await using var client = new RealtimeClient(Options((uri, _) =>
        {
            endpoints.Enqueue(uri);
            var (clientSide, serverSide) = InMemoryWebSocket.CreatePair();
            servers.Enqueue(serverSide);
            return Task.FromResult(clientSide);
        }));
        var states = client.ConnectionStates.Record();
        var channel = client.Channel("room");
        var broadcasts = channel.OnBroadcast("hello").Record();

        var subscribe = channel.SubscribeAsync();
        await Eventually.TrueAsync(() => !servers.IsEmpty, "the factory was asked for a socket");
        servers.TryPeek(out var server);
        var join = await ReceiveAsync(server!, "phx_join");
        await SendAsync(server!, join.JoinRef, join.Ref, join.Topic, "phx_reply", "{\"status\":\"ok\",\"response\":{}}");
        await subscribe.WaitAsync(TimeSpan.FromSeconds(10));
        await SendAsync(server!, join.Ref, null, join.Topic, "broadcast", "{\"type\":\"broadcast\",\"event\":\"hello\",\"payload\":{\"n\":1}}");
        await Eventually.TrueAsync(() => broadcasts.Items.Count == 1, "the broadcast arrives");

        await server!.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "go away", CancellationToken.None);
        await Eventually.TrueAsync(() => states.Items.Any(s => s.Disconnection is not null), "the client sees the close");

        var endpoint = Assert.Single(endpoints.Take(1));
        Assert.Equal("wss://project.example.com/realtime/v1/websocket?apikey=anon-key&vsn=2.0.0", endpoint.AbsoluteUri);
        Assert.Equal(1, broadcasts.Items[0].Payload.GetProperty("n").GetInt32());
        var down = states.Items.First(s => s.Disconnection is not null);
        Assert.Equal(ConnectionState.Disconnected, down.State);
        Assert.Equal(DisconnectReason.ServerClosed, down.Disconnection!.Reason);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, down.Disconnection.CloseStatus);
        Assert.Equal("server closed (1008)", down.Reason);
    }

    [Fact]
    public async Task A_transport_that_throws_is_a_typed_connect_failure_and_is_retried()
    {
        var calls = 0;
        var refused = new IOException("proxy refused");
        await using var client = new RealtimeClient(Options((_, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromException<WebSocket>(refused);
        }));
        var states = client.ConnectionStates.Record();

        var error = await Assert.ThrowsAsync<RealtimeException>(() => client.ConnectAsync());
        await Eventually.TrueAsync(() => Volatile.Read(ref calls) >= 2, "the client retries");

        Assert.Same(refused, error.InnerException);
        var failed = states.Items.First(s => s.Disconnection is not null);
        Assert.Equal(DisconnectReason.ConnectFailed, failed.Disconnection!.Reason);
        Assert.Same(refused, failed.Disconnection.Error);
        Assert.Equal("connect failed", failed.Reason);
    }

    [Fact]
    public async Task A_transport_that_never_opens_is_cancelled_at_the_timeout()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Options(async (_, cancellationToken) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                cancelled.TrySetResult();
            }

            throw new InvalidOperationException("unreachable");
        });
        options.Timeout = TimeSpan.FromMilliseconds(200);
        await using var client = new RealtimeClient(options);
        var states = client.ConnectionStates.Record();

        var error = await Assert.ThrowsAsync<RealtimeException>(() => client.ConnectAsync());

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal(DisconnectReason.ConnectTimeout, states.Items.First(s => s.Disconnection is not null).Disconnection!.Reason);
    }

    private static async Task<ServerFrame> ReceiveAsync(WebSocket server, string @event)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await server.ReceiveAsync(buffer.AsMemory(count), timeout.Token);
                count += result.Count;
            }
            while (!result.EndOfMessage);

            var frame = ServerFrame.Parse(buffer.AsSpan(0, count).ToArray(), result.MessageType == WebSocketMessageType.Binary);
            if (frame.Event == @event)
            {
                return frame;
            }
        }
    }

    private static Task SendAsync(WebSocket server, string? joinRef, string? @ref, string topic, string @event, string payload) =>
        server.SendAsync(
            Encoding.UTF8.GetBytes($"[{ServerFrame.JsonEncode(joinRef)},{ServerFrame.JsonEncode(@ref)},{ServerFrame.JsonEncode(topic)},{ServerFrame.JsonEncode(@event)},{payload}]"),
            WebSocketMessageType.Text,
            endOfMessage: true,
            CancellationToken.None);
}
