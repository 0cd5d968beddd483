using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>
/// When a channel says changes flow, and what it does when the server ends it: the facts of supabase/realtime
/// <c>lib/realtime_web/channels/realtime_channel.ex</c> (<c>handle_info(:postgres_subscribe)</c> after the join reply,
/// <c>shutdown_response</c>: a <c>system</c> error, then <c>phx_close</c>). Timing runs on virtual time.
/// </summary>
public sealed class ChannelFlowTests : RealtimeTestBase
{
    private const string Confirmed = "{\"extension\":\"postgres_changes\",\"status\":\"ok\",\"message\":\"Subscribed to PostgreSQL\",\"channel\":\"db\"}";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    private RealtimeClient NewVirtualClient(Action<RealtimeClientOptions>? configure = null) => NewClient(o =>
    {
        o.TimeProvider = _time;
        o.HeartbeatInterval = TimeSpan.FromHours(1);
        configure?.Invoke(o);
    });

    private static string SystemError(string message) =>
        "{\"extension\":\"system\",\"status\":\"error\",\"message\":" + ServerFrame.JsonEncode(message) + ",\"channel\":\"db\"}";

    /// <summary>Joins with one binding; returns once a change pushed after the reply went through (so the reply was handled).</summary>
    private async Task<(FakeConnection Connection, ServerFrame Join, Task Subscribe, Recorder<PostgresChangeEvent> Changes)> JoinUnconfirmedAsync(RealtimeChannel channel)
    {
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")).Record();
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(join, "ok", JoinResponse((7, "*", "t", null)));
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "t", "early", 7));
        await changes.WaitCountAsync(1);
        return (connection, join, subscribe, changes);
    }

    [Fact]
    public async Task Subscribed_waits_for_Subscribed_to_PostgreSQL_after_the_join_reply()
    {
        var client = NewClient();
        var channel = client.Channel("db");
        var statuses = channel.Statuses.Record();
        var (connection, join, subscribe, _) = await JoinUnconfirmedAsync(channel);

        // Joined (pushes flow), but the database subscription is not registered yet: not Subscribed.
        Assert.False(subscribe.IsCompleted);
        Assert.Empty(statuses.Items);
        Assert.Equal(ChannelState.Joined, channel.State);

        await connection.PushAsync(join, "system", Confirmed);
        await subscribe.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ChannelStatusChange(SubscribeStatus.Subscribed, "joined"), Assert.Single(statuses.Items));
    }

    [Fact]
    public async Task Without_a_confirmation_Subscribed_comes_after_the_timeout_and_again_when_it_arrives()
    {
        var client = NewVirtualClient(o => o.PostgresChangesConfirmTimeout = TimeSpan.FromSeconds(10));
        var channel = client.Channel("db");
        var statuses = channel.Statuses.Record();
        var (connection, join, subscribe, _) = await JoinUnconfirmedAsync(channel);

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        Assert.False(subscribe.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await subscribe.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ChannelStatusChange(SubscribeStatus.Subscribed, "postgres_changes not confirmed in time"), Assert.Single(statuses.Items));

        // The late confirmation: changes committed between the load and now may be missing, so Subscribed again.
        await connection.PushAsync(join, "system", Confirmed);
        await statuses.WaitCountAsync(2);
        Assert.Equal(new ChannelStatusChange(SubscribeStatus.Subscribed, "postgres_changes resubscribed"), statuses.Items[1]);
    }

    [Fact]
    public async Task Every_later_Subscribed_to_PostgreSQL_on_the_same_join_reports_Subscribed_again()
    {
        var client = NewClient();
        var channel = client.Channel("db");
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t"));
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((7, "*", "t", null)));

        // A change-capture restart on the server (postgres_cdc_rls_down) subscribes again with no phx_error.
        await connection.PushAsync(join, "system", Confirmed);
        await connection.PushAsync(join, "system", Confirmed);
        await statuses.WaitCountAsync(3);
        Assert.All(statuses.Items, s => Assert.Equal(SubscribeStatus.Subscribed, s.Status));
        Assert.Equal(["joined", "postgres_changes resubscribed", "postgres_changes resubscribed"], statuses.Items.Select(s => s.Reason));
    }

    [Fact]
    public async Task A_channel_closed_for_too_many_messages_rejoins_no_sooner_than_the_rate_limit_floor()
    {
        var client = NewVirtualClient(o => o.RejoinDelay = _ => TimeSpan.FromSeconds(1));
        var channel = client.Channel("db");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);

        await connection.PushAsync(join, "system", SystemError("Too many messages per second"));
        await connection.PushAsync(join, "phx_close", "{}");
        await statuses.WaitForAsync(s => s[^1].Reason == "Too many messages per second" && s[^1].Status == SubscribeStatus.ChannelError, "errored with the server's reason");
        // The system error is reported first; the channel is Errored once the phx_close after it is read.
        await Eventually.TrueAsync(() => channel.State == ChannelState.Errored, "the channel errored on phx_close");

        _time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ChannelState.Errored, channel.State); // the usual 1 s backoff is not enough after a rate limit
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var rejoin = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(rejoin, "ok");
        await statuses.WaitForAsync(s => s[^1] == new ChannelStatusChange(SubscribeStatus.Subscribed, "rejoined"), "rejoined");
        Assert.DoesNotContain(statuses.Items, s => s.Status == SubscribeStatus.Closed);
    }

    [Fact]
    public async Task A_join_refused_for_too_many_joins_is_retried_no_sooner_than_the_rate_limit_floor()
    {
        var client = NewVirtualClient(o => o.RejoinDelay = _ => TimeSpan.FromSeconds(1));
        var channel = client.Channel("db");
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(join, "error", "{\"reason\":\"ClientJoinRateLimitReached: Too many joins per second\"}");
        await Assert.ThrowsAsync<RealtimeException>(() => subscribe.WaitAsync(TimeSpan.FromSeconds(10)));

        _time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ChannelState.Errored, channel.State);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var rejoin = await connection.ExpectAsync("phx_join");
        Assert.NotEqual(join.Ref, rejoin.Ref);
    }

    [Fact]
    public async Task A_channel_closed_for_a_transient_reason_rejoins_with_the_usual_backoff()
    {
        var client = NewVirtualClient(o => o.RejoinDelay = _ => TimeSpan.FromSeconds(1));
        var channel = client.Channel("db");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);

        await connection.PushAsync(join, "system", SystemError("Realtime was unable to connect to the project database"));
        await connection.PushAsync(join, "phx_close", "{}");
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.ChannelError && s[^1].Reason == "Realtime was unable to connect to the project database", "errored");
        _time.Advance(TimeSpan.FromSeconds(1));
        var rejoin = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(rejoin, "ok");
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.Subscribed, "rejoined");
    }

    [Fact]
    public async Task The_rejoin_delay_policy_is_app_code_and_is_asked_with_no_channel_lock_held()
    {
        // RealtimeClientOptions.RejoinDelay is the app's delegate: like an observer, it must never run under the
        // channel's gate (docs/ARCHITECTURE.md, concurrency rules). Asked after a server close and after a refused join.
        RealtimeChannel? channel = null;
        var heldWhenAsked = new List<bool>();
        var client = NewVirtualClient(o => o.RejoinDelay = _ =>
        {
            lock (heldWhenAsked)
            {
                heldWhenAsked.Add(Monitor.IsEntered(GateOf(channel!)));
            }

            return TimeSpan.FromSeconds(1);
        });
        channel = client.Channel("db");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);

        await connection.PushAsync(join, "phx_close", "{}");
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.ChannelError, "errored on the server's close");
        _time.Advance(TimeSpan.FromSeconds(1));
        var rejoin = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(rejoin, "error", "{\"reason\":\"Realtime was unable to connect to the project database\"}");
        await statuses.WaitCountAsync(3); // joined, closed, refused
        _time.Advance(TimeSpan.FromSeconds(1));
        await connection.ExpectAsync("phx_join");

        lock (heldWhenAsked)
        {
            Assert.Equal([false, false], heldWhenAsked);
        }

        static object GateOf(RealtimeChannel channel)
        {
            var engine = typeof(RealtimeChannel).GetField("_engine", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(channel)!;
            return engine.GetType().GetField("_gate", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(engine)!;
        }
    }

    [Theory]
    [InlineData("You no longer have permission to read from this Channel topic: db")]
    [InlineData("You do not have permissions to read from this Channel topic: db")]
    public async Task A_permission_refusal_closes_the_channel_for_good_with_the_servers_reason(string reason)
    {
        var client = NewVirtualClient(o => o.RejoinDelay = _ => TimeSpan.FromSeconds(1));
        var channel = client.Channel("db");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);

        await connection.PushAsync(join, "system", SystemError(reason));
        await connection.PushAsync(join, "phx_close", "{}");
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.Closed, "closed");
        var closed = statuses.Items[^1];
        Assert.Equal(reason, closed.Reason);
        Assert.True(Assert.IsType<RealtimeException>(closed.Error).IsPermissionRefusal);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(ChannelState.Closed, channel.State);
        Assert.DoesNotContain(connection.All, f => f.Event == "phx_join" && f.Ref != join.Ref);
    }

    [Fact]
    public async Task A_PrivateOnly_join_refusal_stops_the_channel()
    {
        var client = NewVirtualClient(o => o.RejoinDelay = _ => TimeSpan.FromSeconds(1));
        var channel = client.Channel("db");
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(join, "error", "{\"reason\":\"PrivateOnly: This project only allows private channels\"}");

        var error = await Assert.ThrowsAsync<RealtimeException>(() => subscribe.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(error.IsPermissionRefusal);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.DoesNotContain(connection.All, f => f.Event == "phx_join" && f.Ref != join.Ref);
    }

    [Fact]
    public async Task The_chat_connection_status_carries_a_permission_refusal_with_the_servers_reason()
    {
        var client = NewClient();
        var feed = new RealtimeChatChangeFeed(client, Guid.NewGuid(), null, null);
        var statuses = feed.Status.Record();
        var start = feed.StartAsync(CancellationToken.None);
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        var bindings = join.Payload.GetProperty("config").GetProperty("postgres_changes").EnumerateArray().ToList();
        await AcceptJoinAsync(connection, join, JoinResponse([.. bindings.Select((b, i) => ((long)(100 + i), b.GetProperty("event").GetString()!, b.GetProperty("table").GetString()!, b.GetProperty("filter").GetString()))]));
        await start.WaitAsync(TimeSpan.FromSeconds(10));

        const string Reason = "You no longer have permission to read from this Channel topic: x";
        await connection.PushAsync(join, "system", SystemError(Reason));
        await connection.PushAsync(join, "phx_close", "{}");
        await statuses.WaitForAsync(s => s[^1].State == ChatConnectionState.Disconnected, "disconnected");
        Assert.Equal(Reason, statuses.Items[^1].Reason);
        Assert.True(Assert.IsType<RealtimeException>(statuses.Items[^1].Error).IsPermissionRefusal);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task A_heartbeat_reply_is_awaited_for_a_whole_interval()
    {
        // phoenix socket.js sendHeartbeat arms heartbeatTimeoutTimer for heartbeatIntervalMs (supabase/phoenix, which
        // realtime-js uses): a reply 20 s late, within the 25 s interval, keeps the socket.
        Server.AutoHeartbeat = false;
        var client = NewVirtualClient(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(25);
            o.Timeout = TimeSpan.FromSeconds(10);
        });
        var states = client.ConnectionStates.Record();
        await client.ConnectAsync();
        var connection = await Server.AcceptAsync();

        _time.Advance(TimeSpan.FromSeconds(25));
        await Eventually.TrueAsync(() => connection.Heartbeats == 1, "the first heartbeat");
        _time.Advance(TimeSpan.FromSeconds(20));
        await connection.ReplyAsync(connection.All.First(f => f.Event == "heartbeat"), "ok");
        await Eventually.TrueAsync(() => client.PendingHeartbeatAnswered, "the reply is read");
        _time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => connection.Heartbeats == 2, "the next heartbeat, on the same socket");
        Assert.DoesNotContain(states.Items, s => s.Reason == "heartbeat timeout");

        // Unanswered, the next one is due 25 s later: then the socket is dead.
        _time.Advance(TimeSpan.FromSeconds(25));
        await states.WaitForAsync(s => s.Any(x => x.Reason == "heartbeat timeout"), "heartbeat timeout");
        Assert.Equal(1, Server.ConnectionCount);
    }
}
