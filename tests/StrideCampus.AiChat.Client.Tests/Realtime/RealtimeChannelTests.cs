using System.Text;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class RealtimeChannelTests : RealtimeTestBase
{
    [Fact]
    public async Task Connects_with_apikey_and_vsn_and_replays_the_current_state()
    {
        var client = NewClient();
        await client.ConnectAsync();
        var connection = await Server.AcceptAsync();
        Assert.Equal(ApiKey, connection.Query["apikey"]);
        Assert.Equal("2.0.0", connection.Query["vsn"]);
        var states = client.ConnectionStates.Record();
        var first = Assert.Single(states.Items);
        Assert.Equal(ConnectionState.Connected, first.State);
        Assert.Equal("connected", first.Reason);
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task The_join_carries_config_bindings_and_access_token()
    {
        var client = NewClient(tokens: new StaticAccessTokenProvider("user-jwt"));
        var channel = client.Channel("room", new RealtimeChannelOptions { BroadcastSelf = true, PresenceKey = "k" });
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", "ai_chat_messages", "session_id=eq.42"));
        var (_, join) = await SubscribeAsync(channel, JoinResponse((7, "INSERT", "ai_chat_messages", "session_id=eq.42")));

        Assert.Equal("realtime:room", join.Topic);
        Assert.Equal(join.Ref, join.JoinRef);
        var config = join.Payload.GetProperty("config");
        Assert.True(config.GetProperty("broadcast").GetProperty("self").GetBoolean());
        Assert.False(config.GetProperty("broadcast").GetProperty("ack").GetBoolean());
        Assert.Equal("k", config.GetProperty("presence").GetProperty("key").GetString());
        Assert.False(config.GetProperty("private").GetBoolean());
        var binding = Assert.Single(config.GetProperty("postgres_changes").EnumerateArray());
        Assert.Equal("INSERT", binding.GetProperty("event").GetString());
        Assert.Equal("public", binding.GetProperty("schema").GetString());
        Assert.Equal("ai_chat_messages", binding.GetProperty("table").GetString());
        Assert.Equal("session_id=eq.42", binding.GetProperty("filter").GetString());
        Assert.Equal("user-jwt", join.Payload.GetProperty("access_token").GetString());
        Assert.Equal(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task Changes_are_routed_to_the_bindings_whose_server_id_is_in_ids()
    {
        var client = NewClient();
        var channel = client.Channel("db");
        var sessions = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_sessions")).Record();
        var messages = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", "ai_chat_messages")).Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((11, "*", "ai_chat_sessions", null), (22, "INSERT", "ai_chat_messages", null)));

        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", "m1", 22));
        await connection.PushAsync(join, "postgres_changes", Change("UPDATE", "ai_chat_sessions", "s1", 11));
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", "m2", 11, 22));
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", "m3", 99));

        await messages.WaitCountAsync(2);
        await sessions.WaitCountAsync(2);
        await Task.Delay(100);
        Assert.Equal(["m1", "m2"], messages.Items.Select(c => c.New!.Value.GetProperty("id").GetString()));
        Assert.Equal(["s1", "m2"], sessions.Items.Select(c => c.New!.Value.GetProperty("id").GetString()));
        Assert.Equal(PostgresChangeType.Update, sessions.Items[0].Type);
    }

    [Fact]
    public async Task A_binding_for_one_event_does_not_receive_other_events_listed_under_its_id()
    {
        // Supabase Realtime before its server-side action filter (2026) listed a binding's id for every change that
        // passed its filter, whatever the event; realtime-js also checks the event type, so must we.
        var client = NewClient();
        var channel = client.Channel("db");
        var inserts = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", "ai_chat_messages")).Record();
        var deletes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Delete, "public", "ai_chat_messages")).Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((22, "INSERT", "ai_chat_messages", null), (33, "DELETE", "ai_chat_messages", null)));

        await connection.PushAsync(join, "postgres_changes", Change("UPDATE", "ai_chat_messages", "m1", 22, 33));
        await connection.PushAsync(join, "postgres_changes", Change("DELETE", "ai_chat_messages", "m2", 22, 33));
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", "m3", 22, 33));

        await inserts.WaitCountAsync(1);
        await deletes.WaitCountAsync(1);
        await Task.Delay(100);
        Assert.Equal(["m3"], inserts.Items.Select(c => c.New!.Value.GetProperty("id").GetString()));
        Assert.Equal(["m2"], deletes.Items.Select(c => c.New!.Value.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_binding_mismatch_is_a_channel_error()
    {
        var client = NewClient();
        var channel = client.Channel("db");
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_sessions"));
        var statuses = channel.Statuses.Record();
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(join, "ok", JoinResponse((1, "*", "other_table", null)));

        var ex = await Assert.ThrowsAsync<RealtimeException>(() => subscribe);
        Assert.Equal(SubscribeStatus.ChannelError, ex.SubscribeStatus);
        Assert.Contains("mismatch", ex.Message, StringComparison.Ordinal);
        var leave = await connection.ExpectAsync("phx_leave");
        Assert.Equal(join.Ref, leave.JoinRef);
        Assert.Equal(SubscribeStatus.ChannelError, Assert.Single(statuses.Items).Status);
        Assert.Equal(ChannelState.Errored, channel.State);
    }

    [Fact]
    public async Task A_refused_join_is_a_channel_error_and_the_channel_rejoins()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var statuses = channel.Statuses.Record();
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(join, "error", "{\"reason\":\"Unauthorized\"}");

        var ex = await Assert.ThrowsAsync<RealtimeException>(() => subscribe);
        Assert.Contains("Unauthorized", ex.Message, StringComparison.Ordinal);

        var rejoin = await connection.ExpectAsync("phx_join");
        Assert.NotEqual(join.Ref, rejoin.Ref);
        await connection.ReplyAsync(rejoin, "ok");
        await statuses.WaitForAsync(s => s.Any(x => x.Status == SubscribeStatus.Subscribed), "subscribed after rejoin");
        Assert.Equal(SubscribeStatus.ChannelError, statuses.Items[0].Status);
        Assert.Equal("Unauthorized", statuses.Items[0].Reason);
        Assert.Equal(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task A_private_channel_refused_by_realtime_authorization_fails_at_once_and_does_not_rejoin_by_itself()
    {
        const string reason = "Unauthorized: You do not have permissions to read from this Channel topic: ai-chat-stream:x";
        var client = NewClient();
        var channel = client.Channel("ai-chat-stream:x", new RealtimeChannelOptions { Private = true });
        var statuses = channel.Statuses.Record();
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        Assert.True(join.Payload.GetProperty("config").GetProperty("private").GetBoolean());
        await connection.ReplyAsync(join, "error", "{\"reason\":\"" + reason + "\"}");

        var ex = await Assert.ThrowsAsync<RealtimeException>(() => subscribe);
        Assert.Equal(SubscribeStatus.ChannelError, ex.SubscribeStatus);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        var status = Assert.Single(statuses.Items);
        Assert.Equal(SubscribeStatus.ChannelError, status.Status);
        Assert.Equal(reason, status.Reason);

        // The rejoin delay is 50 ms here: a retry would have come long before this.
        Assert.Null(await connection.TryReceiveAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(ChannelState.Errored, channel.State);

        // Subscribing again asks the server again (policies may have changed).
        var again = channel.SubscribeAsync();
        var rejoin = await connection.ExpectAsync("phx_join");
        Assert.True(rejoin.Payload.GetProperty("config").GetProperty("private").GetBoolean());
        await connection.ReplyAsync(rejoin, "ok");
        await again;
        Assert.Equal(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task A_join_timeout_reports_timed_out_sends_a_leave_and_rejoins()
    {
        var client = NewClient(o => o.Timeout = TimeSpan.FromMilliseconds(300));
        var channel = client.Channel("room");
        var statuses = channel.Statuses.Record();
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");

        var ex = await Assert.ThrowsAsync<RealtimeException>(() => subscribe);
        Assert.Equal(SubscribeStatus.TimedOut, ex.SubscribeStatus);
        var leave = await connection.ReceiveAsync();
        Assert.Equal("phx_leave", leave.Event);
        Assert.Equal(join.Ref, leave.JoinRef);

        var rejoin = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(rejoin, "ok");
        await statuses.WaitForAsync(s => s.Any(x => x.Status == SubscribeStatus.Subscribed), "subscribed after rejoin");
        Assert.Equal(SubscribeStatus.TimedOut, statuses.Items[0].Status);
        Assert.Equal(0, client.PendingReplyCount);
    }

    [Fact]
    public async Task A_reply_with_the_wrong_ref_is_ignored()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");

        await connection.SendAsync(join.JoinRef, "999", join.Topic, "phx_reply", "{\"status\":\"ok\",\"response\":{}}");
        await connection.SendAsync(join.JoinRef, join.Ref, "realtime:other", "phx_reply", "{\"status\":\"ok\",\"response\":{}}");
        await Eventually.TrueAsync(() => Logs.Entries.Count(e => e.Id.Id == 5007) >= 2, "unknown replies logged");
        Assert.Equal(ChannelState.Joining, channel.State);
        Assert.False(subscribe.IsCompleted);

        await connection.ReplyAsync(join, "ok");
        await subscribe.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task A_push_without_reply_times_out_and_leaves_no_pending_wait()
    {
        var client = NewClient(o => o.Timeout = TimeSpan.FromMilliseconds(400));
        var channel = client.Channel("room", new RealtimeChannelOptions { BroadcastAck = true });
        var (connection, join) = await SubscribeAsync(channel);

        var send = channel.SendBroadcastAsync("typing", Json("{\"who\":\"a\"}"));
        var broadcast = await connection.ExpectAsync("broadcast");
        Assert.Equal(join.Ref, broadcast.JoinRef);
        Assert.Equal("typing", broadcast.Payload.GetProperty("event").GetString());
        Assert.Equal("a", broadcast.Payload.GetProperty("payload").GetProperty("who").GetString());
        await Assert.ThrowsAsync<RealtimeException>(() => send);
        await Eventually.TrueAsync(() => client.PendingReplyCount == 0, "no pending reply");

        // An acknowledged broadcast completes on the reply.
        var acked = channel.SendBroadcastAsync("typing", Json("{}"));
        var second = await connection.ExpectAsync("broadcast");
        await connection.ReplyAsync(second, "ok");
        await acked.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, client.PendingReplyCount);
    }

    [Fact]
    public async Task Pushes_before_the_join_are_buffered_and_flushed_after_it()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var subscribe = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        var send = channel.SendBroadcastAsync("early", Json("{\"n\":1}"));
        Assert.Null(await connection.TryReceiveAsync(TimeSpan.FromMilliseconds(200)));

        await connection.ReplyAsync(join, "ok");
        await subscribe;
        var broadcast = await connection.ReceiveAsync();
        Assert.Equal("broadcast", broadcast.Event);
        Assert.Equal(join.Ref, broadcast.JoinRef);
        Assert.Equal("early", broadcast.Payload.GetProperty("event").GetString());
        await send.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_push_buffer_is_bounded()
    {
        var client = NewClient(o => o.PushBufferLimit = 2);
        var channel = client.Channel("room");
        _ = channel.SubscribeAsync();
        var connection = await Server.AcceptAsync();
        await connection.ExpectAsync("phx_join");
        var first = channel.SendBroadcastAsync("a", Json("{}"));
        var second = channel.SendBroadcastAsync("b", Json("{}"));
        await Assert.ThrowsAsync<RealtimeException>(() => channel.SendBroadcastAsync("c", Json("{}")));
        Assert.True(Logs.Has(5029));
        Assert.False(first.IsCompleted || second.IsCompleted);
    }

    [Fact]
    public async Task An_observer_may_dispose_the_client_from_the_receive_loop()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var disposed = new TaskCompletionSource();
        channel.OnBroadcast("bye").Subscribe(new ActionObserver<BroadcastMessage>(_ =>
            client.DisposeAsync().AsTask().ContinueWith(_ => disposed.TrySetResult(), TaskScheduler.Default)));
        var (connection, join) = await SubscribeAsync(channel);
        await connection.PushAsync(join, "broadcast", "{\"event\":\"bye\",\"payload\":{}}");
        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task Messages_of_a_stale_join_are_dropped()
    {
        var client = NewClient();
        var channel = client.Channel("db");
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")).Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((5, "*", "t", null)));

        await connection.SendAsync("stale-join", null, join.Topic, "postgres_changes", Change("INSERT", "t", "old", 5));
        await connection.SendAsync(join.Ref, null, join.Topic, "postgres_changes", Change("INSERT", "t", "current", 5));
        await changes.WaitCountAsync(1);
        await Task.Delay(100);
        Assert.Equal("current", Assert.Single(changes.Items).New!.Value.GetProperty("id").GetString());
        Assert.True(Logs.Has(5028));
    }

    [Fact]
    public async Task Malformed_frames_are_logged_and_ignored()
    {
        var client = NewClient();
        var channel = client.Channel("db");
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")).Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((5, "*", "t", null)));

        await connection.SendTextAsync("garbage");
        await connection.SendTextAsync("[1,2]");
        await connection.SendTextAsync("{\"topic\":1}");
        await connection.SendBinaryAsync([4, 200, 200, 0, 1]);
        await connection.SendBinaryAsync([9, 1, 2]);
        await connection.PushAsync(join, "postgres_changes", "{\"ids\":[5],\"data\":42}");
        await connection.PushAsync(join, "broadcast", "[]");
        await connection.PushAsync(join, "phx_reply", "\"not an object\"");
        await connection.PushAsync(join, "unknown_event", "{}");
        await connection.PushAsync(join, "postgres_changes", Change("DELETE", "t", "ok", 5));

        await changes.WaitCountAsync(1);
        Assert.Equal(PostgresChangeType.Delete, Assert.Single(changes.Items).Type);
        Assert.True(Logs.Has(5006), "malformed frame logged");
        Assert.True(Logs.Has(5032), "bad change logged");
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(ChannelState.Joined, channel.State);
        Assert.Equal(1, Server.ConnectionCount);
    }

    [Fact]
    public async Task Broadcasts_arrive_as_text_and_binary_frames_and_on_the_wildcard()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var typing = channel.OnBroadcast("typing").Record();
        var all = channel.OnBroadcast("*").Record();
        var other = channel.OnBroadcast("other").Record();
        var (connection, join) = await SubscribeAsync(channel);

        await connection.PushAsync(join, "broadcast", "{\"type\":\"broadcast\",\"event\":\"typing\",\"payload\":{\"n\":1}}");
        await connection.SendBinaryAsync(Encoding.UTF8.GetBytes("\x04\x0d\x06\x11\x01realtime:roomtyping{\"replayed\":true}{\"n\":2}"));
        await typing.WaitCountAsync(2);
        await all.WaitCountAsync(2);
        Assert.Equal([1, 2], typing.Items.Select(b => b.Payload.GetProperty("n").GetInt32()));
        Assert.True(typing.Items[1].Meta!.Value.GetProperty("replayed").GetBoolean());
        Assert.Empty(other.Items);
    }

    [Fact]
    public async Task Binary_broadcasts_are_sent_as_kind_3_frames_when_enabled()
    {
        var client = NewClient(o => o.BinaryBroadcasts = true);
        var channel = client.Channel("room");
        var (connection, join) = await SubscribeAsync(channel);
        await channel.SendBroadcastAsync("typing", Json("{\"a\":\"b\"}"));
        var frame = await connection.ExpectAsync("broadcast");
        Assert.True(frame.Binary);
        Assert.Equal(3, frame.Raw[0]);
        Assert.Equal(join.Ref, frame.JoinRef);
        Assert.Equal("typing", frame.Payload.GetProperty("event").GetString());
        Assert.EndsWith("realtime:roomtyping{\"a\":\"b\"}", Encoding.UTF8.GetString(frame.Raw), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presence_is_enabled_by_observers_tracked_and_applied_per_phx_ref()
    {
        var client = NewClient();
        var channel = client.Channel("room", new RealtimeChannelOptions { PresenceKey = "u1" });
        var presence = channel.Presence.Record();
        var (connection, join) = await SubscribeAsync(channel);
        Assert.True(join.Payload.GetProperty("config").GetProperty("presence").GetProperty("enabled").GetBoolean());

        var track = channel.TrackAsync(Json("{\"tab\":1}"));
        var push = await connection.ExpectAsync("presence");
        Assert.Equal("track", push.Payload.GetProperty("event").GetString());
        Assert.Equal(1, push.Payload.GetProperty("payload").GetProperty("tab").GetInt32());
        await connection.ReplyAsync(push, "ok");
        await track.WaitAsync(TimeSpan.FromSeconds(5));

        await connection.PushAsync(join, "presence_state", "{\"u1\":{\"metas\":[{\"phx_ref\":\"a\",\"tab\":1},{\"phx_ref\":\"b\",\"tab\":2}]}}");
        await connection.PushAsync(join, "presence_diff", "{\"joins\":{},\"leaves\":{\"u1\":{\"metas\":[{\"phx_ref\":\"a\",\"tab\":1}]}}}");
        await presence.WaitCountAsync(2);
        Assert.Equal("b", Assert.Single(presence.Items[^1].State["u1"]).PresenceRef);
    }

    [Fact]
    public async Task Server_errors_closes_and_system_errors_are_reported()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);

        await connection.PushAsync(join, "system", "{\"status\":\"error\",\"message\":\"Unable to subscribe\",\"extension\":\"postgres_changes\"}");
        await statuses.WaitCountAsync(2);
        Assert.Equal(SubscribeStatus.ChannelError, statuses.Items[1].Status);
        Assert.Equal("Unable to subscribe", statuses.Items[1].Reason);

        await connection.PushAsync(join, "phx_error", "{}");
        var rejoin = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(rejoin, "ok");
        await statuses.WaitForAsync(s => s.Count(x => x.Status == SubscribeStatus.Subscribed) == 2, "resubscribed after phx_error");

        // A close the client did not ask for, without a permission refusal, is not the end: the channel rejoins.
        await connection.SendAsync(rejoin.Ref, null, join.Topic, "phx_close", "{}");
        await statuses.WaitForAsync(s => s[^1].Status == SubscribeStatus.ChannelError && s[^1].Reason == "closed by server", "errored by the close");
        var third = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(third, "ok");
        await statuses.WaitForAsync(s => s.Count(x => x.Status == SubscribeStatus.Subscribed) == 3, "resubscribed after phx_close");
        Assert.DoesNotContain(statuses.Items, s => s.Status == SubscribeStatus.Closed);
    }

    [Fact]
    public async Task Postgres_changes_recovering_after_a_system_error_report_subscribed_again()
    {
        // Supabase Realtime keeps the channel joined when it cannot subscribe to the database yet (for example
        // "Realtime was unable to connect to the project database"), retries, and then sends "Subscribed to PostgreSQL".
        var client = NewClient();
        var channel = client.Channel("db");
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t"));
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((7, "*", "t", null)));
        Assert.Equal(new ChannelStatusChange(SubscribeStatus.Subscribed, "joined"), Assert.Single(statuses.Items));

        await connection.PushAsync(join, "system", "{\"status\":\"error\",\"message\":\"Realtime was unable to connect to the project database\",\"extension\":\"postgres_changes\",\"channel\":\"db\"}");
        await statuses.WaitCountAsync(2);
        Assert.Equal(SubscribeStatus.ChannelError, statuses.Items[1].Status);

        await ConfirmPostgresAsync(connection, join);
        await statuses.WaitCountAsync(3);
        Assert.Equal(new ChannelStatusChange(SubscribeStatus.Subscribed, "postgres_changes resubscribed"), statuses.Items[2]);
        Assert.Equal(ChannelState.Joined, channel.State);
    }

    [Fact]
    public async Task Unsubscribe_sends_a_leave_and_closes()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        var statuses = channel.Statuses.Record();
        var (connection, join) = await SubscribeAsync(channel);
        var unsubscribe = channel.UnsubscribeAsync();
        var leave = await connection.ExpectAsync("phx_leave");
        Assert.Equal(join.Ref, leave.JoinRef);
        Assert.Equal(ChannelState.Leaving, channel.State);
        await connection.ReplyAsync(leave, "ok");
        await unsubscribe.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ChannelState.Closed, channel.State);
        Assert.Equal(SubscribeStatus.Closed, statuses.Items[^1].Status);
        await Assert.ThrowsAsync<RealtimeException>(() => channel.SendBroadcastAsync("x", Json("{}")));
    }

    [Fact]
    public async Task Observer_exceptions_are_caught_and_do_not_break_the_loop()
    {
        var client = NewClient();
        var channel = client.Channel("room");
        channel.OnBroadcast("x").Subscribe(new ThrowingObserver());
        var good = channel.OnBroadcast("x").Record();
        var (connection, join) = await SubscribeAsync(channel);
        await connection.PushAsync(join, "broadcast", "{\"event\":\"x\",\"payload\":{}}");
        await connection.PushAsync(join, "broadcast", "{\"event\":\"x\",\"payload\":{}}");
        await good.WaitCountAsync(2);
        Assert.True(Logs.Has(5009));
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task The_1_0_0_serializer_works_end_to_end()
    {
        var client = NewClient(o => o.Version = RealtimeSerializerVersion.V1);
        var channel = client.Channel("db");
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")).Record();
        var (connection, join) = await SubscribeAsync(channel, JoinResponse((3, "*", "t", null)));
        Assert.Equal("1.0.0", connection.Query["vsn"]);
        Assert.StartsWith("{\"topic\":\"realtime:db\",\"event\":\"phx_join\"", join.Text, StringComparison.Ordinal);
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "t", "r1", 3));
        await changes.WaitCountAsync(1);
    }

    private sealed class ActionObserver<T>(Action<T> onNext) : IObserver<T>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(T value) => onNext(value);
    }

    private sealed class ThrowingObserver : IObserver<BroadcastMessage>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(BroadcastMessage value) => throw new InvalidOperationException("observer bug");
    }
}
