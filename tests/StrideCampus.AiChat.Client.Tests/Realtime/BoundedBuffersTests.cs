using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>Issue 13 point 11: what a server (or its absence) can make the client hold or wait for is bounded.</summary>
public sealed class BoundedBuffersTests : RealtimeTestBase
{
    [Fact]
    public async Task SubscribeAsync_without_a_token_gives_up_after_the_timeout_while_the_socket_cannot_connect()
    {
        // A loopback port nobody listens on: every connect is refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = NewClient(o =>
        {
            o.Url = new Uri($"http://127.0.0.1:{port}");
            o.Timeout = TimeSpan.FromMilliseconds(300);
        });
        var channel = client.Channel("unreachable");

        var failure = await Assert.ThrowsAsync<RealtimeException>(() => channel.SubscribeAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal(SubscribeStatus.TimedOut, failure.SubscribeStatus);
        Assert.Contains("did not connect", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_default_options_a_frame_past_Supabases_3_MB_closes_the_socket()
    {
        var client = NewClient();
        var reasons = new ConcurrentQueue<string?>();
        using var watch = client.ConnectionStates.Subscribe(s => reasons.Enqueue(s.Reason));
        var channel = client.Channel("big");
        var (connection, join) = await SubscribeAsync(channel);

        // 3.5 MB: more than Supabase ever sends (a payload is at most 3,000 KB), less than the pool's 4 MiB buffer.
        try
        {
            await connection.SendAsync(join.Ref, null, join.Topic, "huge", "{\"x\":\"" + new string('h', 3_500_000) + "\"}");
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            // The client may close the socket before the fake server has written the whole frame: that is the point.
        }

        await Eventually.TrueAsync(() => reasons.Contains("message too big"), "the client closes on the oversized frame");
    }

    [Fact]
    public async Task Pushes_waiting_for_the_join_are_bounded_in_bytes()
    {
        var client = NewClient(o => o.PushBufferByteLimit = 2 * 1024 * 1024);
        var channel = client.Channel("never-joined");
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        await connection.ExpectAsync("phx_join"); // never answered: pushes wait in the channel's buffer
        var payload = JsonDocument.Parse("{\"text\":\"" + new string('p', 900 * 1024) + "\"}").RootElement;

        var first = channel.SendBroadcastAsync("token", payload);
        var second = channel.SendBroadcastAsync("token", payload);
        var refused = await Assert.ThrowsAsync<RealtimeException>(() => channel.SendBroadcastAsync("token", payload));

        Assert.Contains("push buffer is full", refused.Message, StringComparison.Ordinal);
        Assert.False(first.IsCompleted || second.IsCompleted);
        _ = subscribe;
    }

    [Fact]
    public void Frames_queued_while_the_socket_is_down_are_bounded_in_bytes()
    {
        var client = NewClient(o => o.SendBufferByteLimit = 3 * 1024 * 1024);
        var frame = new OutgoingFrame(new byte[1024 * 1024], false, "realtime:t", "broadcast");

        Assert.True(client.Enqueue(frame));
        Assert.True(client.Enqueue(frame));
        Assert.True(client.Enqueue(frame));
        Assert.False(client.Enqueue(frame));
    }

    [Fact]
    public void Presence_diffs_held_before_the_state_are_bounded_in_size()
    {
        var tracker = new PresenceTracker();
        tracker.Reset();
        var meta = new string('m', 300 * 1024);
        for (var i = 0; i < 10; i++)
        {
            Assert.Null(tracker.ApplyDiff(JsonDocument.Parse("{\"joins\":{\"u" + i + "\":{\"metas\":[{\"phx_ref\":\"r" + i + "\",\"m\":\"" + meta + "\"}]}},\"leaves\":{}}").RootElement));
        }

        var snapshots = tracker.ApplyState(JsonDocument.Parse("{}").RootElement);

        // The state plus the diffs that fit in 1 MiB of JSON (3 of 300 KB), not all ten.
        Assert.Equal(1 + 3, snapshots.Count);
    }
}
