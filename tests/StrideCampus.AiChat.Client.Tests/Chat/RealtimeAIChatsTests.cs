using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class RealtimeAIChatsTests
{
    private static readonly Guid User = StoreHarness.User;

    private static async Task<(RealtimeAIChats Chats, FakeChangeFeed Feed, FakeChatDatabase Db)> StartAsync(
        Action<FakeChatDatabase>? seed = null, RealtimeAIChatsOptions? options = null)
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        seed?.Invoke(db);
        // These tests read the streams right after a change: they ask for delivery on the emitting thread.
        options ??= new RealtimeAIChatsOptions();
        options.Scheduler ??= ImmediateScheduler.Instance;
        var chats = new RealtimeAIChats(feed, db, User, options);
        await chats.StartAsync();
        return (chats, feed, db);
    }

    private static ChatMessage Msg(Guid session, Guid? user = null) =>
        new(Guid.NewGuid(), session, user ?? User, "m", true, MessageStatus.Complete, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, []);

    [Fact]
    public async Task An_observer_that_waits_for_another_thread_reading_the_active_session_does_not_deadlock()
    {
        // With the immediate scheduler, observers run on the realtime thread; one that hands work to a UI thread and waits
        // (Dispatcher.Invoke) must not deadlock with that thread reading ActiveSessionId.
        var (chats, feed, _) = await StartAsync();
        await using var _ = chats;
        using var s = chats.MessageCreated.Subscribe(m =>
        {
            var read = Task.Run(() => chats.ActiveSessionId);
            Assert.True(read.Wait(TimeSpan.FromSeconds(3)), "the other thread could not read ActiveSessionId");
        });

        await Task.Run(() => feed.Emit(ChatChange.Created(Msg(Guid.NewGuid())))).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_observer_that_waits_for_another_thread_disposing_the_chats_does_not_deadlock()
    {
        var (chats, feed, _) = await StartAsync();
        using var s = chats.MessageCreated.Subscribe(m =>
        {
            var dispose = Task.Run(async () => await chats.DisposeAsync());
            Assert.True(dispose.Wait(TimeSpan.FromSeconds(3)), "the other thread could not dispose");
        });

        await Task.Run(() => feed.Emit(ChatChange.Created(Msg(Guid.NewGuid())))).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(feed.Disposed);
    }

    [Fact]
    public async Task Without_a_scheduler_observers_and_callbacks_run_off_the_delivering_thread_in_order()
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        var callbackThreads = new List<int>();
        var callbacks = new RealtimeAIChatsCallbacks { OnMessageCreated = _ => { lock (callbackThreads) { callbackThreads.Add(Environment.CurrentManagedThreadId); } } };
        await using var chats = new RealtimeAIChats(feed, db, User, new RealtimeAIChatsOptions { Callbacks = callbacks });
        await chats.StartAsync();
        var seen = new List<(Guid Id, int Thread)>();
        using var s = chats.MessageCreated.Subscribe(m => { lock (seen) { seen.Add((m.Id, Environment.CurrentManagedThreadId)); } });
        var sent = Enumerable.Range(0, 50).Select(_ => Msg(Guid.NewGuid())).ToList();
        var emitter = 0;
        await Task.Factory.StartNew(
            () =>
            {
                emitter = Environment.CurrentManagedThreadId;
                foreach (var m in sent)
                {
                    feed.Emit(ChatChange.Created(m));
                }
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await Eventually.TrueAsync(() => { lock (seen) { lock (callbackThreads) { return seen.Count == sent.Count && callbackThreads.Count == sent.Count; } } }, "every change is delivered");
        lock (seen)
        {
            Assert.Equal(sent.Select(m => m.Id), seen.Select(x => x.Id));
            Assert.DoesNotContain(seen, x => x.Thread == emitter);
        }

        lock (callbackThreads)
        {
            Assert.DoesNotContain(emitter, callbackThreads);
        }
    }

    [Fact]
    public async Task Each_kind_of_change_goes_to_its_own_stream()
    {
        var (chats, feed, db) = await StartAsync();
        await using var _ = chats;
        var log = new List<string>();
        using var s1 = chats.SessionCreated.Subscribe(s => log.Add($"session created {s.Title}"));
        using var s2 = chats.SessionUpdated.Subscribe(s => log.Add($"session updated {s.Title}"));
        using var s3 = chats.SessionDeleted.Subscribe(id => log.Add("session deleted"));
        using var s4 = chats.MessageCreated.Subscribe(m => log.Add("message created"));
        using var s5 = chats.MessageUpdated.Subscribe(m => log.Add($"message updated {m.Content}"));
        using var s6 = chats.MessageDeleted.Subscribe(id => log.Add("message deleted"));

        var session = await db.UpsertSessionAsync(new ChatSession(Guid.NewGuid(), User, "t", false, default, default), default);
        await db.UpdateSessionAsync(session.Id, new() { ["title"] = "t2" }, default);
        var m = await db.UpsertMessageAsync(Msg(session.Id), default);
        await db.UpdateMessageAsync(m.Id, new() { ["content"] = "grown" }, default);
        await db.DeleteMessageAsync(m.Id, default);
        await db.DeleteSessionAsync(session.Id, default);

        Assert.Equal(
            ["session created t", "session updated t2", "message created", "message updated grown", "message deleted", "session deleted"],
            log);
    }

    [Fact]
    public async Task Deletes_are_reported_only_from_the_deletion_log_or_for_rows_seen()
    {
        ChatSession existing = null!;
        ChatMessage existingMessage = null!;
        var (chats, feed, _) = await StartAsync(db => { existing = db.SeedSession("old"); existingMessage = db.SeedMessage(existing.Id, "x"); });
        await using var _ = chats;
        var sessions = new List<Guid>();
        var messages = new List<Guid>();
        using var a = chats.SessionDeleted.Subscribe(sessions.Add);
        using var b = chats.MessageDeleted.Subscribe(messages.Add);

        feed.Emit(ChatChange.SessionRemoved(Guid.NewGuid())); // a delete known by its key alone, of a row never seen
        feed.Emit(ChatChange.MessageRemoved(Guid.NewGuid()));
        feed.Emit(ChatChange.MessageRemoved(existingMessage.Id) with { LoggedSessionId = existing.Id }); // from the deletion log
        feed.Emit(ChatChange.SessionRemoved(existing.Id) with { LoggedSessionId = existing.Id });
        Assert.Equal([existing.Id], sessions);
        Assert.Equal([existingMessage.Id], messages);
    }

    [Fact]
    public async Task Rows_of_other_users_or_other_sessions_are_dropped()
    {
        var watched = Guid.NewGuid();
        var (chats, feed, _) = await StartAsync(options: new RealtimeAIChatsOptions { SessionId = watched });
        await using var _ = chats;
        var created = new List<ChatMessage>();
        using var sub = chats.MessageCreated.Subscribe(created.Add);
        var mine = Msg(watched);
        feed.Emit(ChatChange.Created(mine));
        feed.Emit(ChatChange.Created(Msg(Guid.NewGuid())));
        feed.Emit(ChatChange.Created(Msg(watched, Guid.NewGuid())));
        feed.Emit(ChatChange.Created(new ChatSession(Guid.NewGuid(), Guid.NewGuid(), "theirs", false, default, default)));
        Assert.Equal([mine], created);
        Assert.Equal(watched, chats.SessionId);
    }

    [Fact]
    public async Task Active_session_changed_reports_a_switch_once_and_null_when_nothing_is_active()
    {
        ChatSession a = null!, b = null!;
        // Virtual time: the settle timer and the reports run on a scheduler the test moves, so a report that is due
        // has been made and a duplicate would show, with no waiting.
        var clock = new HistoricalScheduler();
        var (chats, feed, db) = await StartAsync(
            db => { a = db.SeedSession("a", active: true); b = db.SeedSession("b"); },
            new RealtimeAIChatsOptions { ActiveSessionSettleDelay = TimeSpan.FromMilliseconds(100), Scheduler = clock });
        await using var _ = chats;
        Assert.Equal(a.Id, chats.ActiveSessionId);
        var seen = new List<Guid?>();
        using var sub = chats.ActiveSessionChanged.Subscribe(seen.Add);

        await db.SetActiveSessionAsync(b.Id, default); // a deactivated, then b activated, in one transaction
        Settled(clock, seen, b.Id);

        await db.SetActiveSessionAsync(null, default);
        Settled(clock, seen, b.Id, null);

        await db.SetActiveSessionAsync(a.Id, default);
        await db.DeleteSessionAsync(a.Id, default); // deleting the active one
        Settled(clock, seen, b.Id, null, a.Id, null);
    }

    /// <summary>Moves the clock past the settle delay; then exactly <paramref name="expected"/> has been reported.</summary>
    private static void Settled(HistoricalScheduler clock, List<Guid?> seen, params Guid?[] expected)
    {
        clock.AdvanceBy(TimeSpan.FromSeconds(1));
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Connection_status_replays_the_current_value_and_drives_IsConnected()
    {
        var (chats, feed, _) = await StartAsync();
        await using var _ = chats;
        Assert.True(chats.IsConnected);
        var statuses = new List<ChatConnectionState>();
        using var sub = chats.ConnectionStatus.Subscribe(s => statuses.Add(s.State));
        feed.SetStatus(ChatConnectionState.Connecting, "socket closed");
        Assert.False(chats.IsConnected);
        Assert.Equal("socket closed", chats.CurrentStatus.Reason);
        feed.SetStatus(ChatConnectionState.Connected, "rejoined");
        Assert.Equal([ChatConnectionState.Connected, ChatConnectionState.Connecting, ChatConnectionState.Connected], statuses);
    }

    [Fact]
    public async Task Callbacks_mirror_the_hook_options_and_a_throwing_callback_does_not_end_the_subscription()
    {
        var log = new List<string>();
        var calls = 0;
        var callbacks = new RealtimeAIChatsCallbacks
        {
            OnSessionCreated = s => log.Add("created " + s.Title),
            OnSessionUpdated = s => log.Add("updated " + s.Title),
            OnSessionDeleted = _ => log.Add("deleted"),
            OnMessageCreated = _ =>
            {
                log.Add("message");
                if (++calls == 1)
                {
                    throw new InvalidOperationException("app bug");
                }
            },
            OnMessageUpdated = m => log.Add("message updated " + m.Content),
            OnMessageDeleted = _ => log.Add("message deleted"),
            OnActiveSessionChanged = id => log.Add("active " + (id is null ? "none" : "set")),
            OnConnectionStatusChanged = s => log.Add("status " + s.State),
        };
        var (chats, feed, db) = await StartAsync(options: new RealtimeAIChatsOptions { Callbacks = callbacks });
        await using var _ = chats;
        var s = await db.UpsertSessionAsync(new ChatSession(Guid.NewGuid(), User, "t", false, default, default), default);
        await db.SetActiveSessionAsync(s.Id, default);
        var m1 = await db.UpsertMessageAsync(Msg(s.Id), default);
        await db.UpsertMessageAsync(Msg(s.Id), default);
        await db.UpdateMessageAsync(m1.Id, new() { ["content"] = "v2" }, default);
        await db.DeleteMessageAsync(m1.Id, default);
        Assert.Equal(
            ["status Disconnected", "status Connected", "created t", "updated t", "active set", "message", "message", "message updated v2", "message deleted"],
            log);
    }

    [Fact]
    public async Task Dispose_ends_every_subscription_and_completes_the_streams()
    {
        var (chats, feed, _) = await StartAsync();
        var completed = 0;
        chats.SessionCreated.Subscribe(_ => { }, () => completed++);
        chats.MessageDeleted.Subscribe(_ => { }, () => completed++);
        chats.ActiveSessionChanged.Subscribe(_ => { }, () => completed++);
        chats.ConnectionStatus.Subscribe(_ => { }, () => completed++);
        await chats.DisposeAsync();
        Assert.Equal(4, completed);
        Assert.True(feed.Disposed);
        Assert.False(feed.HasChangeObservers);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chats.StartAsync());
    }

    [Fact]
    public async Task A_failed_subscription_is_reported_with_a_typed_exception()
    {
        var feed = new FakeChangeFeed { StartError = new TimeoutException("join timed out") };
        await using var chats = new RealtimeAIChats(feed, null, User);
        var ex = await Assert.ThrowsAsync<ChatOperationException>(() => chats.StartAsync());
        Assert.IsType<TimeoutException>(ex.InnerException);
        Assert.False(chats.IsConnected);
    }
}
