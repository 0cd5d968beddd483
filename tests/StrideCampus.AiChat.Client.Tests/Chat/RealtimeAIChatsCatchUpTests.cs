using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>
/// RealtimeAIChats attributes deletes by the deletion log (it names each row's session, and only the owner sees it), so it
/// loads no list of the user's rows, at start or after a resubscription (issue 16); it reads the active session only.
/// </summary>
public class RealtimeAIChatsCatchUpTests
{
    private static readonly Guid User = StoreHarness.User;

    [Fact]
    public async Task A_row_committed_before_changes_flow_has_its_logged_delete_reported_with_no_list_loaded()
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        var session = db.SeedSession("s", active: true);
        ChatMessage inWindow = null!;
        // Committed after the join reply but before "Subscribed to PostgreSQL": never delivered as a change.
        feed.BeforeFlowing = () => inWindow = db.SeedMessage(session.Id, "in the window");
        await using var chats = new RealtimeAIChats(feed, db, User, new RealtimeAIChatsOptions { Scheduler = ImmediateScheduler.Instance });
        await chats.StartAsync();
        Assert.Equal(session.Id, chats.ActiveSessionId);
        Assert.Equal(1, db.CallCount(nameof(FakeChatDatabase.LoadActiveSessionAsync)));
        Assert.Equal(0, db.CallCount(nameof(FakeChatDatabase.LoadMessageIdsAsync)));
        Assert.Equal(0, db.CallCount(nameof(FakeChatDatabase.LoadSessionsAsync)));
        var deleted = new List<Guid>();
        using var sub = chats.MessageDeleted.Subscribe(deleted.Add);
        using var sessions = chats.SessionDeleted.Subscribe(deleted.Add);

        feed.Emit(ChatChange.SessionRemoved(Guid.NewGuid())); // a key-only delete of a row never seen: dropped
        feed.Emit(ChatChange.MessageRemoved(inWindow.Id) with { LoggedSessionId = session.Id });
        Assert.Equal([inWindow.Id], deleted);
    }

    [Fact]
    public async Task With_a_session_filter_logged_deletes_of_other_sessions_messages_are_dropped()
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        var watched = db.SeedSession("watched");
        var other = db.SeedSession("other");
        await using var chats = new RealtimeAIChats(feed, db, User, new RealtimeAIChatsOptions { SessionId = watched.Id, Scheduler = ImmediateScheduler.Instance });
        await chats.StartAsync();
        var deleted = new List<Guid>();
        using var sub = chats.MessageDeleted.Subscribe(id => { lock (deleted) { deleted.Add(id); } });

        var mine = Guid.NewGuid();
        feed.Reconnect(); // a resubscription reads the active session again, and nothing more
        feed.Emit(ChatChange.MessageRemoved(Guid.NewGuid()) with { LoggedSessionId = other.Id });
        feed.Emit(ChatChange.MessageRemoved(mine) with { LoggedSessionId = watched.Id });
        await Eventually.TrueAsync(() => db.CallCount(nameof(FakeChatDatabase.LoadActiveSessionAsync)) == 2, "the active session is read again");
        Assert.Equal(0, db.CallCount(nameof(FakeChatDatabase.LoadMessageIdsAsync)));
        lock (deleted)
        {
            Assert.Equal([mine], deleted);
        }
    }
}
