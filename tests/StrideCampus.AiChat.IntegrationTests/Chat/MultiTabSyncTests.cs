using System.Collections.Concurrent;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>Two clients ("tabs") of one user, and a second user, against LocalStack.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class MultiTabSyncTests(LocalStackFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private async Task<(ChatTab A, ChatTab B, Guid User)> TwoTabsAsync(MessageStoreOptions? optionsA = null)
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var a = await ChatTab.OpenAsync(fixture.Stack, user, optionsA);
        var b = await ChatTab.OpenAsync(fixture.Stack, user);
        Assert.True(a.Store.IsRealtimeConnected);
        Assert.True(b.Store.IsRealtimeConnected);
        return (a, b, user);
    }

    [Fact]
    public async Task A_session_created_renamed_and_deleted_in_one_tab_appears_in_the_other()
    {
        var (a, b, _) = await TwoTabsAsync();
        await using var _a = a;
        await using var _b = b;

        var session = await a.Store.CreateSessionAsync("first chat");
        await Eventually.TrueAsync(() => b.Store.GetSessionById(session.Id) is not null, "B sees the new session");
        await Eventually.TrueAsync(() => b.Store.GetActiveSession()?.Id == session.Id, "B sees it active");

        await a.Store.RenameSessionAsync(session.Id, "renamed chat");
        await Eventually.TrueAsync(() => b.Store.GetSessionById(session.Id)?.Title == "renamed chat", "B sees the rename");

        await b.Store.DeleteSessionAsync(session.Id);
        await Eventually.TrueAsync(() => a.Store.GetSessionById(session.Id) is null, "A sees the delete");
        Assert.Equal(await a.DatabaseDumpAsync(), a.StoreDump());
        Assert.Equal(await b.DatabaseDumpAsync(), b.StoreDump());
    }

    [Fact]
    public async Task Messages_written_in_both_tabs_appear_in_every_tab_in_chronological_order()
    {
        var (a, b, _) = await TwoTabsAsync();
        await using var _a = a;
        await using var _b = b;
        var session = await a.Store.CreateSessionAsync("chat");
        await Eventually.TrueAsync(() => b.Store.GetSessionById(session.Id) is not null, "B sees the session");

        var writes = new List<Task>();
        for (var i = 0; i < 15; i++)
        {
            writes.Add(a.Store.AddMessageAsync(session.Id, $"a{i}"));
            writes.Add(b.Store.AddMessageAsync(session.Id, $"b{i}", isUser: false));
        }

        await Task.WhenAll(writes);
        var expected = await a.DatabaseDumpAsync();
        try
        {
            await Eventually.TrueAsync(() => a.StoreDump() == expected && b.StoreDump() == expected, "both tabs hold the database's 30 messages in order");
        }
        catch (Exception)
        {
            Assert.Equal(expected, a.StoreDump());
            Assert.Equal(expected, b.StoreDump());
        }

        var messages = b.Store.GetSessionById(session.Id)!.Messages;
        Assert.Equal(30, messages.Count);
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.CreatedAt <= p.Second.CreatedAt));

        // message updates and deletes too
        var target = messages[3];
        await a.Store.UpdateMessageAsync(target.Id, content: "edited");
        await Eventually.TrueAsync(() => b.Store.GetSessionById(session.Id)!.Messages.Any(m => m.Content == "edited"), "B sees the edit");
        await b.Store.DeleteMessageAsync(target.Id);
        await Eventually.TrueAsync(() => a.Store.GetSessionById(session.Id)!.Messages.All(m => m.Id != target.Id), "A sees the delete");
    }

    [Fact]
    public async Task Switching_the_active_session_in_one_tab_switches_it_in_the_other()
    {
        var (a, b, user) = await TwoTabsAsync();
        await using var _a = a;
        await using var _b = b;
        await using var chats = await RealtimeAIChats.CreateAsync(b.Realtime, b.Rest, user);
        var activeChanges = new ConcurrentQueue<Guid?>();
        using var sub = chats.ActiveSessionChanged.Subscribe(activeChanges.Enqueue);

        var first = await a.Store.CreateSessionAsync("first");
        var second = await a.Store.CreateSessionAsync("second");
        await Eventually.TrueAsync(() => b.Store.GetActiveSession()?.Id == second.Id, "B follows to the second session");

        await b.Store.SwitchToSessionAsync(first.Id);
        await Eventually.TrueAsync(() => a.Store.GetActiveSession()?.Id == first.Id, "A follows B's switch");
        Assert.Single(a.Store.GetSessions(), s => s.IsActive);
        Assert.Single(b.Store.GetSessions(), s => s.IsActive);
        await Eventually.TrueAsync(() => activeChanges.LastOrDefault() == first.Id, "RealtimeAIChats reports the switch");
        Assert.Equal([first.Id, second.Id, first.Id], activeChanges.Where(id => id is not null).ToArray());
    }

    [Fact]
    public async Task A_streamed_reply_grows_in_the_other_tab_and_ends_with_the_exact_text()
    {
        var (a, b, user) = await TwoTabsAsync(new MessageStoreOptions { MaxStreamWritesPerSecond = 10 });
        await using var _a = a;
        await using var _b = b;
        var session = await a.Store.CreateSessionAsync("stream");
        await using var chats = await RealtimeAIChats.CreateAsync(b.Realtime, b.Rest, user, new RealtimeAIChatsOptions { SessionId = session.Id });
        var seenInB = new ConcurrentQueue<ChatMessage>();
        using var s1 = chats.MessageCreated.Subscribe(seenInB.Enqueue);
        using var s2 = chats.MessageUpdated.Subscribe(seenInB.Enqueue);

        var tokens = Enumerable.Range(0, 300).Select(i => $"tok{i} ").ToList();
        var expected = string.Concat(tokens);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var row = await a.Store.StreamAssistantReplyAsync(session.Id, TokenStream.Paced(tokens, TimeSpan.FromMilliseconds(3)));
        var elapsed = started.Elapsed;
        Assert.Equal(expected, row.Content);

        await Eventually.TrueAsync(
            () => b.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault() is { Status: MessageStatus.Complete } m && m.Content == expected,
            "B ends with the exact text");
        await Eventually.TrueAsync(() => seenInB.Any(m => m.Status == MessageStatus.Complete), "RealtimeAIChats saw the end");
        var updates = seenInB.Where(m => m.Id == row.Id).ToList();
        output.WriteLine($"{tokens.Count} tokens in {elapsed.TotalMilliseconds:F0} ms -> {updates.Count} row versions seen in B");
        Assert.True(updates.Count >= 3, $"B watched it grow ({updates.Count} events)");
        Assert.Equal(MessageStatus.Streaming, updates[0].Status);
        Assert.All(updates, u => Assert.StartsWith(u.Content, expected, StringComparison.Ordinal));
        Assert.True(updates.Zip(updates.Skip(1)).All(p => p.First.Content.Length <= p.Second.Content.Length), "content only grows");
        // At most 10 writes a second while the tokens came (about 1 s; longer on a loaded machine), plus the first
        // and the last: far fewer writes than tokens.
        var allowed = (int)Math.Ceiling(elapsed.TotalSeconds * 10) + 3;
        Assert.True(updates.Count <= allowed, $"{updates.Count} database writes for {tokens.Count} tokens in {elapsed.TotalMilliseconds:F0} ms (at most {allowed})");
        Assert.True(updates.Count < tokens.Count / 2, $"{updates.Count} database writes for {tokens.Count} tokens");
    }

    [Fact]
    public async Task After_a_forced_reconnect_during_which_the_other_tab_wrote_the_store_equals_the_database()
    {
        var (a, b, _) = await TwoTabsAsync();
        await using var _a = a;
        await using var _b = b;
        var keep = await b.Store.CreateSessionAsync("keep");
        var doomed = await b.Store.CreateSessionAsync("doomed", activate: false);
        var edited = await b.Store.AddMessageAsync(keep.Id, "before");
        var removed = await b.Store.AddMessageAsync(keep.Id, "to remove");
        var expectedBefore = await a.DatabaseDumpAsync();
        try
        {
            await Eventually.TrueAsync(() => a.StoreDump() == expectedBefore, "A is in sync before the drop");
        }
        catch (Exception)
        {
            Assert.Equal(expectedBefore, a.StoreDump());
        }

        var changes = new ConcurrentQueue<ChatChange>();
        using var sub = a.Store.Changes.Subscribe(changes.Enqueue);
        await using var indicatorA = await RealtimeAIChats.CreateAsync(a.Realtime, a.Rest, a.UserId);
        await using var indicatorB = await RealtimeAIChats.CreateAsync(b.Realtime, b.Rest, b.UserId);
        var statusesA = new ConcurrentQueue<ChatConnectionState>();
        var statusesB = new ConcurrentQueue<ChatConnectionState>();
        using var s1 = indicatorA.ConnectionStatus.Subscribe(st => statusesA.Enqueue(st.State));
        using var s2 = indicatorB.ConnectionStatus.Subscribe(st => statusesB.Enqueue(st.State));

        a.DropRealtimeSocket();
        await Eventually.TrueAsync(() => !a.Store.IsRealtimeConnected, "A notices the drop");
        // B writes while A is disconnected (A reconnects after 1.5 s)
        await b.Store.RenameSessionAsync(keep.Id, "kept");
        await b.Store.UpdateMessageAsync(edited.Id, content: "after");
        await b.Store.DeleteMessageAsync(removed.Id);
        await b.Store.DeleteSessionAsync(doomed.Id);
        var added = await b.Store.CreateSessionAsync("added while A was away");
        var addedMessage = await b.Store.AddMessageAsync(added.Id, "hello");
        Assert.False(a.Store.IsRealtimeConnected);

        var expected = await a.DatabaseDumpAsync();
        await Eventually.TrueAsync(() => a.Store.IsRealtimeConnected, $"A reconnects (realtime {a.Realtime.State})", TimeSpan.FromSeconds(30));
        try
        {
            await Eventually.TrueAsync(() => a.StoreDump() == expected, "A reconciled", TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            Assert.Equal(expected, a.StoreDump() + "\nreconciliations=" + a.Store.Current.Stats.Reconciliations);
        }

        Assert.Equal(expected, b.StoreDump());
        Assert.True(a.Store.Current.Stats.Reconciliations >= 1);
        var kinds = changes.Select(c => (c.Kind, c.Id)).ToHashSet();
        Assert.Contains((ChatChangeKind.SessionUpdated, keep.Id), kinds);
        Assert.Contains((ChatChangeKind.MessageUpdated, edited.Id), kinds);
        Assert.Contains((ChatChangeKind.MessageDeleted, removed.Id), kinds);
        Assert.Contains((ChatChangeKind.SessionDeleted, doomed.Id), kinds);
        Assert.Contains((ChatChangeKind.SessionCreated, added.Id), kinds);
        // The added session became the active one, so A loads its newest page (state, like any page load).
        Assert.Contains(addedMessage.Id, a.Store.GetSessionById(added.Id)!.Messages.Select(m => m.Id));

        // the connection indicator of every subscription on A's socket went through the drop; B's never moved
        await Eventually.TrueAsync(() => indicatorA.IsConnected, "A's indicator is live again");
        Assert.Equal([ChatConnectionState.Connected, ChatConnectionState.Connecting, ChatConnectionState.Connected], statusesA.ToArray());
        Assert.Equal([ChatConnectionState.Connected], statusesB.ToArray());

        // and live updates flow again
        await b.Store.AddMessageAsync(added.Id, "after reconnect");
        await Eventually.TrueAsync(() => a.Store.GetSessionById(added.Id)!.Messages.Count == 2, "A receives live changes again");
    }

    [Fact]
    public async Task Another_user_sees_none_of_it()
    {
        var (a, b, _) = await TwoTabsAsync();
        await using var _a = a;
        await using var _b = b;
        var otherUser = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var other = await ChatTab.OpenAsync(fixture.Stack, otherUser);
        await using var otherChats = await RealtimeAIChats.CreateAsync(other.Realtime, other.Rest, otherUser);
        var leaked = new ConcurrentQueue<ChatChange>();
        using var s1 = otherChats.Changes.Subscribe(leaked.Enqueue);
        using var s2 = other.Store.Changes.Subscribe(leaked.Enqueue);
        var ownSession = await other.Store.CreateSessionAsync("mine");

        var session = await a.Store.CreateSessionAsync("secret");
        await a.Store.AddMessageAsync(session.Id, "secret message");
        await a.Store.StreamAssistantReplyAsync(session.Id, TokenStream.Paced(["se", "cret ", "reply"], TimeSpan.Zero));
        await a.Store.RenameSessionAsync(session.Id, "still secret");
        await b.Store.ClearAllSessionsAsync();
        await Eventually.TrueAsync(() => a.Store.GetSessions().Count == 0, "A sees the clear");
        await Task.Delay(300); // let any stray event arrive

        Assert.All(leaked, c => Assert.Equal(ownSession.Id, c is MessageChange m ? m.Message.SessionId : c.Id));
        Assert.Equal([ownSession.Id], other.Store.GetSessions().Select(s => s.Id));
        Assert.Equal(ownSession.Id, other.Store.GetActiveSession()!.Id);
        // and the other user's reads through REST return nothing of the first user
        Assert.DoesNotContain("secret", await other.DatabaseDumpAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealtimeAIChats_filtered_to_one_session_reports_only_its_messages_and_deletes_of_known_rows()
    {
        var (a, _, user) = await TwoTabsAsync();
        await using var _a = a;
        var watched = await a.Store.CreateSessionAsync("watched");
        var elsewhere = await a.Store.CreateSessionAsync("elsewhere");
        var old = await a.Store.AddMessageAsync(watched.Id, "old");
        var log = new ConcurrentQueue<string>();
        var callbacks = new RealtimeAIChatsCallbacks
        {
            OnMessageCreated = m => log.Enqueue("created " + m.Content),
            OnMessageDeleted = id => log.Enqueue(id == old.Id ? "deleted old" : "deleted other"),
            OnSessionDeleted = id => log.Enqueue(id == elsewhere.Id ? "session elsewhere deleted" : "session deleted"),
        };
        await using var chats = await RealtimeAIChats.CreateAsync(
            a.Realtime, a.Rest, user, new RealtimeAIChatsOptions { SessionId = watched.Id, Callbacks = callbacks });
        Assert.True(chats.IsConnected);

        await a.Store.AddMessageAsync(elsewhere.Id, "not watched");
        await a.Store.AddMessageAsync(watched.Id, "watched");
        await a.Store.DeleteMessageAsync(old.Id);
        await a.Store.DeleteSessionAsync(elsewhere.Id);
        await Eventually.TrueAsync(() => log.Contains("session elsewhere deleted"), "the session delete arrives");
        await Task.Delay(200);
        // "created old" may still arrive: old was committed before the join, but realtime delivers asynchronously.
        Assert.Equal(["created watched", "deleted old", "session elsewhere deleted"], log.Where(l => l != "created old").ToArray());
    }
}
