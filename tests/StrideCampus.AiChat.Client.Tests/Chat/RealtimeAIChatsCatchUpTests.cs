using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>
/// RealtimeAIChats learns which rows are the user's (to attribute deletes, which carry only an id) once changes flow,
/// and again whenever they may have been missed (issue 13, points 3 and 4).
/// </summary>
public class RealtimeAIChatsCatchUpTests
{
    private static readonly Guid User = StoreHarness.User;

    [Fact]
    public async Task A_row_committed_before_changes_flow_is_known_so_its_delete_is_reported()
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        var session = db.SeedSession("s");
        ChatMessage inWindow = null!;
        // Committed after the join reply but before "Subscribed to PostgreSQL": never delivered as a change.
        ChatSession theirs = null!;
        feed.BeforeFlowing = () =>
        {
            inWindow = db.SeedMessage(session.Id, "in the window");
            theirs = db.SeedSession("another user's", userId: Guid.NewGuid());
        };
        await using var chats = new RealtimeAIChats(feed, db, User);
        await chats.StartAsync();
        var deleted = new List<Guid>();
        using var sub = chats.MessageDeleted.Subscribe(deleted.Add);
        using var sessions = chats.SessionDeleted.Subscribe(deleted.Add);

        feed.Emit(ChatChange.SessionRemoved(theirs.Id));
        feed.Emit(ChatChange.MessageRemoved(inWindow.Id));
        Assert.Equal([inWindow.Id], deleted);
    }

    [Fact]
    public async Task After_a_resubscription_rows_missed_meanwhile_are_learned_and_their_deletes_reported()
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        var session = db.SeedSession("s");
        await using var chats = new RealtimeAIChats(feed, db, User);
        await chats.StartAsync();
        var deleted = new List<Guid>();
        using var sub = chats.MessageDeleted.Subscribe(id => { lock (deleted) { deleted.Add(id); } });

        // Change capture restarted on the server: this insert was lost, then "Subscribed to PostgreSQL" came again.
        var missed = db.SeedMessage(session.Id, "missed");
        feed.Reconnect();
        feed.Emit(ChatChange.MessageRemoved(missed.Id));
        feed.Emit(ChatChange.MessageRemoved(Guid.NewGuid())); // another user's row: never reported
        await Eventually.TrueAsync(() => { lock (deleted) { return deleted.Count == 1; } }, "the missed row's delete is reported");
        Assert.Equal(2, db.CallCount(nameof(FakeChatDatabase.LoadMessageIdsAsync)));
        lock (deleted)
        {
            Assert.Equal([missed.Id], deleted);
        }
    }
}
