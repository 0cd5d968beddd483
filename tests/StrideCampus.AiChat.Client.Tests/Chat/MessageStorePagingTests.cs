using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>Opening with a page and paging on demand (issue 16), over the in-memory database.</summary>
public class MessageStorePagingTests
{
    private static MessageStoreOptions Pages(int sessions, int messages) => new() { SessionPageSize = sessions, MessagePageSize = messages };

    [Fact]
    public async Task Opens_with_the_newest_page_of_sessions_plus_an_older_active_one_and_pages_the_rest_in_order()
    {
        var ids = new List<Guid>();
        await using var h = await StoreHarness.StartAsync(openAll: false, options: Pages(3, 5), seed: db =>
        {
            for (var i = 0; i < 8; i++)
            {
                ids.Add(db.SeedSession($"s{i}", active: i == 0).Id); // the active one is the oldest
            }
        });

        var state = h.Store.Current;
        Assert.True(state.IsInitialized);
        Assert.True(state.HasMoreSessions);
        Assert.Equal([ids[7], ids[6], ids[5], ids[0]], state.Sessions.Select(s => s.Id));
        Assert.Equal(ids[0], state.ActiveSession!.Id);
        Assert.True(state.ActiveSession.MessagesLoaded);
        Assert.Equal(1, h.Db.CallCount(nameof(IChatDataSource.LoadActiveSessionAsync)));

        var pages = 0;
        while (h.Store.Current.HasMoreSessions)
        {
            await h.Store.LoadMoreSessionsAsync();
            Assert.True(++pages <= 3, string.Join(",", h.Store.Current.Sessions.Select(x => x.Title)));
        }

        Assert.Equal(2, pages);
        Assert.Equal(Enumerable.Reverse(ids), h.Store.Current.Sessions.Select(s => s.Id));
        Assert.Equal(h.Store.Current.Sessions, await h.Store.LoadMoreSessionsAsync()); // nothing more: no request
        Assert.Equal(3, h.Db.CallCount(nameof(IChatDataSource.LoadSessionPageAsync)));
        Assert.Empty(await h.SettledChangesAsync()); // loading is state, not changes
    }

    [Fact]
    public async Task Older_messages_load_page_by_page_in_chronological_order_merging_a_live_message_that_arrives_meanwhile()
    {
        ChatSession s = null!;
        var contents = Enumerable.Range(0, 12).Select(i => $"m{i:D2}").ToList();
        await using var h = await StoreHarness.StartAsync(openAll: false, options: Pages(10, 5), seed: db =>
        {
            s = db.SeedSession("s", active: true);
            contents.ForEach(c => db.SeedMessage(s.Id, c));
        });

        var session = h.Session(s.Id);
        Assert.Equal(contents[7..], session.Messages.Select(m => m.Content));
        Assert.True(session.HasOlderMessages);

        var gate = new TaskCompletionSource();
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.LoadMessagePageAsync) ? gate.Task : Task.CompletedTask;
        var older = h.Store.LoadOlderMessagesAsync(s.Id);
        var live = h.Db.SeedMessage(s.Id, "live");
        h.Feed.Emit(ChatChange.Created(live));
        gate.SetResult();
        await older;
        Assert.Equal([.. contents[2..], "live"], h.Session(s.Id).Messages.Select(m => m.Content));
        Assert.True(h.Session(s.Id).HasOlderMessages);

