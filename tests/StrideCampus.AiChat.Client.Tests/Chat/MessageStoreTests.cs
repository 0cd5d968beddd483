using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class MessageStoreTests
{
    private static ChatMessage Msg(Guid session, string content, DateTimeOffset created, Guid? id = null, DateTimeOffset? updated = null) =>
        new(id ?? Guid.NewGuid(), session, StoreHarness.User, content, true, MessageStatus.Complete, created, updated ?? created, []);

    // ------------------------------------------------------------ loading

    [Fact]
    public async Task Opens_with_the_newest_sessions_and_the_active_sessions_messages_in_order()
    {
        ChatSession older = null!, newer = null!;
        await using var h = await StoreHarness.StartAsync(openAll: false, seed: db =>
        {
            older = db.SeedSession("older");
            newer = db.SeedSession("newer", active: true);
            db.SeedMessage(newer.Id, "b");
            db.SeedMessage(newer.Id, "a", createdAt: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        });
        var state = h.Store.Current;
        Assert.True(state.IsInitialized);
        Assert.False(state.IsLoading);
        Assert.True(state.IsRealtimeConnected);
        Assert.Equal([newer.Id, older.Id], state.Sessions.Select(s => s.Id));
        Assert.Equal(newer.Id, state.ActiveSession!.Id);
        Assert.Equal(["a", "b"], state.ActiveSession.Messages.Select(m => m.Content));
        Assert.Equal(0, h.Db.CallCount(nameof(IChatDataSource.LoadSessionsWithMessagesAsync)));
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.LoadSessionPageAsync)));
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync)));
        Assert.Equal(3, state.Stats.DatabaseQueries); // sync point, sessions, the active session's messages
        Assert.Equal(2, state.Stats.SessionCount);
        Assert.Equal(2, state.Stats.MessageCount);
        Assert.False(state.HasMoreSessions);
        Assert.False(state.ActiveSession.HasOlderMessages);
        Assert.False(h.Session(older.Id).MessagesLoaded); // loads when opened
        Assert.Empty(await h.SettledChangesAsync()); // the initial load is state, not changes
    }

    [Fact]
    public async Task Session_reads_are_served_from_the_cache_without_queries()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); db.SeedMessage(s.Id, "m"); });
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("m", Assert.Single(h.Session(s.Id).Messages).Content);
            Assert.Single(await h.Store.LoadMessagesAsync(s.Id));
        }

        Assert.Equal(0, h.Db.Calls.Values.Sum()); // the harness opened the session (one page read) before counting
        h.Feed.SetStatus(ChatConnectionState.Connecting); // stats are part of the next published state
        Assert.Equal(10, h.Store.Current.Stats.CacheHits);
        Assert.Equal(1, h.Store.Current.Stats.CacheMisses); // the harness's open
    }

    // ------------------------------------------------------------ ordering

    [Fact]
    public async Task Out_of_order_message_events_keep_chronological_order()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var t0 = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var rows = Enumerable.Range(0, 20).Select(i => Msg(s.Id, $"m{i:D2}", t0.AddMilliseconds(i))).ToList();
        foreach (var i in new[] { 7, 3, 19, 0, 12, 5, 1, 18, 2, 4, 6, 8, 9, 10, 11, 13, 14, 15, 16, 17 })
        {
            h.Feed.Emit(ChatChange.Created(rows[i]));
        }

        Assert.Equal(rows.Select(r => r.Content), h.Session(s.Id).Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task Equal_timestamps_are_ordered_by_id_as_postgres_orders_uuids()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var t = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        // .NET's Guid.CompareTo puts b before a (it compares the first field as an int, little-endian in
        // memory); PostgreSQL compares bytes, so a < b.
        var a = Msg(s.Id, "a", t, Guid.Parse("00000001-0000-0000-0000-000000000000"));
        var b = Msg(s.Id, "b", t, Guid.Parse("00000000-0000-0000-0000-000000000001"));
        h.Feed.Emit(ChatChange.Created(a));
        h.Feed.Emit(ChatChange.Created(b));
        Assert.Equal(["b", "a"], h.Session(s.Id).Messages.Select(m => m.Content));
        Assert.True(ChatRowComparer.CompareUuid(b.Id, a.Id) < 0);
    }

    [Fact]
    public async Task A_stale_update_arriving_after_a_newer_one_is_ignored()
    {
        ChatSession s = null!;
        ChatMessage m = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); m = db.SeedMessage(s.Id, "v1"); });
        var v3 = m with { Content = "v3", UpdatedAt = m.UpdatedAt.AddSeconds(2) };
        var v2 = m with { Content = "v2", UpdatedAt = m.UpdatedAt.AddSeconds(1) };
        h.Feed.Emit(ChatChange.Updated(v3));
        h.Feed.Emit(ChatChange.Updated(v2));
        Assert.Equal("v3", Assert.Single(h.Session(s.Id).Messages).Content);
        h.Feed.SetStatus(ChatConnectionState.Connecting);
        Assert.Equal(1, h.Store.Current.Stats.RealtimeEventsIgnored);
        Assert.Equal(1, h.Store.Current.Stats.RealtimeEventsApplied);
        Assert.Equal("v3", Assert.IsType<MessageChange>(Assert.Single(await h.SettledChangesAsync())).Message.Content);
    }

    // ------------------------------------------------------------ optimistic writes, echoes, rollback

    [Fact]
    public async Task Own_message_is_pending_at_once_then_confirmed_and_its_echo_is_not_applied_twice()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var gate = new TaskCompletionSource();
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.UpsertMessageAsync) ? gate.Task : Task.CompletedTask;

        var add = h.Store.AddMessageAsync(s.Id, "hello");
        var pending = Assert.Single(h.Session(s.Id).Messages);
        Assert.Equal("hello", pending.Content);
        Assert.True(h.Session(s.Id).IsMessagePending(pending.Id));
        Assert.Equal(1, h.Store.Current.Stats.PendingWriteCount);

        gate.SetResult(); // the fake database commits and emits the realtime echo before responding
        var row = await add;
        var confirmed = Assert.Single(h.Session(s.Id).Messages);
        Assert.Equal(row, confirmed);
        Assert.Equal(pending.Id, row.Id);
        Assert.False(h.Session(s.Id).IsMessagePending(row.Id));
        Assert.Equal(0, h.Store.Current.Stats.PendingWriteCount);

        h.Feed.Emit(ChatChange.Created(row)); // a second, late echo
        Assert.Single(h.Session(s.Id).Messages);
        Assert.Equal(h.DumpDb(), h.Dump());
        var created = Assert.Single(await h.SettledChangesAsync());
        Assert.Equal(ChatChangeKind.MessageCreated, created.Kind);
    }

    [Fact]
    public async Task Echo_arriving_after_the_response_changes_nothing()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        h.Db.EmitChanges = false;
        var row = await h.Store.AddMessageAsync(s.Id, "x");
        var before = h.Store.Current;
        h.Feed.Emit(ChatChange.Created(row));
        Assert.Same(before.Sessions, h.Store.Current.Sessions);
        Assert.Single(await h.SettledChangesAsync());
    }

    [Fact]
    public async Task Refused_message_is_rolled_back_with_a_typed_exception_carrying_the_cause()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var refusal = new FakeServerException("new row violates row-level security policy");
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.UpsertMessageAsync) ? Task.FromException(refusal) : Task.CompletedTask;
        var states = h.Store.StateChanges.Record(out var sub);
        using var _ = sub;

        var ex = await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.AddMessageAsync(s.Id, "nope"));
        Assert.Same(refusal, ex.InnerException);
        Assert.Equal(ChatOperation.AddMessage, ex.Operation);
        Assert.Empty(h.Session(s.Id).Messages);
        await states.FirstAsync(st => st.Sessions[0].Messages.Count == 1, "the message shown at once");
        await states.FirstAsync(st => st.Sessions[0].Messages.Count == 0 && st.Stats.PendingWriteCount == 0, "the rollback");
        Assert.Equal(0, h.Store.Current.Stats.PendingWriteCount);
        Assert.Empty(await h.SettledChangesAsync());
    }

    [Fact]
    public async Task Refused_update_rolls_back_to_the_newest_server_value()
    {
        ChatSession s = null!;
        ChatMessage m = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); m = db.SeedMessage(s.Id, "v1"); });
        var gate = new TaskCompletionSource();
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.UpdateMessageAsync) ? gate.Task : Task.CompletedTask;
        var update = h.Store.UpdateMessageAsync(m.Id, content: "mine");
        Assert.Equal("mine", h.Session(s.Id).Messages[0].Content);
        // meanwhile another tab wrote v2
        var v2 = h.Db.EditDirect(m.Id, "v2");
        h.Feed.Emit(ChatChange.Updated(v2));
        Assert.Equal("mine", h.Session(s.Id).Messages[0].Content); // own pending write stays on top
        gate.SetException(new FakeServerException());
        await Assert.ThrowsAsync<ChatOperationException>(() => update);
        Assert.Equal("v2", h.Session(s.Id).Messages[0].Content);
    }

    [Fact]
    public async Task Rename_delete_switch_and_clear_all_roll_back_when_refused()
    {
        ChatSession a = null!, b = null!;
        await using var h = await StoreHarness.StartAsync(db => { a = db.SeedSession("a", active: true); b = db.SeedSession("b"); });
        var before = h.Dump();
        h.Db.BeforeCall = name => name.StartsWith("Load", StringComparison.Ordinal) ? Task.CompletedTask : Task.FromException(new FakeServerException());

        Assert.Equal(ChatOperation.UpdateSession, (await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.RenameSessionAsync(a.Id, "x"))).Operation);
        Assert.Equal(before, h.Dump());
        Assert.Equal(ChatOperation.DeleteSession, (await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.DeleteSessionAsync(a.Id))).Operation);
        Assert.Equal(before, h.Dump());
        Assert.Equal(ChatOperation.SwitchSession, (await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.SwitchToSessionAsync(b.Id))).Operation);
        Assert.Equal(before, h.Dump());
        Assert.Equal(a.Id, h.Store.GetActiveSession()!.Id);
        Assert.Equal(ChatOperation.ClearAllSessions, (await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.ClearAllSessionsAsync())).Operation);
        Assert.Equal(before, h.Dump());
        Assert.Equal(ChatOperation.CreateSession, (await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.CreateSessionAsync("c"))).Operation);
        Assert.Equal(before, h.Dump());
        Assert.Equal(0, h.Store.Current.Stats.PendingWriteCount);
    }

    [Fact]
    public async Task Retrying_an_add_with_the_same_client_id_never_duplicates()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        h.Db.EmitChanges = false;
        var lost = true;
        h.Db.AfterCommit = name =>
        {
            if (name == nameof(IChatDataSource.UpsertMessageAsync) && lost)
            {
                lost = false;
                throw new HttpRequestException("connection reset after the commit");
            }
        };
        var id = Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.AddMessageAsync(s.Id, "once", messageId: id));
        Assert.IsType<HttpRequestException>(ex.InnerException);
        var row = await h.Store.AddMessageAsync(s.Id, "once", messageId: id);
        Assert.Equal(id, row.Id);
        Assert.Equal(1, h.Db.MessageCount);
        Assert.Single(h.Session(s.Id).Messages);
        await h.Store.AddMessageAsync(s.Id, "once", messageId: id); // and again
        Assert.Equal(1, h.Db.MessageCount);
        Assert.Single(h.Session(s.Id).Messages);
    }

    [Fact]
    public async Task A_session_whose_insert_event_was_missed_loads_its_messages_when_an_update_arrives()
    {
        await using var h = await StoreHarness.StartAsync();
        var missed = h.Db.SeedSession("created in another tab"); // its INSERT never reached us
        h.Db.SeedMessage(missed.Id, "first");
        var activated = h.Db.RenameDirect(missed.Id, "renamed");
        h.Feed.Emit(ChatChange.Updated(activated));
        await Eventually.TrueAsync(() => h.Store.Current.Sessions.SingleOrDefault()?.MessagesLoaded == true, "the missed session's messages");
        Assert.Equal(["first"], h.Session(missed.Id).Messages.Select(m => m.Content));
        h.Feed.Emit(ChatChange.Created(h.Db.SeedMessage(missed.Id, "second")));
        Assert.Equal(["first", "second"], h.Session(missed.Id).Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task Deletes_of_rows_not_held_are_ignored()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); db.SeedMessage(s.Id, "m"); });
        var before = h.Store.Current;
        h.Feed.Emit(ChatChange.SessionRemoved(Guid.NewGuid()));
        h.Feed.Emit(ChatChange.MessageRemoved(Guid.NewGuid()));
        Assert.Same(before, h.Store.Current);
        h.Feed.Emit(ChatChange.Created(Msg(s.Id, "x", DateTimeOffset.UtcNow) with { UserId = Guid.NewGuid() })); // another user's row
        Assert.Single(h.Session(s.Id).Messages);
        Assert.Empty(await h.SettledChangesAsync());
    }

    [Fact]
    public async Task Realtime_changes_from_another_tab_are_applied_and_reported_once()
    {
        ChatSession s = null!;
        ChatMessage m = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); m = db.SeedMessage(s.Id, "m"); });
        var renamed = h.Db.RenameDirect(s.Id, "renamed");
        h.Feed.Emit(ChatChange.Updated(renamed));
        h.Feed.Emit(ChatChange.Updated(renamed));
        var other = h.Db.SeedSession("other");
        h.Feed.Emit(ChatChange.Created(other));
        h.Feed.Emit(ChatChange.MessageRemoved(m.Id));
        h.Feed.Emit(ChatChange.MessageRemoved(m.Id));
        h.Feed.Emit(ChatChange.SessionRemoved(other.Id));
        Assert.Equal("renamed", h.Session(s.Id).Title);
        Assert.Empty(h.Session(s.Id).Messages);
        Assert.Single(h.Store.GetSessions());
        // a late update of a deleted row does not bring it back
        h.Feed.Emit(ChatChange.Updated(other with { Title = "zombie", UpdatedAt = other.UpdatedAt.AddSeconds(1) }));
        Assert.Single(h.Store.GetSessions());
        Assert.Equal(
            [ChatChangeKind.SessionUpdated, ChatChangeKind.SessionCreated, ChatChangeKind.MessageDeleted, ChatChangeKind.SessionDeleted],
            (await h.SettledChangesAsync()).Select(c => c.Kind));
    }

    // ------------------------------------------------------------ sessions and the active session

    [Fact]
    public async Task Create_session_activates_it_and_deactivates_the_previous_one_everywhere()
    {
        ChatSession a = null!;
        await using var h = await StoreHarness.StartAsync(db => a = db.SeedSession("a", active: true));
        var created = await h.Store.CreateSessionAsync("new chat");
        Assert.True(created.IsActive);
        Assert.Equal(created.Id, h.Store.GetActiveSession()!.Id);
        Assert.False(h.Session(a.Id).IsActive);
        Assert.Equal(h.DumpDb(), h.Dump());
        Assert.Single(h.Store.GetSessions(), s => s.IsActive);
    }

    [Fact]
    public async Task Active_session_follows_a_switch_made_in_another_tab()
    {
        ChatSession a = null!, b = null!;
        await using var h = await StoreHarness.StartAsync(db => { a = db.SeedSession("a", active: true); b = db.SeedSession("b"); });
        // another tab calls the RPC: the fake database emits the two updates
        await h.Db.SetActiveSessionAsync(b.Id, CancellationToken.None);
        Assert.Equal(b.Id, h.Store.GetActiveSession()!.Id);
        Assert.False(h.Session(a.Id).IsActive);
        await h.Store.SwitchToSessionAsync(a.Id);
        Assert.Equal(a.Id, h.Store.GetActiveSession()!.Id);
        Assert.Equal(h.DumpDb(), h.Dump());
    }

    [Fact]
    public async Task Delete_and_clear_all_remove_sessions_at_once()
    {
        ChatSession a = null!, b = null!;
        await using var h = await StoreHarness.StartAsync(db => { a = db.SeedSession("a"); b = db.SeedSession("b"); db.SeedMessage(a.Id, "m"); });
        var gate = new TaskCompletionSource();
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.DeleteSessionAsync) ? gate.Task : Task.CompletedTask;
        var delete = h.Store.DeleteSessionAsync(a.Id);
        Assert.Null(h.Store.GetSessionById(a.Id));
        gate.SetResult();
        await delete;
        Assert.Null(h.Store.GetSessionById(a.Id));
        await h.Store.ClearAllSessionsAsync();
        Assert.Empty(h.Store.GetSessions());
        Assert.Empty(h.Db.Snapshot());
        Assert.Equal(2, (await h.SettledChangesAsync()).Count(c => c.Kind == ChatChangeKind.SessionDeleted));
    }

    // ------------------------------------------------------------ reconcile after reconnect

    [Fact]
    public async Task After_a_resubscribe_the_store_emits_exactly_the_missed_changes_and_equals_the_database()
    {
        ChatSession keep = null!, gone = null!;
        ChatMessage edited = null!, removed = null!;
        await using var h = await StoreHarness.StartAsync(db =>
        {
            keep = db.SeedSession("keep");
            gone = db.SeedSession("gone");
            edited = db.SeedMessage(keep.Id, "before");
            removed = db.SeedMessage(keep.Id, "to remove");
            db.SeedMessage(gone.Id, "in gone");
        });

        // while disconnected another tab wrote (no events reach us)
        h.Db.RenameDirect(keep.Id, "kept and renamed");
        h.Db.EditDirect(edited.Id, "after");
        h.Db.DeleteMessageDirect(removed.Id);
        h.Db.DeleteSessionDirect(gone.Id);
        var added = h.Db.SeedSession("added");
        var addedMessage = h.Db.SeedMessage(added.Id, "hello");
        var newInKeep = h.Db.SeedMessage(keep.Id, "new");

        h.Feed.Reconnect();
        await h.Store.WhenReconciledAsync();

        // Only what changed is read: one sync point and the rows and deletions since the last one.
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.GetSyncPointAsync)));
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.LoadChangesSinceAsync)));
        Assert.Equal(0, h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync)));
        Assert.Equal(0, h.Db.CallCount(nameof(IChatDataSource.LoadSessionPageAsync)));
        // A session created meanwhile is held; its messages load when it is opened, as at start.
        Assert.False(h.Session(added.Id).MessagesLoaded);
        await h.Store.LoadMessagesAsync(added.Id);
        Assert.Equal(h.DumpDb(), h.Dump());
        var expected = new HashSet<(ChatChangeKind, Guid)>
        {
            (ChatChangeKind.SessionUpdated, keep.Id),
            (ChatChangeKind.MessageUpdated, edited.Id),
            (ChatChangeKind.MessageDeleted, removed.Id),
            (ChatChangeKind.SessionDeleted, gone.Id),
            (ChatChangeKind.SessionCreated, added.Id),
            (ChatChangeKind.MessageCreated, newInKeep.Id),
        };
        Assert.Equal(1, h.Store.Current.Stats.Reconciliations);
        var changes = await h.SettledChangesAsync();
        Assert.Equal(expected.Count, changes.Count);
        Assert.Equal(expected, changes.Select(c => (c.Kind, c.Id)).ToHashSet());

        // a second reconnect with nothing missed emits nothing (the marker arrived live, so it is not missed either)
        h.ClearChanges();
        h.Feed.Reconnect();
        await h.Store.WhenReconciledAsync();
        Assert.Empty(await h.SettledChangesAsync());
    }

    [Fact]
    public async Task A_change_that_arrives_while_the_refetch_runs_is_not_undone_by_the_older_snapshot()
    {
        ChatSession s = null!;
        ChatMessage m = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); m = db.SeedMessage(s.Id, "v1"); });
        var fetched = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        ChatChangesSince? old = null;
        var capturing = 0;
        var data = new SnapshotOverride(h.Db, _ => old);
        await using var store = new MessageStore(data, h.Feed, StoreHarness.User);
        await store.InitializeAsync(CancellationToken.None);
        await store.LoadMessagesAsync(s.Id);
        var before = await h.Db.GetSyncPointAsync(CancellationToken.None);
        h.Db.BeforeCall = async name =>
        {
            if (name == nameof(IChatDataSource.LoadChangesSinceAsync) && Interlocked.Exchange(ref capturing, 1) == 0)
            {
                old = await h.Db.LoadChangesSinceAsync(before, CancellationToken.None); // comes through here again: once only
                fetched.TrySetResult();
                await release.Task;
            }
        };

        h.Feed.Reconnect();
        await fetched.Task;
        // the snapshot is taken; now new changes arrive before it is applied
        var v2 = h.Db.EditDirect(m.Id, "v2");
        h.Feed.Emit(ChatChange.Updated(v2));
        var late = h.Db.SeedMessage(s.Id, "late");
        h.Feed.Emit(ChatChange.Created(late));
        release.SetResult();
        await store.WhenReconciledAsync();

        var messages = store.GetSessionById(s.Id)!.Messages;
        Assert.Equal(["v2", "late"], messages.Select(x => x.Content));
    }

    [Fact]
    public async Task A_session_changed_while_the_refetch_runs_still_gets_the_messages_it_missed()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => { s = db.SeedSession("s"); db.SeedMessage(s.Id, "before"); });
        // Written while this client was disconnected: no realtime event reaches it.
        h.Db.SeedMessage(s.Id, "missed 1");
        h.Db.SeedMessage(s.Id, "missed 2");
        var fetched = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        h.Db.BeforeCall = async name =>
        {
            if (name == nameof(IChatDataSource.LoadChangesSinceAsync))
            {
                fetched.TrySetResult();
                await release.Task;
            }
        };

        h.Feed.Reconnect();
        await fetched.Task;
        // Another tab renames the session while the snapshot is in flight: the newer row wins, but the
        // snapshot must still bring the messages this client missed.
        h.Feed.Emit(ChatChange.Updated(h.Db.RenameDirect(s.Id, "renamed")));
        release.SetResult();
        await h.Store.WhenReconciledAsync();

        var session = h.Store.GetSessionById(s.Id)!;
        Assert.Equal("renamed", session.Title);
        Assert.Equal(["before", "missed 1", "missed 2"], session.Messages.Select(x => x.Content));
        Assert.Equal(h.DumpDb(), h.Dump());
    }

    [Fact]
    public async Task A_store_whose_first_subscription_failed_still_loads_and_reports_disconnected()
    {
        var feed = new FakeChangeFeed { StartError = new InvalidOperationException("join timed out") };
        var db = new FakeChatDatabase(StoreHarness.User, feed);
        db.SeedSession("s");
        await using var store = new MessageStore(db, feed, StoreHarness.User);
        await store.InitializeAsync(CancellationToken.None);
        Assert.True(store.Current.IsInitialized);
        Assert.False(store.IsRealtimeConnected);
        feed.SetStatus(ChatConnectionState.Connected);
        Assert.True(store.IsRealtimeConnected);
        feed.SetStatus(ChatConnectionState.Connecting);
        Assert.False(store.Current.IsRealtimeConnected);
    }

    // ------------------------------------------------------------ cache bound

    [Fact]
    public async Task Cache_keeps_at_most_the_bound_of_sessions_messages_and_reloads_evicted_ones_on_demand()
    {
        var ids = new List<Guid>();
        await using var h = await StoreHarness.StartAsync(
            db =>
            {
                for (var i = 0; i < 5; i++)
                {
                    var s = db.SeedSession($"s{i}", active: i == 0);
                    ids.Add(s.Id);
                    db.SeedMessage(s.Id, $"m{i}");
                }
            },
            new MessageStoreOptions { MaxCachedSessions = 2 });

        Assert.Equal(2, h.Store.Current.Stats.CachedSessionCount);
        Assert.True(h.Session(ids[0]).MessagesLoaded); // the active one always stays
        Assert.Equal(3, h.Store.Current.Stats.CacheEvictions);
        var evicted = ids.First(id => !h.Session(id).MessagesLoaded);
        Assert.Empty(h.Session(evicted).Messages);

        var messages = await h.Store.LoadMessagesAsync(evicted);
        Assert.Equal($"m{ids.IndexOf(evicted)}", Assert.Single(messages).Content);
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync)));
        Assert.True(h.Session(evicted).MessagesLoaded);
        Assert.Equal(2, h.Store.Current.Stats.CachedSessionCount);
        await h.Store.LoadMessagesAsync(evicted);
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync)));

        // switching to an evicted session reloads its messages too
        var other = ids.First(id => !h.Session(id).MessagesLoaded);
        var switched = await h.Store.SwitchToSessionAsync(other);
        Assert.True(switched.MessagesLoaded);
        Assert.Single(switched.Messages);
        Assert.Equal(2, h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync)));
        Assert.True(h.Store.Current.Stats.CachedSessionCount <= 2);
    }

    [Fact]
    public async Task Sessions_created_over_realtime_keep_the_cache_bound_at_once()
    {
        await using var h = await StoreHarness.StartAsync(_ => { }, new MessageStoreOptions { MaxCachedSessions = 2 });
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var now = DateTimeOffset.UtcNow.AddSeconds(i);
            var session = new ChatSession(Guid.NewGuid(), StoreHarness.User, $"s{i}", false, now, now);
            created.Add(session.Id);
            h.Feed.Emit(ChatChange.Created(session));
            h.Feed.Emit(ChatChange.Created(new ChatMessage(Guid.NewGuid(), session.Id, StoreHarness.User, $"m{i}", true, MessageStatus.Complete, now, now, null)));
            // A burst of sessions from another client must not wait for the periodic sweep to respect the bound.
            Assert.True(h.Store.Current.Stats.CachedSessionCount <= 2);
        }

        Assert.Equal(3, h.Store.Current.Stats.CacheEvictions);
        Assert.True(h.Session(created[^1]).MessagesLoaded); // the newest stay
        Assert.Equal("m4", Assert.Single(h.Session(created[^1]).Messages).Content);
        Assert.False(h.Session(created[0]).MessagesLoaded);
    }

    [Fact]
    public async Task Cache_expiry_drops_idle_sessions_messages_but_not_the_active_ones()
    {
        var clock = new ManualTimeProvider();
        ChatSession active = null!, idle = null!;
        await using var h = await StoreHarness.StartAsync(
            db => { active = db.SeedSession("a", active: true); idle = db.SeedSession("i"); db.SeedMessage(idle.Id, "x"); },
            new MessageStoreOptions { CacheExpiry = TimeSpan.FromMinutes(10), TimeProvider = clock });
        Assert.True(h.Session(idle.Id).MessagesLoaded);
        clock.Advance(TimeSpan.FromMinutes(11));
        h.Store.SweepCache();
        Assert.False(h.Store.Current.Sessions.Single(s => s.Id == idle.Id).MessagesLoaded);
        Assert.True(h.Store.Current.Sessions.Single(s => s.Id == active.Id).MessagesLoaded);
        // realtime events for an evicted session do not resurrect a partial list
        h.Feed.Emit(ChatChange.Created(Msg(idle.Id, "y", DateTimeOffset.UtcNow)));
        Assert.False(h.Store.Current.Sessions.Single(s => s.Id == idle.Id).MessagesLoaded);
        Assert.Equal(["x"], (await h.Store.LoadMessagesAsync(idle.Id)).Select(m => m.Content));
    }

    [Fact]
    public async Task Sessions_created_live_keep_their_messages_until_they_expire()
    {
        var clock = new ManualTimeProvider();
        await using var h = await StoreHarness.StartAsync(options: new MessageStoreOptions { CacheExpiry = TimeSpan.FromMinutes(10), TimeProvider = clock });
        var live = h.Db.SeedSession("from another tab");
        h.Feed.Emit(ChatChange.Created(live));
        var own = await h.Store.CreateSessionAsync("own", activate: false);
        h.Feed.Emit(ChatChange.Created(h.Db.SeedMessage(live.Id, "m")));
        clock.Advance(TimeSpan.FromMinutes(5));
        h.Store.SweepCache();
        await h.Store.RefreshAsync();
        Assert.True(h.Session(live.Id).MessagesLoaded);
        Assert.Single(h.Session(live.Id).Messages);
        Assert.True(h.Session(own.Id).MessagesLoaded);
        clock.Advance(TimeSpan.FromMinutes(11));
        h.Store.SweepCache();
        Assert.False(h.Store.Current.Sessions.Single(s => s.Id == live.Id).MessagesLoaded);
    }

    [Fact]
    public async Task Changes_that_arrive_while_evicted_messages_reload_are_not_lost()
    {
        ChatSession idle = null!;
        ChatMessage x = null!;
        var clock = new ManualTimeProvider();
        await using var h = await StoreHarness.StartAsync(
            db => { db.SeedSession("a", active: true); idle = db.SeedSession("i"); x = db.SeedMessage(idle.Id, "x"); },
            new MessageStoreOptions { CacheExpiry = TimeSpan.FromMinutes(1), TimeProvider = clock });
        clock.Advance(TimeSpan.FromMinutes(2));
        h.Store.SweepCache();
        var release = new TaskCompletionSource();
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.LoadMessagesAsync) ? release.Task : Task.CompletedTask;
        var load = h.Store.LoadMessagesAsync(idle.Id);
        h.Feed.Emit(ChatChange.MessageRemoved(x.Id));
        var y = h.Db.SeedMessage(idle.Id, "y");
        h.Feed.Emit(ChatChange.Created(y));
        release.SetResult(); // the query ran before the delete: it still returns x
        await load;
        Assert.Equal(["y"], h.Session(idle.Id).Messages.Select(m => m.Content));
    }

    // ------------------------------------------------------------ threads and schedulers

    [Fact]
    public async Task Concurrent_actions_and_realtime_events_from_many_threads_keep_a_consistent_state()
    {
        ChatSession a = null!, b = null!;
        await using var h = await StoreHarness.StartAsync(db => { a = db.SeedSession("a"); b = db.SeedSession("b"); });
        // realtime echoes are delivered on other threads, as a socket would
        var writers = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                var m = await h.Store.AddMessageAsync(t % 2 == 0 ? a.Id : b.Id, $"t{t}-{i}");
                if (i % 5 == 0)
                {
                    await h.Store.UpdateMessageAsync(m.Id, content: m.Content + "!");
                }
            }
        }));
        var readers = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var state = h.Store.Current;
                foreach (var s in state.Sessions)
                {
                    Assert.True(s.Messages.SequenceEqual(s.Messages.Order(ChatRowComparer.MessageOrder)));
                }
            }
        });
        await Task.WhenAll(writers.Append(readers));
        Assert.Equal(200, h.Store.Current.Stats.MessageCount);
        Assert.Equal(0, h.Store.Current.Stats.PendingWriteCount);
        Assert.Equal(h.DumpDb(), h.Dump());
        Assert.Equal(200, (await h.SettledChangesAsync()).Count(c => c.Kind == ChatChangeKind.MessageCreated));
    }

    [Fact]
    public async Task State_changes_are_raised_on_the_scheduler_the_app_chose_and_replay_the_current_state()
    {
        using var ui = new EventLoopScheduler(start => new Thread(start) { Name = "ui", IsBackground = true });
        ChatSession s = null!;
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(StoreHarness.User, feed);
        s = db.SeedSession("s");
        await using var store = new MessageStore(db, feed, StoreHarness.User, new MessageStoreOptions { Scheduler = ui });
        await store.InitializeAsync(CancellationToken.None);

        var threads = new List<string?>();
        var seen = new List<MessageStoreState>();
        var got = new TaskCompletionSource();
        using var sub = store.StateChanges.Subscribe(state =>
        {
            lock (seen)
            {
                threads.Add(Thread.CurrentThread.Name);
                seen.Add(state);
                if (state.Sessions.Count == 1 && state.Sessions[0].Messages.Count == 1 && state.Sessions[0].PendingMessageIds.Count == 0)
                {
                    got.TrySetResult();
                }
            }
        });
        await store.AddMessageAsync(s.Id, "hi");
        await got.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (seen)
        {
            Assert.All(threads, t => Assert.Equal("ui", t));
            Assert.True(seen[0].IsInitialized); // replayed current state first
            Assert.Equal(seen.Select(x => x.Version).Order(), seen.Select(x => x.Version)); // in order
        }
    }

    [Fact]
    public async Task Dispose_ends_the_subscription_and_completes_the_streams()
    {
        var h = await StoreHarness.StartAsync(db => db.SeedSession("s"));
        var completed = new TaskCompletionSource();
        h.Store.StateChanges.Subscribe(_ => { }, () => completed.TrySetResult());
        await h.Store.DisposeAsync();
        await completed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(h.Feed.Disposed);
        Assert.False(h.Feed.HasChangeObservers);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => h.Store.CreateSessionAsync());
        await h.Store.DisposeAsync(); // twice is fine
    }

    [Fact]
    public async Task Arguments_are_checked_before_anything_is_sent()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var calls = h.Db.Calls.Values.Sum();
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.AddMessageAsync(Guid.NewGuid(), "x"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => h.Store.AddMessageAsync(s.Id, null!));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.AddMessageAsync(s.Id, new string('x', 100_001)));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.CreateSessionAsync(new string('t', 201)));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.CreateSessionAsync("  "));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.RenameSessionAsync(Guid.NewGuid(), "x"));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.SwitchToSessionAsync(Guid.NewGuid()));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.UpdateMessageAsync(Guid.NewGuid()));
        Assert.Equal(calls, h.Db.Calls.Values.Sum());
        Assert.Throws<ArgumentException>(() => new MessageStore(h.Db, null, Guid.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageStore(h.Db, null, StoreHarness.User, new MessageStoreOptions { MaxCachedSessions = 0 }));
    }

    /// <summary>Serves the changes the test captured instead of those in the database now.</summary>
    private sealed class SnapshotOverride(FakeChatDatabase db, Func<long, ChatChangesSince?> changes) : IChatDataSource
    {
        public Task<IReadOnlyList<ChatSessionRow>> LoadSessionsWithMessagesAsync(CancellationToken cancellationToken) => db.LoadSessionsWithMessagesAsync(cancellationToken);

        public Task<IReadOnlyList<ChatSession>> LoadSessionsAsync(CancellationToken cancellationToken) => db.LoadSessionsAsync(cancellationToken);

        public Task<IReadOnlyList<Guid>> LoadMessageIdsAsync(Guid? sessionId, CancellationToken cancellationToken) => db.LoadMessageIdsAsync(sessionId, cancellationToken);

        public Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken) => db.LoadMessagesAsync(sessionId, cancellationToken);

        public Task<long> GetSyncPointAsync(CancellationToken cancellationToken) => db.GetSyncPointAsync(cancellationToken);

        public Task<IReadOnlyList<ChatSession>> LoadSessionPageAsync(ChatPageKey? before, int limit, CancellationToken cancellationToken) => db.LoadSessionPageAsync(before, limit, cancellationToken);

        public Task<ChatSession?> LoadActiveSessionAsync(CancellationToken cancellationToken) => db.LoadActiveSessionAsync(cancellationToken);

        public Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? before, int limit, CancellationToken cancellationToken) => db.LoadMessagePageAsync(sessionId, before, limit, cancellationToken);

        public async Task<ChatChangesSince> LoadChangesSinceAsync(long syncPoint, CancellationToken cancellationToken)
        {
            var current = await db.LoadChangesSinceAsync(syncPoint, cancellationToken);
            return changes(syncPoint) ?? current;
        }

        public Task<ChatSession> UpsertSessionAsync(ChatSession session, CancellationToken cancellationToken) => db.UpsertSessionAsync(session, cancellationToken);

        public Task<ChatSession?> UpdateSessionAsync(Guid sessionId, System.Text.Json.Nodes.JsonObject patch, CancellationToken cancellationToken) => db.UpdateSessionAsync(sessionId, patch, cancellationToken);

        public Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken) => db.DeleteSessionAsync(sessionId, cancellationToken);

        public Task DeleteAllSessionsAsync(Guid userId, CancellationToken cancellationToken) => db.DeleteAllSessionsAsync(userId, cancellationToken);

        public Task<ChatMessage> UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken) => db.UpsertMessageAsync(message, cancellationToken);

        public Task<ChatMessage?> UpdateMessageAsync(Guid messageId, System.Text.Json.Nodes.JsonObject patch, CancellationToken cancellationToken) => db.UpdateMessageAsync(messageId, patch, cancellationToken);

        public Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken) => db.DeleteMessageAsync(messageId, cancellationToken);

        public Task<IReadOnlyList<ChatSession>> SetActiveSessionAsync(Guid? sessionId, CancellationToken cancellationToken) => db.SetActiveSessionAsync(sessionId, cancellationToken);
    }
}
