using System.Net;
using System.Net.Sockets;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class RealtimeConnectionTests : RealtimeTestBase
{
    [Fact]
    public async Task Heartbeats_are_sent_on_the_phoenix_topic()
    {
        var client = NewClient(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(150));
        await client.ConnectAsync();
        var connection = await Server.AcceptAsync();
        await Eventually.TrueAsync(() => connection.Heartbeats >= 3, "three heartbeats");
        var heartbeat = connection.All.First(f => f.Event == "heartbeat");
        Assert.Equal("phoenix", heartbeat.Topic);
        Assert.Null(heartbeat.JoinRef);
        Assert.Equal($"[null,\"{heartbeat.Ref}\",\"phoenix\",\"heartbeat\",{{}}]", heartbeat.Text);
        Assert.Equal(1, Server.ConnectionCount);
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task A_missed_heartbeat_reply_errors_channels_reconnects_and_rejoins()
    {
        Server.AutoHeartbeat = false;
        var client = NewClient(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
            // Long enough that the second connection's replies are never late on a loaded machine (it failed once
            // at 200 ms: that connection timed out too and closed under the test).
            o.Timeout = TimeSpan.FromSeconds(1);
        });
        var states = client.ConnectionStates.Record();
        var channel = client.Channel("db");
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")).Record();
        var statuses = channel.Statuses.Record();
        var (first, _) = await SubscribeAsync(channel, JoinResponse((5, "*", "t", null)));
        Server.AutoHeartbeat = true;

        var second = await Server.AcceptAsync();
        await states.WaitForAsync(s => s.Any(x => x.State == ConnectionState.Disconnected && x.Reason == "heartbeat timeout"), "heartbeat timeout");
        Assert.Contains(statuses.Items, s => s.Status == SubscribeStatus.ChannelError && s.Reason == "heartbeat timeout");
        await first.Closed.WaitAsync(TimeSpan.FromSeconds(5));

        var rejoin = await second.ExpectAsync("phx_join");
        await AcceptJoinAsync(second, rejoin, JoinResponse((6, "*", "t", null)));
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.Subscribed && s[^1].Reason == "rejoined", "rejoined");
        await second.PushAsync(rejoin, "postgres_changes", Change("INSERT", "t", "after", 6));
        await changes.WaitCountAsync(1);
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task A_dropped_socket_reconnects_rejoins_and_flushes_pushes_made_meanwhile()
    {
        var attempts = new List<int>();
        var client = NewClient(o => o.ReconnectDelay = n =>
        {
            lock (attempts)
            {
                attempts.Add(n);
            }

            return TimeSpan.FromMilliseconds(300);
        });
        var states = client.ConnectionStates.Record();
        var channel = client.Channel("db");
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")).Record();
        var (first, _) = await SubscribeAsync(channel, JoinResponse((5, "*", "t", null)));

        first.Abort();
        await Eventually.TrueAsync(() => channel.State == ChannelState.Errored, "channel errored");
        var send = channel.SendBroadcastAsync("while-down", Json("{}"));

        var second = await Server.AcceptAsync();
        var rejoin = await second.ExpectAsync("phx_join");
        await AcceptJoinAsync(second, rejoin, JoinResponse((5, "*", "t", null)));
        var flushed = await second.ExpectAsync("broadcast");
        Assert.Equal(rejoin.Ref, flushed.JoinRef);
        await send.WaitAsync(TimeSpan.FromSeconds(5));

        await second.PushAsync(rejoin, "postgres_changes", Change("UPDATE", "t", "x", 5));
        await changes.WaitCountAsync(1);
        lock (attempts)
        {
            Assert.Equal([1], attempts); // the first reconnect after a successful open waits the first step
        }

        var reasons = states.Items.Select(s => $"{s.State}:{s.Reason}").ToList();
        Assert.True(
            reasons.SequenceEqual(["Disconnected:not connected", "Connecting:connecting", "Connected:connected", "Disconnected:server closed", "Connecting:reconnecting", "Connected:connected"]),
            string.Join(", ", reasons));
    }

    [Fact]
    public async Task Reconnect_attempts_follow_the_delay_function_and_reset_after_an_open()
    {
        var attempts = new List<int>();
        var port = FreePort();
        var client = new RealtimeClient(new RealtimeClientOptions
        {
            Url = new Uri($"http://127.0.0.1:{port}"),
            ApiKey = ApiKey,
            ReconnectDelay = n =>
            {
                lock (attempts)
                {
                    attempts.Add(n);
                }

                return TimeSpan.FromMilliseconds(20);
            },
        });
        await using (client)
        {
            await Assert.ThrowsAsync<RealtimeException>(() => client.ConnectAsync());
            await Eventually.TrueAsync(() => { lock (attempts) { return attempts.Count >= 4; } }, "four attempts");
        }

        lock (attempts)
        {
            Assert.Equal([1, 2, 3, 4], attempts.Take(4));
        }
    }

    [Fact]
    public async Task A_token_refresh_pushes_access_token_to_joined_channels_and_updates_the_rejoin_payload()
    {
        var tokens = new StaticAccessTokenProvider("token-one");
        var client = NewClient(tokens: tokens);
        var joined = client.Channel("joined");
        var (connection, join) = await SubscribeAsync(joined);
        var pendingBefore = client.PendingReplyCount;

        tokens.SetToken("token-two");
        var push = await connection.ExpectAsync("access_token");
        Assert.Equal("token-two", push.Payload.GetProperty("access_token").GetString());
        Assert.Equal(join.Ref, push.JoinRef);
        Assert.Equal(join.Topic, push.Topic);
        Assert.Equal(pendingBefore, client.PendingReplyCount);

        await client.SetAuthAsync("token-three");
        push = await connection.ExpectAsync("access_token");
        Assert.Equal("token-three", push.Payload.GetProperty("access_token").GetString());

        tokens.SetToken("token-four");
        await connection.ExpectAsync("access_token");
        connection.Abort();
        var second = await Server.AcceptAsync();
        var rejoin = await second.ExpectAsync("phx_join");
        Assert.Equal("token-four", rejoin.Payload.GetProperty("access_token").GetString());
        await second.ReplyAsync(rejoin, "ok");
        await Eventually.TrueAsync(() => joined.State == ChannelState.Joined, "rejoined");
        Assert.Equal(0, client.PendingReplyCount);

        Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains(ApiKey, StringComparison.Ordinal) || e.Message.Contains("token-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_channel_closed_over_an_expired_token_rejoins_with_a_refreshed_token()
    {
        var tokens = new RefreshingTokenProvider("old-token", () => "new-token");
        var client = NewClient(tokens: tokens);
        var channel = client.Channel("room");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);
        Assert.Equal("old-token", join.Payload.GetProperty("access_token").GetString());

        await connection.PushAsync(join, "system", "{\"status\":\"error\",\"message\":\"Token has expired 0 seconds ago\",\"extension\":\"system\"}");
        await connection.PushAsync(join, "phx_close", "{}");
        var rejoin = await connection.ExpectAsync("phx_join");
        Assert.Equal("new-token", rejoin.Payload.GetProperty("access_token").GetString());
        await connection.ReplyAsync(rejoin, "ok");
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.Subscribed && s[^1].Reason == "rejoined", "rejoined");
        Assert.Equal(1, tokens.Refreshes);
        Assert.DoesNotContain(statuses.Items, s => s.Status == SubscribeStatus.Closed);
    }

    [Fact]
    public async Task Dispose_leaves_completes_streams_and_closes_the_socket()
    {
        var client = NewClient();
        var states = client.ConnectionStates.Record();
        var channel = client.Channel("room");
        var statuses = channel.Statuses.Record();
        var broadcasts = channel.OnBroadcast("*").Record();
        var (connection, _) = await SubscribeAsync(channel);

        await client.DisposeAsync();
        await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains(connection.All, f => f.Event == "phx_leave");
        Assert.True(states.Completed);
        Assert.Equal(ConnectionState.Disconnected, states.Items[^1].State);
        Assert.Equal(DisconnectReason.Disposed, states.Items[^1].Disconnection?.Reason);
        Assert.Equal("disposed", states.Items[^1].Reason);
        Assert.True(statuses.Completed);
        Assert.True(broadcasts.Completed);
        Assert.Equal(0, client.PendingReplyCount);
        Assert.Equal(ConnectionState.Disconnected, client.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => channel.SubscribeAsync());
        Assert.Throws<ObjectDisposedException>(() => client.Channel("again"));

        var late = client.ConnectionStates.Record();
        Assert.True(late.Completed);
    }

    [Fact]
    public async Task Disconnect_closes_cleanly_and_connect_rejoins_the_channels()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var (connection, _) = await SubscribeAsync(channel);
        await client.DisconnectAsync();
        await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ConnectionState.Disconnected, client.State);
        Assert.Equal(ChannelState.Errored, channel.State);
        await Task.Delay(200);
        Assert.Equal(1, Server.ConnectionCount);

        await client.ConnectAsync();
        var second = await Server.AcceptAsync();
        var rejoin = await second.ExpectAsync("phx_join");
        await second.ReplyAsync(rejoin, "ok");
        await Eventually.TrueAsync(() => channel.State == ChannelState.Joined, "rejoined");
    }

    [Fact]
    public async Task Creating_and_disposing_many_clients_leaves_no_connection_behind()
    {
        for (var i = 0; i < 20; i++)
        {
            var client = NewClient();
            var channel = client.Channel("room" + i);
            await SubscribeAsync(channel);
            await client.DisposeAsync();
        }

        Assert.Equal(20, Server.ConnectionCount);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