        await h.Store.LoadOlderMessagesAsync(s.Id);
        Assert.Equal([.. contents, "live"], h.Session(s.Id).Messages.Select(m => m.Content));
        Assert.False(h.Session(s.Id).HasOlderMessages);
        var calls = h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync));
        await h.Store.LoadOlderMessagesAsync(s.Id); // none older: no request
        Assert.Equal(calls, h.Db.CallCount(nameof(IChatDataSource.LoadMessagePageAsync)));
        Assert.Equal(h.DumpDb(), h.Dump());
    }

    [Fact]
    public async Task A_change_to_a_message_older_than_the_pages_held_waits_for_its_page()
    {
        ChatSession s = null!;
        var rows = new List<ChatMessage>();
        await using var h = await StoreHarness.StartAsync(openAll: false, options: Pages(10, 3), seed: db =>
        {
            s = db.SeedSession("s", active: true);
            for (var i = 0; i < 6; i++)
            {
                rows.Add(db.SeedMessage(s.Id, $"m{i}"));
            }
        });

        var edited = h.Db.EditDirect(rows[0].Id, "edited");
        h.Feed.Emit(ChatChange.Updated(edited));
        Assert.Equal(["m3", "m4", "m5"], h.Session(s.Id).Messages.Select(m => m.Content)); // no gap in the list

        await h.Store.LoadOlderMessagesAsync(s.Id);
        Assert.Equal(["edited", "m1", "m2", "m3", "m4", "m5"], h.Session(s.Id).Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task A_session_deleted_while_its_page_is_read_does_not_come_back()
    {
        var ids = new List<Guid>();
        await using var h = await StoreHarness.StartAsync(openAll: false, options: Pages(2, 5), seed: db =>
        {
            for (var i = 0; i < 4; i++)
            {
                ids.Add(db.SeedSession($"s{i}").Id);
            }
        });

        // The page is read before the delete commits, and applied after its event arrived.
        var stale = (await h.Db.LoadSessionPageAsync(ChatPageKey.Of(h.Store.Current.Sessions[^1].Session), 2, CancellationToken.None)).ToList();
        var data = new StalePageSource(h.Db, stale);
        await using var store = new MessageStore(data, h.Feed, StoreHarness.User, Pages(2, 5));
        await store.InitializeAsync(CancellationToken.None);
        h.Db.DeleteSessionDirect(ids[1]);
        h.Feed.Emit(ChatChange.SessionRemoved(ids[1]));
        await store.LoadMoreSessionsAsync();
        Assert.Equal([ids[3], ids[2], ids[0]], store.Current.Sessions.Select(x => x.Id));
    }

    [Fact]
    public async Task A_session_insert_delivered_late_does_not_hide_the_messages_the_session_already_has()
    {
        // Realtime matches a change to the subscriptions when it decodes the WAL, not when it commits: an insert
        // committed just before this client subscribed can still arrive after it (supabase/realtime
        // lib/extensions/postgres_cdc_rls/replication_poller.ex polls list_changes against the subscriptions then
        // present). Under load LocalStack does the same. Such a session may have messages, so its insert must not
        // stand for "a new session with no messages".
        ChatSession old = null!;
        await using var h = await StoreHarness.StartAsync(openAll: false, options: Pages(2, 5), seed: db =>
        {
            old = db.SeedSession("older than the first page");
            db.SeedMessage(old.Id, "m0");
            db.SeedMessage(old.Id, "m1");
            db.SeedSession("s1");
            db.SeedSession("s2");
        });
        Assert.DoesNotContain(h.Store.Current.Sessions, s => s.Id == old.Id);

        h.Feed.Emit(ChatChange.Created(old));
        await h.SettledChangesAsync();

        Assert.Equal(["m0", "m1"], (await h.Store.LoadMessagesAsync(old.Id)).Select(m => m.Content));
        Assert.Equal(["m0", "m1"], h.Session(old.Id).Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task Page_sizes_must_stay_below_max_rows()
    {
        var db = new FakeChatDatabase(StoreHarness.User);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageStore(db, null, StoreHarness.User, new MessageStoreOptions { SessionPageSize = 1000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageStore(db, null, StoreHarness.User, new MessageStoreOptions { MessagePageSize = 0 }));
        await using var store = new MessageStore(db, null, StoreHarness.User, new MessageStoreOptions { SessionPageSize = 999, MessagePageSize = 999 });
    }

    /// <summary>Serves a page read earlier (before a delete) for the next older-sessions request.</summary>
    private sealed class StalePageSource(FakeChatDatabase db, IReadOnlyList<ChatSession> stale) : DelegatingChatDataSource(db)
    {
        public override Task<IReadOnlyList<ChatSession>> LoadSessionPageAsync(ChatPageKey? before, int limit, CancellationToken cancellationToken) =>
            before is null ? base.LoadSessionPageAsync(before, limit, cancellationToken) : Task.FromResult(stale);
    }
}
