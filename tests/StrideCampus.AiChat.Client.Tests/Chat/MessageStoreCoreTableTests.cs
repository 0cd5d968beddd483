using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>
/// The store's state core as a table: each row is the events that set the state up, one event, and what that event
/// must publish and leave visible. The rows are kept here by name (xUnit shows each name as its own case).
/// </summary>
public class MessageStoreCoreTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid User = new("00000000-0000-0000-0000-0000000000aa");
    private static readonly Guid S = new("00000000-0000-0000-0000-000000000001");
    private static readonly Guid S2 = new("00000000-0000-0000-0000-000000000002");
    private static readonly Guid M1 = new("00000000-0000-0000-0000-000000000011");
    private static readonly Guid M2 = new("00000000-0000-0000-0000-000000000012");
    private static readonly Guid M9 = new("00000000-0000-0000-0000-000000000019");

    private static readonly Dictionary<Guid, string> Names = new() { [S] = "S", [S2] = "S2", [M1] = "M1", [M2] = "M2", [M9] = "M9" };

    /// <summary>The core's clock: every row runs at the same instant.</summary>
    private const long Clock = 1_000;

    private static readonly StoreEvent Opened = new StoreEvent.SessionConfirmed(Session("t", 0), IsNew: true);

    private static readonly Dictionary<string, Row> Rows = new Row[]
    {
        // ---- rows the server confirmed
        new("a confirmed message is created", [Opened],
            Confirmed(Msg(M1, "a", 1)), ["MessageCreated M1 a"], ["S t", "  M1 a"], Applied: true),
        new("the same row again is an echo: nothing published", [Opened, Confirmed(Msg(M1, "a", 1))],
            Confirmed(Msg(M1, "a", 2)), [], ["S t", "  M1 a"], Applied: false),
        new("an update older than the row held is ignored (out of order)", [Opened, Confirmed(Msg(M1, "b", 2))],
            Realtime(ChatChange.Updated(Msg(M1, "a", 1))), [], ["S t", "  M1 b"], Applied: false),
        new("a newer update applies", [Opened, Confirmed(Msg(M1, "a", 1))],
            Realtime(ChatChange.Updated(Msg(M1, "b", 2))), ["MessageUpdated M1 b"], ["S t", "  M1 b"], Applied: true),
        new("a session update older than the row held is ignored", [Opened, new StoreEvent.SessionConfirmed(Session("t2", 2), false)],
            Realtime(ChatChange.Updated(Session("t1", 1))), [], ["S t2"], Applied: false),

        // ---- deletes and tombstones
        new("a message delete removes it", [Opened, Confirmed(Msg(M1, "a", 1))],
            new StoreEvent.MessageDeleted(M1), ["MessageDeleted M1"], ["S t"], Applied: true),
        new("a delete of a row never held is ignored", [Opened],
            Realtime(ChatChange.MessageRemoved(M9)), [], ["S t"], Applied: false),
        new("an insert arriving after its delete stays deleted (tombstone)", [Opened, Confirmed(Msg(M1, "a", 1)), new StoreEvent.MessageDeleted(M1)],
            Realtime(ChatChange.Created(Msg(M1, "a", 1))), [], ["S t"], Applied: false),
        new("a delete arriving before its row's insert wins too", [Opened, Realtime(ChatChange.MessageRemoved(M1))],
            Realtime(ChatChange.Created(Msg(M1, "a", 1))), [], ["S t"], Applied: false),
        new("a session update after the session's delete stays deleted", [Opened, new StoreEvent.SessionDeleted(S)],
            Realtime(ChatChange.Updated(Session("t", 5))), [], [], Applied: false),

        // ---- this client's optimistic writes
        new("a pending message shows at once and publishes no change", [Opened],
            Pending(Msg(M1, "a", 0)), [], ["S t", "  M1 a *"], Applied: true),
        new("a pending message in a session whose messages are not held is refused", [new StoreEvent.SessionConfirmed(Session("t", 0), false)],
            Pending(Msg(M1, "a", 0)), [], ["S t -"], Applied: false),
        new("the realtime echo of a pending write is published, the pending value still shows", [Opened, Pending(Msg(M1, "a", 0))],
            Realtime(ChatChange.Created(Msg(M1, "a", 1))), ["MessageCreated M1 a"], ["S t", "  M1 a *"], Applied: true),
        new("a confirm after the realtime echo is an echo", [Opened, Pending(Msg(M1, "a", 0)), Realtime(ChatChange.Created(Msg(M1, "a", 1)))],
            Confirmed(Msg(M1, "a", 1)), [], ["S t", "  M1 a *"], Applied: false),
        new("the write ends after its confirm: the server row shows", [Opened, Pending(Msg(M1, "a", 0)), Realtime(ChatChange.Created(Msg(M1, "a", 1))), Confirmed(Msg(M1, "a", 1))],
            Ended(M1), [], ["S t", "  M1 a"], Applied: true),
        new("a rolled back insert disappears", [Opened, Pending(Msg(M1, "a", 0))],
            Ended(M1), [], ["S t"], Applied: true),
        new("a rolled back edit shows the server row again", [Opened, Confirmed(Msg(M1, "a", 1)), Pending(Msg(M1, "b", 1))],
            Ended(M1), [], ["S t", "  M1 a"], Applied: true),
        new("a pending value grows (a streamed reply)", [Opened, Pending(Msg(M1, "a", 0, MessageStatus.Streaming))],
            new StoreEvent.PendingMessageChanged(1, M1, Msg(M1, "ab", 0, MessageStatus.Streaming)), [], ["S t", "  M1 ab *"], Applied: true),
        new("a pending session delete hides it", [Opened],
            new StoreEvent.PendingSessionShown(1, S, null), [], [], Applied: true),
        new("a rolled back session delete shows it again", [Opened, new StoreEvent.PendingSessionShown(1, S, null)],
            new StoreEvent.PendingWriteEnded(1, [S], null), [], ["S t"], Applied: true),

        // ---- relayed text of another client's streamed reply
        new("relayed text that continues the row shows ahead of the database", [Opened, Realtime(ChatChange.Created(Msg(M1, "ab", 1, MessageStatus.Streaming)))],
            new StoreEvent.RelayedText(new StreamDelta(M1, S, 2, "cd")), ["MessageUpdated M1 abcd"], ["S t", "  M1 abcd"], Applied: true),
        new("relayed text that does not line up is ignored", [Opened, Realtime(ChatChange.Created(Msg(M1, "ab", 1, MessageStatus.Streaming)))],
            new StoreEvent.RelayedText(new StreamDelta(M1, S, 5, "cd")), [], ["S t", "  M1 ab"], Applied: false),
        new("relayed text the database never caught up with expires", [Opened, Realtime(ChatChange.Created(Msg(M1, "ab", 1, MessageStatus.Streaming))), new StoreEvent.RelayedText(new StreamDelta(M1, S, 2, "cd"))],
            new StoreEvent.RelayedTextExpired(Clock + 500, 500), ["MessageUpdated M1 ab"], ["S t", "  M1 ab"], Applied: true),
        new("relayed text arriving before its row is replayed when the row comes", [Opened, new StoreEvent.RelayedText(new StreamDelta(M1, S, 2, "cd"))],
            Realtime(ChatChange.Created(Msg(M1, "ab", 1, MessageStatus.Streaming))), ["MessageCreated M1 ab", "MessageUpdated M1 abcd"], ["S t", "  M1 abcd"], Applied: true),

        // ---- pages
        new("a page of sessions publishes nothing (it is the state)", [],
            new StoreEvent.SessionPageLoaded(null, [Session("t", 0)], 10), [], ["S t -"], Applied: true),
        new("a session read on its own publishes nothing", [],
            new StoreEvent.SessionLoaded(Session("t", 0)), [], ["S t -"], Applied: true),
        new("a message page holds the messages; changes during the query are replayed after it",
            [new StoreEvent.SessionConfirmed(Session("t", 0), false), new StoreEvent.MessageLoadStarted(S), Realtime(ChatChange.Created(Msg(M2, "late", 5)))],
            new StoreEvent.MessagePageLoaded(S, null, [Msg(M1, "a", 1)], 10, Clock), ["MessageCreated M2 late"], ["S t", "  M1 a", "  M2 late"], Applied: true),
        new("after a failed message load, changes no longer wait for it", [Opened, new StoreEvent.MessageLoadStarted(S), new StoreEvent.MessageLoadFailed(S)],
            Realtime(ChatChange.Created(Msg(M1, "a", 1))), ["MessageCreated M1 a"], ["S t", "  M1 a"], Applied: true),

        // ---- resync (changes since the sync point): the same merge rule as every other path
        new("a resync adds what changed and never drops a cached message it lacks (issue 13)", [Opened, Confirmed(Msg(M1, "a", 1))],
            Since(messages: [Msg(M2, "b", 2)]), ["MessageCreated M2 b"], ["S t", "  M1 a", "  M2 b"], Applied: true),
        new("a resync applies a logged deletion", [Opened, Confirmed(Msg(M1, "a", 1))],
            Since(deletions: [M1]), ["MessageDeleted M1"], ["S t"], Applied: true),
        new("a resync keeps the newer value of a row realtime touched since it started", [Opened, Confirmed(Msg(M1, "a", 1)), new StoreEvent.ResyncStarted(), Realtime(ChatChange.Updated(Msg(M1, "c", 3)))],
            Since(messages: [Msg(M1, "b", 2)]), [], ["S t", "  M1 c"], Applied: false),
        new("a resync brings back a row written again after its delete", [Opened, Confirmed(Msg(M1, "a", 1)), new StoreEvent.MessageDeleted(M1)],
            Since(messages: [Msg(M1, "b", 3)], deletions: [M1]), ["MessageCreated M1 b"], ["S t", "  M1 b"], Applied: true),
        new("a resync row older than the row held is ignored, as on every path", [Opened, Confirmed(Msg(M1, "b", 2)), new StoreEvent.ResyncStarted(), new StoreEvent.ResyncEnded()],
            Since(messages: [Msg(M1, "a", 1)]), [], ["S t", "  M1 b"], Applied: false),

        // ---- the cache bound (one session's messages at most)
        new("the cache bound drops the least recently used session's messages", [Opened, new StoreEvent.SessionConfirmed(Session(S2, "u", 0), IsNew: true), new StoreEvent.SessionUsed(S, Clock)],
            new StoreEvent.CacheTrimmed(Clock + 1, S2), [], ["S t -", "S2 u"], Applied: true),
    }.ToDictionary(r => r.Name);

    public static TheoryData<string> Table => [.. Rows.Keys];

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_event_publishes_and_leaves_what_the_table_says(string name)
    {
        var row = Rows[name];
        var core = new MessageStoreCore(User, maxCachedSessions: 1, TimeSpan.FromDays(1), static () => Clock);
        foreach (var e in row.Given)
        {
            core.Apply(e);
        }

        var result = core.Apply(row.When);

        Assert.Equal(row.Changes, result.Changes.Select(Describe));
        Assert.Equal(row.State, Render(core));
        Assert.Equal(row.Applied, result.Applied);
    }

    [Fact]
    public void The_table_uses_every_kind_of_event()
    {
        var used = Rows.Values.SelectMany(r => r.Given.Append(r.When)).Select(e => e.GetType()).ToHashSet();
        var kinds = typeof(StoreEvent).GetNestedTypes().Where(t => t.IsSubclassOf(typeof(StoreEvent))).ToList();

        Assert.NotEmpty(kinds);
        Assert.All(kinds, kind => Assert.Contains(kind, used));
    }

    [Fact]
    public void An_event_hands_out_its_changes_once()
    {
        var core = new MessageStoreCore(User, 1, TimeSpan.FromDays(1), static () => Clock);
        core.Apply(Opened);

        Assert.Single(core.Apply(Confirmed(Msg(M1, "a", 1))).Changes);
        Assert.Empty(core.Apply(new StoreEvent.SessionUsed(S, Clock)).Changes);
    }

    private static ChatSession Session(string title, int updated) => Session(S, title, updated);

    private static ChatSession Session(Guid id, string title, int updated) => new(id, User, title, false, T0, T0.AddSeconds(updated));

    private static ChatMessage Msg(Guid id, string content, int updated, MessageStatus status = MessageStatus.Complete) =>
        new(id, S, User, content, false, status, T0.AddSeconds(id == M1 ? 1 : 2), T0.AddSeconds(updated), null);

    private static StoreEvent Confirmed(ChatMessage row) => new StoreEvent.MessageConfirmed(row);

    private static StoreEvent Realtime(ChatChange change) => new StoreEvent.RealtimeChange(change);

    private static StoreEvent Pending(ChatMessage value) => new StoreEvent.PendingMessageShown(1, value.SessionId, value.Id, value);

    private static StoreEvent Ended(Guid message) => new StoreEvent.PendingWriteEnded(1, [], message);

    private static StoreEvent Since(ChatMessage[]? messages = null, Guid[]? deletions = null) =>
        new StoreEvent.ChangesSinceLoaded(
            new ChatChangesSince([], messages ?? [], [.. (deletions ?? []).Select((id, i) => new ChatDeletion(i + 1, PostgrestChatDataSource.MessagesTable, id, S))]),
            Clock);

    private static string Describe(ChatChange c) =>
        $"{c.Kind} {Names[c.Id]}{(c switch { MessageChange m => " " + m.Message.Content, SessionChange s => " " + s.Session.Title, _ => string.Empty })}";

    /// <summary>The visible state: each session (by name; "-" when its messages are not held), then its messages ("*": pending).</summary>
    private static string[] Render(MessageStoreCore core)
    {
        var lines = new List<string>();
        foreach (var s in core.VisibleSessions().OrderBy(s => Names[s.Id], StringComparer.Ordinal))
        {
            var loaded = core.AreMessagesLoaded(s.Id);
            lines.Add($"{Names[s.Id]} {s.Title}{(loaded ? string.Empty : " -")}");
            var pending = core.Snapshot(false, true, true, new StoreCounters()).Sessions.Single(x => x.Id == s.Id).PendingMessageIds;
            foreach (var m in core.GetVisibleMessages(s.Id))
            {
                lines.Add($"  {Names[m.Id]} {m.Content}{(pending.Contains(m.Id) ? " *" : string.Empty)}");
            }
        }

        return [.. lines];
    }

    private sealed record Row(string Name, StoreEvent[] Given, StoreEvent When, string[] Changes, string[] State, bool Applied);
}
